"""Unit tests of parlib.rootcause / rootcause_text / plots_rootcause on tiny hand-made inputs.

Every expected number is worked out by hand in a comment from the rules in the module
docstrings (linear rule: points = min(1, value / threshold) × max, rounded half-up to 2
decimals; decomposition: parlib.decompose with centred mix parts).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from parlib.analysis import rootcause as rc
from parlib.analysis.rootcause.finish import task_status_text
from parlib.report.rootcause_text import cause_paragraph, write_paragraphs

NODE = {
    "code": "3.3.2",
    "name": "Tỷ lệ hồ sơ đúng hạn",
    "max_points": 3.5,
    "kpi": "on_time_pct",
    "rule": "linear",
    "rule_params": "98",
    "owner_office": "Văn phòng Sở",
    "partner_offices": "Phòng A;Phòng B",
    "plan_tasks": "10",
}


# ---------------------------------------------------------------- points conversion


def test_points_for_each_rule():
    # linear 98, max 3.5: 95.635 / 98 × 3.5 = 3.41553… -> 3.42; at or above 98 -> 3.5
    assert rc.points_for(95.635, NODE) == 3.42
    assert rc.points_for(99.0, NODE) == 3.5
    # binary 100, max 1: 91 -> 0; 100 -> 1
    binary = {"rule": "binary", "rule_params": "100", "max_points": 1.0}
    assert rc.points_for(91.0, binary) == 0.0 and rc.points_for(100.0, binary) == 1.0
    # bands 100:1|95:0.75|90:0.5|0:0, max 1.5: 96 -> 0.75 × 1.5 = 1.125 -> 1.13 (half up)
    bands = {"rule": "bands", "rule_params": "100:1|95:0.75|90:0.5|0:0", "max_points": 1.5}
    assert rc.points_for(96.0, bands) == 1.13
    # no value or no rule -> NaN, never 0
    assert math.isnan(rc.points_for(float("nan"), NODE))
    assert math.isnan(rc.points_for(90.0, {"rule": None, "max_points": 1.0}))


def test_points_change_and_full_points_threshold():
    # 98.19 % -> 3.5 (capped); 95.635 % -> 3.42: 0.08 points lost
    assert rc.points_change(NODE, 98.19, 95.635) == pytest.approx(0.08)
    # improving KPI: negative loss; 90 -> 3.21 (90/98×3.5 = 3.2142…), 95 -> 3.39 (3.3928…)
    assert rc.points_change(NODE, 90.0, 95.0) == pytest.approx(-0.18)
    assert rc.full_points_threshold(NODE) == 98
    assert rc.full_points_threshold({"rule": "bands", "rule_params": "100:1|95:0.75|0:0"}) == 100
    assert rc.full_points_threshold({"rule": "bands", "rule_params": "95:1|90:0.5|0:0"}) == 95


def test_centred_decomposition_keeps_the_total():
    # A: 90/100 -> 45/50 (rate 0.9 both), B: 50/100 -> 75/150 (rate 0.5 both): a pure mix change.
    # R0 = 0.7, R1 = 0.6, delta -0.1. Textbook mix: A (0.25-0.5)×0.9 = -0.225, B (0.75-0.5)×0.5 = +0.125.
    # Centred on (0.7+0.6)/2 = 0.65: A -0.225 + 0.25×0.65 = -0.0625; B 0.125 - 0.25×0.65 = -0.0375.
    base = pd.DataFrame({"g": ["A", "B"], "k": [90, 50], "n": [100, 100]})
    target = pd.DataFrame({"g": ["A", "B"], "k": [45, 75], "n": [50, 150]})
    dec = rc.decompose(base, target, ["g"])
    t = dec.table.set_index("g")
    assert t.loc["A", "mix"] == pytest.approx(-0.0625)
    assert t.loc["B", "mix"] == pytest.approx(-0.0375)
    assert t["total"].sum() == pytest.approx(-0.1)
    assert t.loc["A", "share_of_change"] == pytest.approx(0.625)
    assert dec.summary["verdict"] == "mix"


# ---------------------------------------------------------------- the evidence chain on a fake source


class FakeSource:
    """Counts per (kind, year, quarter) window; offices A (fast procedure p1) and B (slow p2)."""

    fine, coarse, dimension, window_kind, kpi = (
        ["office_name", "procedure_code"],
        "office_name",
        "office_name",
        "label",
        "on_time_pct",
    )

    def __init__(self, quarters: dict):
        self.q = quarters  # (year, quarter) -> {(office, procedure): (k, n)}

    def counts(self, window, by):
        kind, year, quarter = window
        qs = [quarter] if kind == "quarter" else range(1, quarter + 1)
        rows = [
            {"office_name": o, "procedure_code": p, "k": k, "n": n}
            for q in qs
            for (o, p), (k, n) in self.q.get((year, q), {}).items()
        ]
        df = pd.DataFrame(rows, columns=["office_name", "procedure_code", "k", "n"])
        return (
            df.groupby(by, as_index=False)[["k", "n"]].sum()
            if by
            else pd.DataFrame({"k": [df["k"].sum()], "n": [df["n"].sum()]})
        )

    def monthly(self, segment):
        return None

    def model(self, window):
        return None


BASE_Q = {("A", "p1"): (792, 800), ("B", "p2"): (180, 200)}  # 97.2 %
DATA = {
    (2025, 1): BASE_Q,
    (2025, 2): BASE_Q,
    (2026, 1): {("A", "p1"): (495, 500), ("B", "p2"): (450, 500)},  # same rates, more of B: pure mix
    (2026, 2): {("A", "p1"): (720, 800), ("B", "p2"): (180, 200)},
}  # A 99 % -> 90 %: performance


def _rows(data) -> tuple[pd.DataFrame, rc.Evidence]:
    parts = rc.Evidence()
    rc.kpi_node_rows(NODE, FakeSource(data), 2026, 2, parts)
    return pd.DataFrame(parts.rows), parts


def test_change_split_into_quarters_offices_and_shortfall():
    rows, _ = _rows(DATA)
    # YTD 2025: 1944/2000 = 97.2 % -> 97.2/98×3.5 = 3.4714 -> 3.47; YTD 2026: 1845/2000 = 92.25 % -> 3.29.
    # at risk 3.5 - 3.29 = 0.21 = change 3.47 - 3.29 = 0.18 + shortfall 0.03.
    assert set(rows["points_to_explain"]) == {0.21}
    assert rows["points_explained"].sum() == pytest.approx(0.21)
    # pooled change -0.0495: Q1 (mix) -0.0135 -> share 0.2727, Q2 (office A performance) -0.036 -> 0.7273
    q1 = rows.loc[rows["period"] == "2026-Q1"].iloc[0]
    assert q1["mix_or_performance"] == "mix"
    assert q1["points_explained"] == pytest.approx(0.18 * 0.0135 / 0.0495, abs=1e-4)
    assert (
        q1["segment_dimension"] == "procedure_code" and q1["segment"] == "p2; p1"
    )  # B's share grew the most
    q2 = rows.loc[rows["period"] == "2026-Q2"]
    assert list(q2["segment"]) == ["A"]  # B did not change: no row
    a = q2.iloc[0]
    assert a["mix_or_performance"] == "performance"
    assert a["points_explained"] == pytest.approx(0.18 * 0.036 / 0.0495, abs=1e-4)  # 0.1309
    assert (a["measure_before"], a["measure_after"]) == (pytest.approx(99.0), pytest.approx(90.0))
    assert a["segment_share_of_change"] == pytest.approx(1.0)
    # shortfall 0.03 over the gap to 98 %: A 0.65×(0.98-1215/1300) = 0.0295, B 0.35×(0.98-0.9) = 0.028
    short = rows.loc[rows["mix_or_performance"] == "shortfall"].set_index("segment")
    assert short.loc["A", "points_explained"] == pytest.approx(0.03 * 0.0295 / 0.0575, abs=1e-4)
    assert short.loc["B", "points_explained"] == pytest.approx(0.03 * 0.028 / 0.0575, abs=1e-4)


def test_no_claim_for_a_period_without_data():
    # no 2025 data: nothing can be said about a change; the whole 0.21 points are a shortfall
    # and no row is adverse (so none can be significant)
    rows, parts = _rows({k: v for k, v in DATA.items() if k[0] == 2026})
    assert set(rows["mix_or_performance"]) == {"shortfall"}
    assert rows["points_explained"].sum() == pytest.approx(0.21)
    assert rows["measure_before"].isna().all() and not rows["is_adverse"].any()
    assert any("không có số liệu cùng kỳ" in n for n in parts.notes)
    # no 2026 data at all: no row, a note instead
    rows, parts = _rows({k: v for k, v in DATA.items() if k[0] == 2025})
    assert rows.empty and any("chưa có số liệu" in n for n in parts.notes)


def test_nothing_at_risk_gives_no_row():
    good = {k: BASE_Q for k in [(2025, 1), (2025, 2), (2026, 1), (2026, 2)]}  # 97.2 % < 98: shortfall only
    rows, _ = _rows(good)
    assert set(rows["mix_or_performance"]) == {"shortfall"}
    perfect = {k: {("A", "p1"): (100, 100)} for k in good}
    rows, _ = _rows(perfect)
    assert rows.empty


# ---------------------------------------------------------------- ranking, significance, text


def _table(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {c: [None] * n for c in rc.TABLE_COLUMNS if c != "rank"}
    base.update(cols)
    return pd.DataFrame(base)


def test_rank_by_points_not_by_significance_or_size():
    t = _table(
        code=["a", "b", "c", "d", "e"],
        points_explained=[0.1, np.nan, 0.5, 0.5, 0.05],
        is_significant=[True, True, False, True, True],
        change_pp=[-30.0, -50.0, -1.0, -2.0, -90.0],
    )
    out = rc.rank_causes_by_points(t)
    # 0.5 (significant first) > 0.5 > 0.1 > 0.05 (however large the change) > NaN last
    assert list(out["code"]) == ["d", "c", "a", "e", "b"]
    assert list(out["rank"]) == [1, 2, 3, 4, 5]


def test_significance_is_holm_over_the_table_and_adverse_only():
    # raw p 0.01, 0.02, 0.04 -> Holm 0.03, 0.04, 0.04; the improving row is never significant
    t = _table(p_value=[0.01, 0.02, 0.04, 0.001], is_adverse=[True, True, True, False])
    out = rc.significance(t, 0.05)
    assert list(out["p_adjusted"].round(3)) == [0.03, 0.04, 0.04, 0.004]
    assert list(out["is_significant"]) == [True, True, True, False]
    out = rc.significance(t.assign(p_value=[0.02, 0.03, 0.04, 0.5]), 0.05)  # Holm: 0.08, 0.08, 0.08
    assert not out["is_significant"].any()


def _row(**kw) -> dict:
    r = {c: None for c in rc.TABLE_COLUMNS}
    r.update(
        rank=1,
        code="3.3.2",
        name="Tỷ lệ hồ sơ đúng hạn",
        kind="at_risk",
        points_explained=0.05,
        points_to_explain=0.08,
        measure="on_time_pct",
        measure_label="Tỷ lệ hồ sơ đúng hạn",
        period="2026-Q3",
        period_label="Quý III/2026",
        base_period_label="Quý III/2025",
        measure_before=97.0,
        measure_after=96.0,
        change_pp=-1.0,
        p_value=0.2,
        p_adjusted=0.6,
        is_adverse=True,
        is_significant=False,
        segment_dimension="office_name",
        segment="Phòng A",
        segment_share_of_change=0.8,
        mix_or_performance="performance",
        owner_office="Văn phòng Sở",
        partner_offices="Phòng A",
        plan_tasks="10",
        task_status="Nhiệm vụ 10: Đúng tiến độ",
        action_text="",
        driver_terms="",
        evidence_note="",
        top_procedures="",
        signal_start=None,
    )
    r.update(kw)
    return r


def test_paragraph_is_honest_about_noise_and_association():
    text = cause_paragraph(_row())
    assert "chưa phân biệt được với dao động ngẫu nhiên" in text
    assert "vượt ngưỡng" not in text
    sig = cause_paragraph(
        _row(
            is_significant=True,
            p_adjusted=0.0004,
            driver_terms="phòng «Phòng A»: tỷ số chênh 3,00",
            signal_start="2026-08",
        )
    )
    assert "vượt ngưỡng dao động ngẫu nhiên (p hiệu chỉnh Holm < 0,001)" in sig
    assert "có liên quan (tương quan), chưa phải bằng chứng nhân quả" in sig
    assert "tháng 8/2026" in sig and "0,05 điểm" in sig and "96,0 %" in sig
    no_base = cause_paragraph(_row(measure_before=np.nan, change_pp=np.nan, is_adverse=False))
    assert "chưa có số liệu kỳ trước" in no_base and "dao động" not in no_base
    mix = cause_paragraph(
        _row(
            mix_or_performance="mix",
            segment_dimension="procedure_code",
            segment="p2",
            top_procedures="p2 Thủ tục khó",
        )
    )
    assert "cơ cấu hồ sơ" in mix and "không phải do xử lý chậm hơn" in mix


def test_year_over_year_paragraph_names_stage_reason_and_unclassified():
    r = _row(
        kind="year_over_year",
        period="2026",
        points_explained=0.25,
        stage="cut_at_appraisal",
        stage_detail="thẩm định (bị trừ điểm): 0,25 điểm",
        reason="Lý do lạ",
        reason_category="unclassified",
        reason_category_name="Chưa phân loại",
        measure="",
        measure_before=np.nan,
        measure_after=np.nan,
    )
    text = cause_paragraph(r)
    assert "giảm 0,25 điểm so với năm 2025" in text
    assert "chưa phân loại được" in text and "thẩm định" in text


def test_write_paragraphs_on_empty_and_small_result():
    empty = rc.RootCauseResult(
        rc.rank_causes_by_points(_table(code=[])), title_period="Quý III/2026", notes=["Ghi chú."]
    )
    out = write_paragraphs(empty)
    assert out[0].startswith("Không có tiêu chí") and out[-1] == "Ghi chú."
    res = rc.RootCauseResult(
        pd.DataFrame([_row(), _row(rank=2, points_explained=0.0, is_significant=False)]),
        title_period="Quý III/2026",
    )
    out = write_paragraphs(res)
    assert "2 nguyên nhân" in out[0] and "0 nguyên nhân có chỉ số xấu đi" in out[0]
    assert len(out) == 3 and out[1].startswith("1. Tiêu chí 3.3.2") and "Còn 1 nguyên nhân" in out[2]
    js = res.summary_json()
    assert js[0] == {
        "rank": 1,
        "code": "3.3.2",
        "name": "Tỷ lệ hồ sơ đúng hạn",
        "kind": "at_risk",
        "measure": "on_time_pct",
        "period": "2026-Q3",
        "segment": "Phòng A",
        "segment_dimension": "office_name",
        "office": "Phòng A",
        "points_explained": 0.05,
        "points_at_stake": None,
        "mix_or_performance": "performance",
        "significant": False,
    }
    # 12 year-over-year rows (annual): every one is listed, not only the top 10, so they add up
    yoy = rc.RootCauseResult(
        pd.DataFrame(
            [
                _row(rank=i, kind="year_over_year", points_explained=0.01 * i, is_significant=False)
                for i in range(1, 13)
            ]
        )
    )
    listed = yoy.summary_json()
    assert len(listed) == 12 and round(sum(c["points_explained"] for c in listed), 2) == 0.78


# ---------------------------------------------------------------- links, tasks, plot


def test_survey_factor_links_by_name():
    nodes = pd.DataFrame(
        {
            "code": ["8.1.3", "8.1.4", "8.2.3", "3.3.2"],
            "is_leaf": True,
            "method": ["survey", "survey", "survey", "766"],
            "name": [
                "Công chức trực tiếp giải quyết công việc",
                "Kết quả cung ứng dịch vụ",
                "Đánh giá về cải cách thủ tục hành chính",
                "Thủ tục hành chính",
            ],
        }
    )
    items = pd.DataFrame(
        {
            "factor_code": ["CC", "KQ", "TT"],
            "factor_name": [
                "Công chức trực tiếp giải quyết công việc",
                "Kết quả dịch vụ",
                "Thủ tục hành chính",
            ],
        }
    )
    # 8.2.3 has five words beyond "thủ tục hành chính" (> 2): not linked; 3.3.2 is not a survey node
    assert rc.survey_factor_links(nodes, items) == {"8.1.3": "CC", "8.1.4": "KQ"}


def test_task_status_text():
    progress = pd.DataFrame(
        {"task_no": [10, 11], "latest_status": ["Chậm tiến độ", None], "is_late": [True, False]}
    )
    assert task_status_text("10;11;99", progress) == (
        "Nhiệm vụ 10: Chậm tiến độ; nhiệm vụ 11: chưa cập nhật tiến độ; nhiệm vụ 99: không có trong danh sách"
    )
    assert task_status_text("", progress) == "Không gắn nhiệm vụ của Kế hoạch"
    assert task_status_text("10", None) == "Chưa có báo cáo tiến độ nhiệm vụ"


def test_plot_decomposition_labels(recwarn):
    from parlib.report.figures.rootcause import plot_decomposition

    rows, parts = _rows(DATA)
    res = rc.RootCauseResult(
        rc.rank_causes_by_points(rows),
        decomposition=pd.concat(parts.decomposition),
        summaries=pd.DataFrame(parts.summaries),
    )
    fig = plot_decomposition(res, "on_time_pct", "2026-Q2")
    ax = fig.axes[0]
    assert "Quý II/2026" in ax.get_title() and ax.get_xlabel() == "Đóng góp vào thay đổi của chỉ số (điểm %)"
    assert {t.get_text() for t in ax.get_yticklabels()} == {"A", "B"}
    # Q2: office A performance = (0.90 - 0.99) × 0.8 = -0.072 -> -7,2 points %
    assert "-7,20 điểm %" in fig.texts[0].get_text()
    assert not [w for w in recwarn if "Glyph" in str(w.message)]


def _monthly(rates_2026: dict[int, int]) -> pd.DataFrame:
    """12 months of 2025 at 98/100 (k varies 97-99, the centre line) and the given 2026 months
    (month -> on-time count of 100)."""
    rows = [(pd.Timestamp(2025, m, 1), 97 + m % 3, 100) for m in range(1, 13)]
    rows += [(pd.Timestamp(2026, m, 1), k, 100) for m, k in rates_2026.items()]
    return pd.DataFrame(rows, columns=["period_start", "k", "n"])


def test_signal_start_is_the_start_of_the_current_run_not_an_earlier_episode():
    from parlib.analysis.rootcause.evidence import _signal_start

    # an episode in February, normal March-June, a surge from July to September
    s = _monthly({1: 98, 2: 60, 3: 98, 4: 97, 5: 99, 6: 98, 7: 70, 8: 65, 9: 72})
    assert _signal_start(s, pd.Timestamp(2026, 7, 1), pd.Timestamp(2026, 9, 30)) == "2026-07"
    # the surge ended in August: September is back to normal -> no current signal
    s = _monthly({1: 98, 2: 60, 3: 98, 4: 97, 5: 99, 6: 98, 7: 70, 8: 65, 9: 98})
    assert _signal_start(s, pd.Timestamp(2026, 7, 1), pd.Timestamp(2026, 9, 30)) is None
    # a run that started before the window is dated from its first month
    s = _monthly({1: 98, 2: 98, 3: 98, 4: 97, 5: 99, 6: 70, 7: 70, 8: 65, 9: 72})
    assert _signal_start(s, pd.Timestamp(2026, 7, 1), pd.Timestamp(2026, 9, 30)) == "2026-06"


def test_year_end_stake_if_the_latest_quarter_continues():
    from parlib.analysis.rootcause.quarterly import year_end_stake

    # YTD 2026: 1845/2000; Q2 rate 900/1000 = 90 %; 6 months remain of 6 elapsed (no last-year
    # months): 2000 more dossiers at 90 % -> (1845 + 1800) / 4000 = 91,125 % ->
    # 91.125 / 98 × 3.5 = 3.2545 -> 3.25 points; at stake 3.5 - 3.25 = 0.25
    assert year_end_stake(NODE, FakeSource(DATA), 2026, 2, 1845, 2000) == pytest.approx(0.25)
    assert math.isnan(year_end_stake(NODE, FakeSource(DATA), 2026, 2, 0, 0))


def test_dated_deadline_is_a_future_working_day():
    from parlib.analysis.rootcause.finish import dated_deadline
    from parlib.core.calendar import WorkCalendar

    T = pd.Timestamp
    # plan date already past on 03/12/2026 -> end of next month: 31/01/2027 is a Sunday -> Fri 29/01
    assert dated_deadline(T("2026-09-30"), T("2026-12-03")) == T("2027-01-29")
    # a plan date still ahead and before that -> the plan date (20/12/2026 Sunday -> Fri 18/12)
    assert dated_deadline(T("2026-12-20"), T("2026-12-03")) == T("2026-12-18")
    # no plan date -> end of next month (30/11/2026 is a Monday)
    assert dated_deadline(pd.NaT, T("2026-10-15")) == T("2026-11-30")
    # a holiday on Friday 29/01/2027 in the working-day calendar -> Thursday 28/01
    cal = WorkCalendar(days_off=[T("2027-01-29")], makeup_days=[], years=[2026, 2027])
    assert dated_deadline(None, T("2026-12-03"), cal) == T("2027-01-28")
    # a quarterly action recovers 2026 points: due by 31/12/2026 (a Thursday) at the latest
    assert dated_deadline(None, T("2026-12-03"), cutoff=T("2026-12-31")) == T("2026-12-31")
    # ... a plan date before the cut-off stays; 31/12/2028 is a Sunday -> Friday 29/12/2028
    assert dated_deadline(T("2026-12-20"), T("2026-12-03"), cutoff=T("2026-12-31")) == T("2026-12-18")
    assert dated_deadline(None, T("2028-12-01"), cutoff=T("2028-12-31")) == T("2028-12-29")
    # a cut-off already past on the report date does not pull the deadline into the past
    assert dated_deadline(None, T("2027-01-10"), cutoff=T("2026-12-31")) == T("2027-02-26")
    # a cut-off later than the month after: no effect (report 15/10 -> 30/11)
    assert dated_deadline(None, T("2026-10-15"), cutoff=T("2026-12-31")) == T("2026-11-30")


def test_department_value_is_not_passed_off_as_the_office_value():
    """An office's action quoting a department-wide rate says so; an office row keeps its own."""
    from parlib.analysis.rootcause.finish import _action_inputs

    base = {"code": "3.4.1", "name": "PAKN", "measure": "feedback_on_time_pct", "owner_office": "Phòng B"}
    dept = _action_inputs({**base, "measure_after": 84.8}, {}, {"feedback_on_time_pct"}, "Sở")
    assert dept["value_pct"] == "84,8 % chung cả Sở" and dept["office"] == "Phòng B"
    # feedback rows name the offices that answered late but carry the unit's rate: still the unit's
    late = {**base, "measure_after": 84.8, "segment": "Phòng B", "segment_dimension": "office_name"}
    assert _action_inputs(late, {}, {"feedback_on_time_pct"}, "Sở")["value_pct"] == "84,8 % chung cả Sở"
    own = {
        **base,
        "measure": "on_time_pct",
        "measure_after": 86.7,
        "segment": "Phòng B",
        "segment_dimension": "office_name",
    }
    assert _action_inputs(own, {}, {"on_time_pct"}, "Sở")["value_pct"] == 86.7


def test_procedure_without_a_name_is_named_by_its_code_only():
    from parlib.analysis.rootcause.sources import DossierSource

    d = pd.DataFrame(
        {
            "procedure_code": pd.array(["1.000001", "9.999999", "9.999999"], dtype="str"),
            "procedure_name": pd.array(["Cấp phép xây dựng", None, None], dtype="str"),
        }
    )
    for frame in (d, d.astype("category")):
        src = DossierSource("on_time_pct", frame, None, None, {})
        assert src.names(["1.000001", "9.999999"]) == "1.000001 Cấp phép xây dựng; 9.999999"
