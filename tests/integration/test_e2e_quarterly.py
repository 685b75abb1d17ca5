"""End-to-end: the quarterly report on the bundled sample, and what it finds.

The planted effects of the sample are checked from the analysis output (never from the
scenario file): (a) the Q3 2026 overdue surge at one office, (b) the 2026 fall of apology
coverage at another office, (e) the online-share trend that must raise no alarm.
"""

from __future__ import annotations

import base64
import json
import re
import shutil

import pandas as pd
import pytest

from parlib.cli.main import main
from parlib.core.paths import PROJECT_ROOT, Paths
from parlib.pipelines import quarterly
from parlib.report import quarterly as rq

pytestmark = pytest.mark.slow

QLXD = "Phòng Quản lý hoạt động xây dựng"
NBDS = "Phòng Quản lý nhà và Thị trường bất động sản"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("quarterly")
    shutil.copytree(PROJECT_ROOT / "data" / "raw", base / "data" / "raw")
    code = main(
        [
            "quarterly",
            "--year",
            "2026",
            "--quarter",
            "3",
            "--data",
            str(base / "data"),
            "--out",
            str(base / "reports"),
        ]
    )
    return code, base


@pytest.fixture(scope="module")
def result():
    return quarterly.build(2026, 3, Paths(), write=False)


def test_report_files_and_html(run):
    code, base = run
    assert code == 0
    out = base / "reports" / "2026-Q3"
    for name in [
        "quarterly_2026_Q3.html",
        "quarterly_2026_Q3.ipynb",
        "quarterly_2026_Q3.xlsx",
        "quarterly_2026_Q3.manifest.json",
        "summary.json",
    ]:
        assert (out / name).exists(), name
    html = (out / "quarterly_2026_Q3.html").read_text(encoding="utf-8")
    assert "<title>Theo dõi CCHC và SIPAS Quý III/2026</title>" in html
    assert re.search(r'<html[^>]*lang="vi"', html)
    assert "DỮ LIỆU MINH HỌA" in html
    assert not re.search(r'class="[^"]*(jp-InputPrompt|jp-CodeMirrorEditor|highlight)', html)
    assert not re.search(r"<script[^>]+src=", html)
    for bad in ["Traceback", "Warning", "from parlib"]:
        assert bad not in html
    sizes = [
        len(base64.b64decode(b)) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    ]
    assert len(sizes) >= 8 and max(sizes) > 10_000
    m = json.loads((out / "quarterly_2026_Q3.manifest.json").read_text(encoding="utf-8"))
    assert m["warnings"] == []


def test_charts_drawn_ahead_are_the_charts_drawn_here(run, result):
    """The command line's child draws the report's charts while the kernel goes on
    (parlib.report.charts): every picture in the HTML is the one this process draws for the
    same chart — the same bytes — and all of them are there, in the report's order."""
    from parlib.report import quarterly_sources as rqs
    from parlib.report.charts import apply_style, png_bytes

    apply_style()
    _code, base = run
    html = (base / "reports" / "2026-Q3" / "quarterly_2026_Q3.html").read_text(encoding="utf-8")
    shown = [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]
    announced = (
        rq.trends_charts(result)
        + rqs.satisfaction_charts(result)
        + rq.control_charts(result)
        + rqs.satisfaction_charts(result, part="appendix")
    )
    assert len(announced) >= 7
    drawn = [png_bytes(c.figure()) for c in announced]
    positions = [shown.index(png) if png in shown else None for png in drawn]
    assert None not in positions, "a chart of the report differs from the one drawn here"
    assert positions == sorted(positions)


def test_summary_json_has_kpis_with_intervals(run):
    s = json.loads((run[1] / "reports" / "2026-Q3" / "summary.json").read_text(encoding="utf-8"))
    r = s["on_time_rate"]
    assert r["denominator"] > 1000 and 0 <= r["numerator"] <= r["denominator"]
    assert abs(r["pct"] - 100 * r["numerator"] / r["denominator"]) < 0.006
    assert r["ci_low_pct"] < r["pct"] < r["ci_high_pct"]
    assert r["target_pct"] == 98 and r["status"] in {"met", "at_risk", "missed"}
    for kpi in ["on_time_pct", "apology_pct", "feedback_on_time_pct", "satisfaction_pct"]:
        assert set(s["kpis"][kpi]) == {"quarter", "ytd"}
    pr = s["points_at_risk"]
    assert abs(pr["total"] - sum(n["points_at_risk"] for n in pr["nodes"])) < 0.011
    assert s["rows"]["read"] == s["rows"]["used"] + s["rows"]["rejected"] + s["rows"]["skipped"]
    assert s["satisfaction"]["overall"]["quarter"]["n"] > 100


def test_finds_the_q3_surge_office_and_dates_it(result):
    w = result.office_watch
    worst = w.loc[(w["scope"] != "ytd") & (w["kpi"] == "on_time_pct") & (w["verdict"] == "worse")]
    # the surge office, against its earlier quarters and against the same quarter last year; the
    # other offices hold: none of them is a significant decrease in the quarter
    assert set(worst["office_name"]) == {QLXD} and set(worst["scope"]) == {"recent", "last_year"}
    eps = result.p_chart.loc[result.p_chart["signal"], "run_start"].astype(str)
    assert "2026-08" in set(eps)


def test_finds_the_apology_fall_office(result):
    w = result.office_watch
    worse = w.loc[(w["scope"] == "ytd") & (w["kpi"] == "apology_pct") & (w["verdict"] == "worse")]
    assert list(worse["office_name"]) == [NBDS]


def test_one_counting_basis_parts_add_up_and_offices_match_the_kpi_table(result):
    """Every period of the KPI table: the offices' numerators and denominators add up to the
    department's (a dossier counts once per period); the office comparisons read the same counts."""
    k = result.kpis
    for dim in ("office_name", "procedure_code", "field_name", "channel"):
        part = k.loc[k["dimension"] == dim]
        if part.empty:
            continue
        sums = part.groupby(["period", "kpi"])[["k", "n"]].sum()
        total = k.loc[k["dimension"] == "all"].set_index(["period", "kpi"])[["k", "n"]].loc[sums.index]
        if dim == "office_name":  # every period has office rows (history too)
            assert len(sums) == len(k.loc[k["dimension"] == "all"])
        # 766 5.4 may clip a group's k at 0; every other KPI adds up exactly
        ok = sums.index.get_level_values("kpi") != "handling_satisfaction_pct"
        assert (sums.loc[ok, "n"] == total.loc[ok, "n"]).all(), dim
        assert (sums.loc[ok, "k"] == total.loc[ok, "k"]).all(), dim
    w = result.office_watch
    for kpi in ("on_time_pct", "apology_pct"):
        now = w.loc[(w["kpi"] == kpi) & (w["scope"] == "recent")].set_index("office_name")[["k_now", "n_now"]]
        q = k.loc[(k["period"] == "2026-Q3") & (k["dimension"] == "office_name") & (k["kpi"] == kpi)]
        q = q.set_index("group")[["k", "n"]].reindex(now.index)
        assert (q.to_numpy() == now.to_numpy()).all(), kpi
    fun = result.funnel_offices.set_index("group")
    on = w.loc[(w["kpi"] == "on_time_pct") & (w["scope"] == "recent")].set_index("office_name")
    assert (fun["n"].astype(int) == on.loc[fun.index, "n_now"]).all()


def test_no_alarm_for_the_online_trend(result):
    # no finding about a change attributes anything to the online channel (the points-at-risk
    # sentence may name the online-filing sub-criterion: that is a level, not a change)
    changes = [f.lower() for f in rq.key_findings(result) if not f.startswith("Với số liệu lũy kế")]
    assert not any("trực tuyến" in f for f in changes)
    seg = result.segment_changes
    online = seg.loc[(seg["segment"] == "Trực tuyến") & (seg["year"] == 2026)]
    assert not online["is_significant"].any()


def test_comment_themes_count_each_comment_once(result):
    """n_total of the report's theme table = non-empty comments of the quarter in the survey
    files (a comment with several themes once), and no theme exceeds it."""
    from parlib.ingest.survey import load_survey_items, read_surveys

    paths = Paths()
    r = read_surveys(
        sorted((paths.raw / "survey").glob("khao_sat_2026_Q3*.xlsx")),
        load_survey_items(paths.config / "survey_items.csv"),
    ).responses
    t = result.theme_counts
    assert t is not None and not t.empty
    q3 = t[(t["year"] == 2026) & (t["quarter"] == 3)]
    sel = r[(r["year"] == 2026) & (r["quarter"] == 3)]
    n_comments = int(sel["comment"].fillna("").str.strip().ne("").sum())
    assert (q3["n_total"] == n_comments).all() and n_comments > 0
    assert (q3["n_comments"] <= n_comments).all()


def test_outlook_in_summary_html_and_excel(run):
    """The year-end outlook reaches summary.json, the HTML and Excel with one value per fact."""
    import json

    import openpyxl

    from parlib.core.vnformat import fmt_probability

    code, base = run
    out = base / "reports" / "2026-Q3"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    outlook = summary["outlook"]
    assert {"on_time_pct", "apology_pct", "system_updated_pct", "satisfaction_pct"} <= set(outlook)
    html = (out / "quarterly_2026_Q3.html").read_text(encoding="utf-8")
    assert "Triển vọng đến 31/12" in html
    for kpi, o in outlook.items():
        p = o["probability_met"]
        assert p is None or 0 <= p <= 1
        if o["is_still_achievable"] is False:
            assert p == 0 and o["required_pct_remaining"] > 100
        if p is not None:
            assert fmt_probability(p) in html  # the HTML shows the same probability
        low, high = o["interval_pct"]
        assert low is None or low <= o["expected_year_end_pct"] <= high
    on_time = outlook["on_time_pct"]
    assert on_time["by_office"] and all(0 <= f["probability_met"] <= 1 for f in on_time["by_office"])
    ws = openpyxl.load_workbook(out / "quarterly_2026_Q3.xlsx", read_only=True)["Triển vọng cuối năm"]
    rows = list(ws.iter_rows(values_only=True))
    unit = {r[0]: r for r in rows[1:] if r[1] == "Toàn đơn vị"}
    from parlib.core.labels import KPI_LABELS

    xl = unit[KPI_LABELS["on_time_pct"]]
    assert xl[9] == pytest.approx(on_time["probability_met"], abs=1e-4)  # a real number, same value
    assert xl[6] == pytest.approx(on_time["expected_year_end_pct"], abs=0.006)


def test_processed_tables_write_mixed_object_columns_as_text_and_typed_frames_unchanged():
    import pandas as pd

    from parlib.core.io import parquet_safe

    typed = pd.DataFrame({"n": [1, 2], "name": pd.array(["a", None], dtype="str")})
    assert parquet_safe(typed) is typed  # nothing to convert: the frame itself, no copy
    mixed = pd.DataFrame({"v": pd.Series([1, "x", None, float("nan"), 2.5], dtype=object), "n": range(5)})
    out = parquet_safe(mixed)
    assert out["v"].isna().tolist() == [False, False, True, True, False]
    assert out["v"].dropna().tolist() == ["1", "x", "2.5"] and mixed["v"].iloc[0] == 1  # input untouched


def test_a_build_failing_after_the_dossiers_encoding_started_publishes_nothing(tmp_path, monkeypatch):
    """The classified dossiers are encoded on a thread while the build goes on; a build that
    fails afterwards leaves the processed folder as it was: no table, no temporary file. The
    same build, not failing, publishes the dossiers table with its provenance."""
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", data / "raw")
    paths = Paths(data, tmp_path / "reports")

    def broken(*args, **kwargs):
        raise RuntimeError("planted failure after the encoding started")

    with monkeypatch.context() as m:
        m.setattr(quarterly, "office_watch", broken)
        with pytest.raises(RuntimeError, match="planted failure"):
            quarterly.build(2026, 3, paths)
    processed = data / "processed"
    left = [p.name for p in processed.iterdir() if p.name != ".cache"] if processed.exists() else []
    assert left == []

    res = quarterly.build(2026, 3, paths)
    table = processed / "dossiers_2026_Q3.parquet"
    back = pd.read_parquet(table)
    assert len(back) == len(res.classified) > 1000
    assert list(back.columns) == [str(c) for c in res.classified.columns]
    meta = json.loads((processed / "dossiers_2026_Q3.provenance.json").read_text(encoding="utf-8"))
    assert meta["rows"] == len(res.classified) and meta["inputs"]
    assert not [p.name for p in processed.iterdir() if p.name.endswith(".part")]


def test_a_missing_task_progress_file_is_no_data_not_zero(tmp_path):
    """Without the quarter's task progress file the tasks KPI is «chưa có số liệu» (no rate,
    not 0 %), with a warning naming the missing file."""
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", data / "raw")
    (data / "raw" / "tasks" / "tien_do_2026_Q3.xlsx").unlink()
    res = quarterly.build(2026, 3, Paths(data, tmp_path / "reports"), write=False)
    warn = res.issues[res.issues["rule"] == "missing_input"]
    assert warn["source"].tolist() == ["tasks/tien_do_2026_Q3.xlsx"]
    assert warn["severity"].tolist() == ["warning"] and "không tính là 0 %" in warn["message"].iloc[0]
    kpi = res.tasks_kpi.iloc[0]
    assert pd.isna(kpi["pct"]) and kpi["n"] == 0
    assert (
        kpi["missing_note"]
        == "Chưa có số liệu: thiếu tệp tiến độ nhiệm vụ Quý III/2026 (tasks/tien_do_2026_Q3.xlsx)."
    )
