"""End-to-end: ``parlib periodic`` on the bundled sample — the Word draft of the latest complete
reporting window (quý III năm 2026: 15/06 – 14/09/2026; the exports end on 30/09/2026), its
figures equal to its summary.json, an independent count of the dossiers received in the window,
and a window the data do not cover refused with the missing file named."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from docx import Document

from parlib.cli.main import main
from parlib.core.paths import PROJECT_ROOT, Paths
from parlib.core.vnformat import fmt_int, fmt_pct
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import load_procedures
from parlib.ingest.dossiers import read_dossier_exports

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("periodic")
    shutil.copytree(PROJECT_ROOT / "data" / "raw", base / "data" / "raw")
    args = ["--data", str(base / "data"), "--out", str(base / "reports")]
    assert main(["periodic", *args]) == 0
    return base, args


def test_latest_complete_window_draft(run):
    base, _ = run
    folder = base / "reports" / "2026-bc-q3"
    assert sorted(p.name for p in folder.iterdir()) == [
        "bao_cao_cchc_2026_q3.docx",
        "bao_cao_cchc_2026_q3.manifest.json",
        "summary.json",
    ]
    man = json.loads((folder / "bao_cao_cchc_2026_q3.manifest.json").read_text(encoding="utf-8"))
    assert {i["path"] for i in man["inputs"]} == set(
        json.loads((folder / "summary.json").read_text())["inputs"]
    )
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (s["window"]["start"], s["window"]["end"]) == ("2026-06-15", "2026-09-14")
    doc = Document(str(folder / "bao_cao_cchc_2026_q3.docx"))
    text = "\n".join(
        [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )
    assert "Kết quả thực hiện công tác cải cách hành chính quý III năm 2026" in text
    assert "từ ngày 15/06/2026 đến ngày 14/09/2026" in text
    assert "{" not in text and all(m.startswith("[Đơn vị bổ sung: ") for m in re.findall(r"\[[^\]]*\]", text))
    table1 = next(t for t in doc.tables if t.rows[0].cells[1].text == "Chỉ tiêu")
    rows = {r.cells[1].text: [c.text for c in r.cells[2:5]] for r in table1.rows[1:]}
    for k in s["kpis"].values():
        assert rows[k["label"]] == [fmt_int(k["numerator"]), fmt_int(k["denominator"]), fmt_pct(k["pct"])]
    assert "DỮ LIỆU MINH HỌA" in text  # the sample is illustrative and the draft says so


def test_received_in_window_independent_count(run):
    base, _ = run
    s = json.loads((base / "reports" / "2026-bc-q3" / "summary.json").read_text(encoding="utf-8"))
    paths = Paths.from_args(base / "data", base / "reports")
    files = sorted((paths.raw / "dossiers").glob("ho_so_*.xlsx"))
    d = read_dossier_exports(files, load_procedures(paths.config / "procedures.csv"), load_calendar(paths))
    day = d.dossiers["received_at"].dt.normalize()
    inside = (day >= pd.Timestamp("2026-06-15")) & (day <= pd.Timestamp("2026-09-14"))
    assert s["dossiers"]["received"] == int(inside.sum())
    # offices add up to the department
    assert sum(o["handled"] for o in s["offices"]) == s["kpis"]["on_time_pct"]["denominator"]
    assert sum(o["on_time"] for o in s["offices"]) == s["kpis"]["on_time_pct"]["numerator"]


def test_chosen_window_and_uncovered_window(run, capsys):
    base, args = run
    assert main(["periodic", "--year", "2026", "--window", "h1", *args]) == 0
    s = json.loads((base / "reports" / "2026-bc-h1" / "summary.json").read_text(encoding="utf-8"))
    assert (s["window"]["start"], s["window"]["end"]) == ("2025-12-15", "2026-06-14")
    # the sample has no task-status file of 2026-Q2: the tasks KPI is "no data", never 0 %
    assert (
        s["kpis"]["tasks_on_time_pct"]["status"] == "no_data"
        and s["kpis"]["tasks_on_time_pct"]["pct"] is None
    )
    assert "tien_do_2026_Q2.xlsx" in s["kpis"]["tasks_on_time_pct"]["gap"]
    # the same window of the previous year, built on its own, gives the "cùng kỳ năm trước" figures
    assert main(["periodic", "--year", "2025", "--window", "q3", *args]) == 0
    before = json.loads((base / "reports" / "2025-bc-q3" / "summary.json").read_text(encoding="utf-8"))
    now = json.loads((base / "reports" / "2026-bc-q3" / "summary.json").read_text(encoding="utf-8"))
    assert now["previous_window"] == before["window"]
    for kpi, k in now["kpis"].items():
        if kpi != "tasks_on_time_pct":
            b = before["kpis"][kpi]
            assert k["previous"] == {
                "numerator": b["numerator"],
                "denominator": b["denominator"],
                "pct": b["pct"],
            }
    assert main(["periodic", "--year", "2026", "--window", "year", *args]) == 2
    err = capsys.readouterr().err
    assert "ho_so_2026_Q4.xlsx" in err and "Traceback" not in err
    assert not (base / "reports" / "2026-bc-year").exists()


def test_a_window_equal_to_a_calendar_quarter_gives_the_quarterly_figures(run):
    """One counting basis: over 01/07 – 30/09/2026 the window engine gives the quarterly report's
    quarter figures (dossiers, PAKN, survey) and its task KPI."""
    from parlib.analysis.periodic import window_figures
    from parlib.model.windows import ReportWindow
    from parlib.pipelines import quarterly

    base, _ = run
    paths = Paths.from_args(base / "data", base / "reports")
    q = quarterly.build(2026, 3, paths, write=False)
    w = ReportWindow(
        2026,
        "lich-q3",
        "quý III năm 2026 (theo lịch)",
        pd.Timestamp("2026-07-01"),
        pd.Timestamp("2026-09-30"),
    )
    fig = window_figures(
        w,
        [w],
        dossiers=q.dossiers,
        calendar=q.calendar,
        kpi_rules=q.kpi_rules,
        targets=pd.DataFrame({"kpi": [], "target_pct": [], "comparison": []}),
        feedback=q.feedback,
        tasks=q.tasks,
        survey=q.survey,
    )
    mine = fig.kpis.set_index("kpi")
    st = q.status
    for kpi, kind in [
        ("on_time_pct", "quarter"),
        ("apology_pct", "quarter"),
        ("system_updated_pct", "quarter"),
        ("feedback_on_time_pct", "quarter"),
        ("satisfaction_pct", "quarter"),
        ("tasks_on_time_pct", "ytd"),
    ]:
        row = st.loc[(st["kpi"] == kpi) & (st["period_kind"] == kind)].iloc[0]
        assert (int(mine.loc[kpi, "k"]), int(mine.loc[kpi, "n"])) == (int(row["k"]), int(row["n"])), kpi
