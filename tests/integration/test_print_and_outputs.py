"""What the reader gets (issue 15): every report prints on at most 12 A4 pages with every table
header on paper (a clipped column loses its header), every Excel cell that is a number is a
number, every sheet has Vietnamese headers, and no output holds a raw placeholder or an ISO
month label in prose. One run of ``parlib all`` and ``parlib compare`` on the sample."""

from __future__ import annotations

import html as htmlmod
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from parlib.cli.main import main
from parlib.core.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

MAX_PAGES = 12
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")
ISO_MONTH = re.compile(r"(?<![\d./-])20\d\d-(0[1-9]|1[0-2])(?![\d-])")
# a cell that is only a number written as text ("7,95", "88,3 %", "-40,8", "1.234")
NUMBER_AS_TEXT = re.compile(r"^'?[+\-−]?\d{1,3}(\.\d{3})*(,\d+)?\s?%?$|^'?[+\-−]?\d+(,\d+)?\s?%?$")
SNAKE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    base = tmp_path_factory.mktemp("print")
    data = base / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", data / "raw")
    out = base / "reports"
    assert main(["all", "--data", str(data), "--out", str(out), "--report-date", "2026-12-03"]) == 0
    assert main(["compare", "--base", "2025", "--year", "2026", "--data", str(data), "--out", str(out)]) == 0
    return out


def _exe(name: str) -> str:
    p = shutil.which(name)
    if p is None:
        if os.environ.get("PARLIB_REQUIRE_BROWSER"):
            pytest.fail(f"{name} is required in CI (PARLIB_REQUIRE_BROWSER=1) but was not found")
        pytest.skip(f"{name} not installed locally")
    return p


def _pdf(html_file: Path, tmp_path: Path) -> Path:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or _exe("chromium")
    pdf = tmp_path / (html_file.stem + ".pdf")
    subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html_file.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return pdf


def _headers(html: str) -> list[str]:
    return [
        htmlmod.unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", html)
    ]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.browser
@pytest.mark.parametrize(
    "name", ["2026/annual_2026", "2026-Q3/quarterly_2026_Q3", "2026-vs-2025/compare_2025_2026"]
)
def test_prints_on_at_most_12_a4_pages_with_every_table_header(reports, tmp_path, name):
    html_file = reports / f"{name}.html"
    pdf = _pdf(html_file, tmp_path)
    info = subprocess.run([_exe("pdfinfo"), str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert abs(float(size.group(1)) - 595.3) < 2 and abs(float(size.group(2)) - 841.9) < 2  # A4 portrait
    assert 1 <= pages <= MAX_PAGES, f"{name}: {pages} pages"
    # -raw: the text in the order it is drawn, so a header wrapped in a narrow column stays whole
    text = _squash(
        subprocess.run(
            [_exe("pdftotext"), "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
    )
    heads = [h for h in _headers(html_file.read_text(encoding="utf-8")) if h]
    assert len(heads) > 20
    missing = [h for h in heads if _squash(h) not in text]
    assert not missing, f"{name}: headers not on paper (clipped columns?): {missing[:10]}"
    first = subprocess.run(
        [_exe("pdftotext"), "-f", "1", "-l", "1", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Tóm tắt cho lãnh đạo" in first  # the summary page opens every report


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.suffix in {".html", ".json", ".xlsx", ".ipynb"}]


def test_every_excel_cell_that_is_a_number_is_a_number_and_headers_are_vietnamese(reports):
    books = [p for p in _all_files(reports) if p.suffix == ".xlsx"]
    assert len(books) >= 3
    for book in books:
        wb = load_workbook(book, read_only=True)
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None)
            if ws.title == "Ghi chú" or header is None:
                continue
            bad_heads = [h for h in header if isinstance(h, str) and SNAKE.match(h)]
            assert not bad_heads, f"{book.name}/{ws.title}: English code headers {bad_heads}"
            for i, row in enumerate(rows, start=2):
                for j, v in enumerate(row):
                    if isinstance(v, str) and v.strip() == "–":  # the display's missing mark
                        pytest.fail(
                            f"{book.name}/{ws.title} row {i} «{header[j]}»: missing value as text '–'"
                        )
                    if isinstance(v, str) and NUMBER_AS_TEXT.match(v.strip()):
                        head = str(header[j] or "")
                        if head.startswith("Mã") or head in ("STT",):  # codes stay text
                            continue
                        pytest.fail(f"{book.name}/{ws.title} row {i} «{head}»: number stored as text {v!r}")


def test_no_placeholder_or_iso_month_in_any_output(reports):
    for f in _all_files(reports):
        if f.suffix == ".xlsx":
            wb = load_workbook(f, read_only=True)
            texts = [
                str(v)
                for ws in wb.worksheets
                for row in ws.iter_rows(values_only=True)
                for v in row
                if isinstance(v, str)
            ]
        else:
            raw = f.read_text(encoding="utf-8")
            raw = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", raw)
            if f.suffix == ".html":
                raw = re.sub(r"<style.*?</style>", "", raw, flags=re.S)
                raw = htmlmod.unescape(re.sub(r"<[^>]+>", " ", raw))
            texts = [raw]
        for t in texts:
            m = PLACEHOLDER.search(t)
            assert m is None, (
                f"{f.name}: placeholder {m.group(0)} in «{t[max(0, m.start() - 60) : m.end() + 20]}»"
            )
            if f.suffix in (".html", ".xlsx"):
                m = ISO_MONTH.search(t)
                assert m is None, (
                    f"{f.name}: ISO month {m.group(0)} in «{t[max(0, m.start() - 60) : m.end() + 20]}»"
                )


def test_one_number_per_fact_across_html_excel_and_summary(reports):
    """The quarter's on-time rate of each office: the same counts in summary.json, Excel and the
    HTML office table; the annual change reconciles in summary.json and equals the summary page."""
    q = json.loads((reports / "2026-Q3" / "summary.json").read_text(encoding="utf-8"))
    offices = {(o["kpi"], o["scope"], o["office"]): o for o in q["offices"] if o["kpi"] == "on_time_pct"}
    wb = load_workbook(reports / "2026-Q3" / "quarterly_2026_Q3.xlsx", read_only=True)
    ws = wb["Theo phòng"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    col = {h: i for i, h in enumerate(head)}
    html = (reports / "2026-Q3" / "quarterly_2026_Q3.html").read_text(encoding="utf-8")
    n_checked = 0
    for r in rows[1:]:
        if (
            r[col["Chỉ số"]] != "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn"
            or r[col["Kỳ so sánh"]] == "cùng kỳ năm 2025"
        ):
            continue
        office = r[col["Phòng"]]
        o = (
            offices[("on_time_pct", "recent", office)]
            if ("on_time_pct", "recent", office) in offices
            else None
        )
        if o is None or r[col["Kỳ so sánh"]] != o["baseline"]:
            continue
        assert (r[col["Đạt"]], r[col["Tổng"]]) == (o["numerator"], o["denominator"])
        k, n = f"{o['numerator']:,}".replace(",", "."), f"{o['denominator']:,}".replace(",", ".")
        assert f"({k}/{n})" in html
        n_checked += 1
    assert n_checked >= 5
    total = q["kpis"]["on_time_pct"]["quarter"]["denominator"]
    assert (
        sum(o["denominator"] for o in q["offices"] if o["kpi"] == "on_time_pct" and o["scope"] == "recent")
        == total
    )
    a = json.loads((reports / "2026" / "summary.json").read_text(encoding="utf-8"))
    rec = a["cause_reconciliation"]
    parts = rec["decreases"] + rec["increases"] + rec["framework_effect"] + rec["bonus_penalty_change"]
    assert round(parts + rec["rounding"], 2) == round(rec["total_change"], 2)
    ah = (reports / "2026" / "annual_2026.html").read_text(encoding="utf-8")
    change = f"{abs(rec['total_change']):.2f}".replace(".", ",")
    assert f"{change} điểm" in ah
