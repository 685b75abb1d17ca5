"""The leader summary's change lines add up to the printed change (hand-built causes)."""

from __future__ import annotations

import pandas as pd

from parlib.analysis.rootcause.evidence import TABLE_COLUMNS, RootCauseResult
from parlib.report.leader import change_lines, why


def _row(code: str, pts: float, **kw) -> dict:
    r = {c: None for c in TABLE_COLUMNS}
    r.update(
        code=code,
        name=f"Tiêu chí {code}",
        kind="year_over_year",
        points_explained=pts,
        owner_office="Phòng A",
    )
    r.update(action_text="Phòng A: bổ sung tài liệu kiểm chứng.", action_deadline="29/01/2027", **kw)
    return r


def test_change_lines_group_the_rest_and_add_up():
    rows = [_row(f"1.{i}", p) for i, p in enumerate([0.50, 0.40, 0.30, 0.20, 0.10, 0.05, 0.03], start=1)]
    rec = {
        "base_total": 90.0, "target_total": 89.28, "total_change": -0.72, "decreases": -1.58, "n_decreases": 7,
        "increases": 0.61, "n_increases": 3, "framework_effect": 0.25, "bonus_penalty_change": 0.0, "rounding": 0.0,
    }  # fmt: skip
    res = RootCauseResult(pd.DataFrame(rows), reconciliation=rec)
    t, _ = change_lines(res, n=7)
    # 7 lines at most before the total: increases and framework take 2, "other falls" 1 -> 4 shown
    body = t.iloc[:-1]
    assert len(body) == 7 and body.iloc[:4]["Điểm"].tolist() == ["-0,50", "-0,40", "-0,30", "-0,20"]
    # the other three falls: -1,58 - (-1,40) = -0,18
    assert body.iloc[4]["Điểm"] == "-0,18" and "3 tiêu chí" in body.iloc[4]["Khoản (tiêu chí): vì sao"]
    assert body.iloc[5]["Điểm"] == "+0,61" and body.iloc[6]["Điểm"] == "+0,25"
    assert t.iloc[-1]["Điểm"] == "-0,72" and t.iloc[0]["Việc cần làm"] == "Bổ sung tài liệu kiểm chứng."


def test_why_is_plain():
    r = _row(
        "3.3.3", 0.5, measure_label="Tỷ lệ hồ sơ trễ hạn có văn bản xin lỗi", measure_before=100.0,
        measure_after=60.7, base_period_label="cùng kỳ năm 2025", period_label="9 tháng đầu năm 2026",
        segment="Phòng B", segment_dimension="office_name", is_adverse=True, p_value=0.001,
    )  # fmt: skip
    text = why(r)
    assert text == (
        "Tỷ lệ hồ sơ trễ hạn có văn bản xin lỗi của Phòng B giảm từ 100,0 % (cùng kỳ năm 2025) xuống 60,7 % "
        "(9 tháng đầu năm 2026)."
    )
    assert "p" not in text.split() and "Holm" not in text


def test_leader_causes_prefer_the_latest_quarter_and_drop_past_quarters():
    from parlib.analysis.rootcause.leader import leader_causes

    def r(code, period, seg, sig, rank):
        x = _row(
            code, 0.1, period=period, segment=seg, segment_dimension="office_name", measure="on_time_pct"
        )
        x.update(is_significant=sig, rank=rank, kind="at_risk")
        return x

    t = pd.DataFrame(
        [
            r("3.3.2", "2026-YTD", "Phòng A", True, 1),  # the same office over the year to date
            r("3.3.2", "2026-Q3", "Phòng A", True, 2),  # ... and in the latest quarter: this one
            r("3.3.3", "2026-Q1", "Phòng B", True, 3),  # a past quarter: not an action line
            r("3.3.3", "2026-YTD", "Phòng C", False, 4),
        ]
    )
    out = leader_causes(t)
    assert list(zip(out["code"], out["period"])) == [("3.3.2", "2026-Q3"), ("3.3.3", "2026-YTD")]


def test_printed_base_total_shown_beside_the_recomputed_one():
    """Base year's criteria add up to 89,17 while its scoresheet printed 89,42: the summary names
    both and the 0,25 difference; equal (to 0,005) or absent printed totals add nothing."""
    from types import SimpleNamespace

    from parlib.report.leader import _printed_base_note

    comp = SimpleNamespace(base_year=2025, base_printed_total=89.42)
    note = _printed_base_note(comp, 89.17)
    assert "bảng điểm năm 2025 in tổng 89,42 điểm" in note and "chênh 0,25 điểm" in note
    assert _printed_base_note(SimpleNamespace(base_year=2025, base_printed_total=89.174), 89.17) == ""
    assert _printed_base_note(SimpleNamespace(base_year=2025, base_printed_total=None), 89.17) == ""


def test_quarterly_action_lines_add_up_to_the_points_at_stake():
    """Six sub-criteria at stake 0,50 + 0,30 + 0,20 + 0,10 (the four first actions) + 1,50 + 0,90
    (ranked after them) = 3,50: the page names the two others with their 2,40 points and the total."""
    from parlib.report.leader import actions_table, stake_rest_lines, year_end_stake_total

    stakes = {"3.3.2": 0.5, "3.3.3": 0.3, "8.3.1": 0.2, "8.1.3": 0.1, "3.4.1": 1.5, "7.3.1": 0.9}
    rows = []
    for rank, (code, st) in enumerate(stakes.items(), start=1):
        r = _row(
            code, 0.1, kind="at_risk", period="2026-Q3", segment="Phòng A", segment_dimension="office_name"
        )
        r.update(points_at_stake=st, rank=rank, is_significant=rank <= 4, measure="on_time_pct")
        rows.append(r)
    rc = RootCauseResult(pd.DataFrame(rows))
    assert year_end_stake_total(rc) == 3.5
    acts = actions_table(rc, points="points_at_stake", points_label="Điểm", n=4)
    rest = stake_rest_lines(rc, 3.5, list(acts.columns), n=4)
    assert acts["Điểm"].tolist() == ["0,50", "0,30", "0,20", "0,10"]
    assert rest["Điểm"].tolist() == ["2,40", "3,50"]
    assert rest.iloc[0, 1].startswith("Các tiêu chí khác (2): 3.4.1 (1,50), 7.3.1 (0,90)")


def test_procedure_names_without_codes_for_leaders():
    from parlib.core.text import without_procedure_codes

    assert without_procedure_codes("1.009972 Cấp giấy phép xây dựng; 1.003758 Cấp chứng chỉ") == (
        "Cấp giấy phép xây dựng; Cấp chứng chỉ"
    )
    assert without_procedure_codes("1.009972") == "1.009972"  # a code without a name stays
    r = _row("3.3.2", 0.2, measure_label="Tỷ lệ hồ sơ đúng hạn", measure_before=98.0, measure_after=90.0,
             period_label="quý III/2026", base_period_label="quý III/2025", segment="Phòng A",
             segment_dimension="office_name", top_procedures="1.009972 Cấp giấy phép xây dựng")  # fmt: skip
    assert why(r).endswith("tập trung ở thủ tục «Cấp giấy phép xây dựng».") and "1.009972" not in why(r)
