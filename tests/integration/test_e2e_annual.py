"""End-to-end: the annual report through the CLI, papermill and nbconvert, then a browser.

Marked slow (each run starts a kernel). The bundled sample data are copied to a temporary
folder so the run never touches the project's data/processed or reports/.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from parlib.cli.main import main
from parlib.core.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def annual_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("annual")
    data = base / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", data / "raw")
    out = base / "reports"
    code = main(["annual", "--year", "2026", "--data", str(data), "--out", str(out)])
    return code, data, out


def _html(out: Path) -> str:
    return (out / "2026" / "annual_2026.html").read_text(encoding="utf-8")


def test_run_succeeds_and_writes_every_output(annual_run):
    code, data, out = annual_run
    assert code == 0
    names = sorted(p.name for p in (out / "2026").iterdir())
    for expected in [
        "annual_2026.html",
        "annual_2026.ipynb",
        "annual_2026.xlsx",
        "annual_2026.manifest.json",
        "summary.json",
    ]:
        assert expected in names
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]
    assert (data / "processed" / "scores_2026.parquet").exists()
    assert (data / "processed" / "scores_2026.provenance.json").exists()


def test_html_is_self_contained_vietnamese_and_has_no_code(annual_run):
    html = _html(annual_run[2])
    assert re.search(r'<html[^>]*lang="vi"', html)
    assert "<title>Phân tích Chỉ số CCHC (PAR INDEX) năm 2026</title>" in html
    assert "Kết luận chính" in html and "DỮ LIỆU MINH HỌA" in html
    # no code, prompts, tracebacks or warnings
    for bad in ["from parlib", "import ", "setup_notebook", "Traceback", "Warning", "In&nbsp;["]:
        assert bad not in html, bad
    # no code cell was rendered (class names also occur in the template's CSS, so match elements)
    assert not re.search(r'class="[^"]*(jp-InputPrompt|jp-CodeMirrorEditor|highlight)', html)
    # no external script or stylesheet (CDN) request
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r'<link[^>]+href="https?:', html)
    assert "cdn" not in html.lower() or not re.search(r'(src|href)="https?://[^"]*cdn', html, re.I)


def test_html_embeds_real_charts(annual_run):
    html = _html(annual_run[2])
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    sizes = sorted(len(base64.b64decode(b)) for b in images)
    assert len(sizes) >= 4, sizes
    assert sizes[-1] > 10_000


def test_manifest_records_inputs_and_no_warnings(annual_run):
    m = json.loads((annual_run[2] / "2026" / "annual_2026.manifest.json").read_text(encoding="utf-8"))
    assert m["warnings"] == []
    assert m["parameters"]["year"] == 2026
    paths = {i["path"] for i in m["inputs"]}
    assert "raw/scoresheet/bang_diem_2026.xlsx" in paths
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])


def test_summary_json_contract(annual_run):
    s = json.loads((annual_run[2] / "2026" / "summary.json").read_text(encoding="utf-8"))
    for key in [
        "schema_version",
        "total_points",
        "max_points",
        "index_pct",
        "band",
        "fields",
        "top_losses",
        "points_lost",
        "loss_by_stage",
        "issues",
        "rows",
        "is_illustrative",
    ]:
        assert key in s, key
    assert s["is_illustrative"] is True
    assert len(s["fields"]) == 8
    # the fields' points add up to the total minus bonus plus penalty (to the 0.01)
    fsum = sum(f["points"] for f in s["fields"])
    assert abs(fsum + s["bonus_points"] - s["penalty_points"] - s["total_points"]) < 0.011
    assert abs(s["index_pct"] - s["total_points"] / s["max_points"] * 100) < 0.011
    assert len(s["top_losses"]) >= 3 and all(t["owner_office"] for t in s["top_losses"])
    r = s["rows"]
    assert r["read"] == r["used"] + r["rejected"] + r["skipped"]
    # the unit comes from raw/config/unit.csv; the province table of 2026 alone gives the position:
    # totals 92,5 92,5 91,79 91,02 90,29 89,36 89,1 87,97 … -> rank 8 of 14 (a tie at the top);
    # median of 14 = (89,1 + 87,97) / 2 = 88,535 -> 88,54; gaps 87,97 − 88,54 = −0,57, − 92,5 = −4,53
    assert s["unit"]["full_name"] == "Sở Xây dựng tỉnh Đắk Lắk" and s["unit"]["level"] == "sở"
    p = s["province"]
    assert (p["rank"], p["rank_published"], p["n_units"], p["is_partial"]) == (8, 8, 14, False)
    assert (p["median_total"], p["gap_median"], p["best_total"], p["gap_best"]) == (88.54, -0.57, 92.5, -4.53)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


@pytest.mark.browser
def test_report_renders_in_headless_chromium(annual_run, tmp_path):
    exe = _chromium()
    if exe is None:
        if os.environ.get("PARLIB_REQUIRE_BROWSER"):
            pytest.fail("chromium is required in CI (PARLIB_REQUIRE_BROWSER=1) but was not found")
        pytest.skip("chromium not installed locally")
    html_file = annual_run[2] / "2026" / "annual_2026.html"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "annual.png"
    subprocess.run(
        [exe, *flags, "--window-size=1280,2000", f"--screenshot={shot}", html_file.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 30_000
    dom = subprocess.run(
        [exe, *flags, "--dump-dom", html_file.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    assert "Kết luận chính" in dom
    assert "Điểm theo lĩnh vực" in dom
    # keep the screenshot for humans when asked
    keep = os.environ.get("PARLIB_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
