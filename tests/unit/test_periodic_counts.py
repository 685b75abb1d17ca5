"""One value per fact in the periodic report: the dossier counts (received, carried over,
judged, stale, late and unfinished) and the figure an action quotes for its office, hand-worked
on the cases of _periodic_cases.py (window «quý I năm 2026» = 15/12/2025 – 14/03/2026)."""

import _periodic_cases as P
import pandas as pd
import pytest

from parlib.analysis.periodic import office_rates, window_actions, window_dossiers
from parlib.ingest.windows import find_window, load_report_windows
from parlib.report.periodic_text import shortfall_text, volume_text

WINDOWS = load_report_windows(P.CONFIG / "report_windows.csv")
Q1 = find_window(WINDOWS, 2026, "q1")

# added to the cases' B, C, E, F, G (in the window) and A, D (out of it)
MORE = [
    # H: received 10/12/2025, finished 16/12 before its due 17/12 -> carried over, judged early
    dict(dossier_id="H", office_name="Phòng A", received_at="2025-12-10 09:00", due_at="2025-12-17 17:00",
         finished_at="2025-12-16 10:00"),
    # S: received 02/03/2026, unfinished in an export taken 05/03 and in no later one -> stale
    dict(dossier_id="S", office_name="Phòng A", received_at="2026-03-02 09:00", due_at="2026-03-20 17:00",
         snapshot_at="2026-03-05 00:00"),
    # T: received 01/12/2025, unfinished in an export taken 31/12/2025, never seen again -> stale,
    # carried over from before the window
    dict(dossier_id="T", office_name="Phòng B", received_at="2025-12-01 09:00", due_at="2025-12-05 17:00",
         snapshot_at="2025-12-31 00:00"),
    # M: received 02/03/2026, two supplement requests, due 20/03, unfinished at 14/03 -> late by
    # the 766 rule (multiple supplements) but not past its due date
    dict(dossier_id="M", office_name="Phòng B", received_at="2026-03-02 09:00", due_at="2026-03-20 17:00",
         supplement_count=2),
]  # fmt: skip


@pytest.fixture(scope="module")
def volume():
    return window_dossiers(P.dossiers(P.DOSSIERS + MORE), P.CAL, Q1)[3]


def test_received_carried_over_and_judged_add_up(volume):
    """Received in the window: B, G, C, E, F, S, M = 7; S has no outcome (stale) -> 6 judged.
    Carried over with an outcome: H = 1; without one: T = 1. Judged = 6 + 1 = 7."""
    v = volume
    assert (v["received"], v["received_judged"], v["stale_received"]) == (7, 6, 1)
    assert (v["carried_over"], v["stale_carried_over"]) == (1, 1)
    assert v["handled"] == 7 == v["received_judged"] + v["carried_over"]
    # finished by 14/03: H, B, G, E = 4; unfinished: C (pending, in time), F, M = 3
    assert (v["finished"], v["unfinished"]) == (4, 3)


def test_unfinished_late_and_overdue_are_two_named_facts(volume):
    """Late: G, E (finished after due), F (unfinished, due 09/01: overdue), M (multiple
    supplements, due 20/03: not overdue) = 4. Unfinished among them: F, M = 2; overdue: F = 1.
    One reason each: 2 + 1 + 1 = 4."""
    v = volume
    assert v["late"] == 4
    assert v["late_reasons"] == {"finished_after_due": 2, "multiple_supplements": 1, "overdue_unfinished": 1}
    assert sum(v["late_reasons"].values()) == v["late"]
    assert (v["late_unfinished"], v["overdue_unfinished"]) == (2, 1)
    assert v["overdue_unfinished"] == v["late_reasons"]["overdue_unfinished"]


def _summary(v: dict) -> dict:
    window = {"start": "2025-12-15", "end": "2026-03-14", "year": 2026, "label": "quý I năm 2026"}
    return {"window": window, "dossiers": v}


def test_section_one_says_each_count_once(volume):
    text = " ".join(volume_text(_summary(volume), "Sở"))
    assert "Sở tiếp nhận 7 hồ sơ thủ tục hành chính (1 hồ sơ trong số này chưa xác định được" in text
    assert (
        "là 7 hồ sơ, gồm 6 hồ sơ tiếp nhận trong kỳ và 1 hồ sơ của kỳ trước chuyển sang "
        "(tiếp nhận trước ngày 15/12/2025" in text
    )
    assert "4 hồ sơ trễ hạn (trong đó 2 hồ sơ đến ngày cuối kỳ chưa giải quyết xong)" in text
    assert (
        "Có 1 hồ sơ tiếp nhận trong kỳ và 1 hồ sơ tiếp nhận trước ngày 15/12/2025 chưa giải quyết xong"
        in text
    )
    assert "quá hạn" not in text  # section I does not call the multiple-supplement case overdue


def test_section_three_reasons_add_up_to_the_late_count(volume):
    """4 late = 1 multiple supplements + 2 other finished after due + 1 other overdue unfinished."""
    s = _summary(volume)
    s["kpis"] = {
        "on_time_pct": {"label": "Tỷ lệ đúng hạn", "pct": 57.14, "numerator": 4, "denominator": 7,
                        "status": "missed", "target_pct": 98.0, "comparison": ">=", "gap": ""},
    }  # fmt: skip
    sf = {"kpi": "on_time_pct", "where": [], "reasons": volume["late_reasons"]}
    line = next(t for t in shortfall_text(sf, s) if t.startswith("Theo số liệu"))
    assert line == (
        "Theo số liệu, 4 hồ sơ trễ hạn gồm: 1 hồ sơ yêu cầu bổ sung quá một lần (Bộ chỉ số 766 tính là "
        "trễ hạn, dù đã giải quyết xong hay chưa); 2 hồ sơ khác giải quyết xong sau ngày hẹn trả; "
        "1 hồ sơ khác đến ngày cuối kỳ chưa giải quyết xong và đã quá hạn."
    )


@pytest.fixture(scope="module")
def figures():
    return P.figures_q1()


def test_office_rates_are_the_office_tables():
    """Phòng A on time: B, C of B, C = 2/2; Phòng B: G, E, F all late = 0/3. PAKN: Phòng A P2
    on time 1/1, Phòng B P3 late 0/1. Tasks on time: Văn phòng Sở T1 of T1, T2 = 1/2; Phòng B
    none of T3, T4 = 0/2."""
    c, *_ = window_dossiers(P.dossiers(), P.CAL, Q1)
    from parlib.analysis.periodic import window_feedback, window_tasks

    _, fb = window_feedback(P.feedback(), P.CAL, Q1)
    _, _, by, _, _ = window_tasks(P.tasks(), Q1)
    r = office_rates(c, fb, by).set_index(["kpi", "office"])
    assert r.loc[("on_time_pct", "Phòng A"), ["k", "n"]].tolist() == [2, 2]
    assert r.loc[("on_time_pct", "Phòng B"), ["k", "n"]].tolist() == [0, 3]
    assert r.loc[("feedback_on_time_pct", "Phòng B"), ["k", "n"]].tolist() == [0, 1]
    assert r.loc[("tasks_on_time_pct", "Văn phòng Sở"), ["k", "n", "pct"]].tolist() == [1, 2, 50.0]
    assert r.loc[("tasks_on_time_pct", "Phòng B"), ["k", "n"]].tolist() == [0, 2]


def test_an_action_quotes_its_own_office_not_the_department(figures):
    """The department: on time 2/5 = 40 %, PAKN 1/2 = 50 %, tasks 1/4 = 25 %. The owner of each
    shortfall is Phòng B: 0/3, 0/1 and 0/2 = 0,0 % each."""
    a = figures.actions.set_index("kpi")
    assert "(hiện đạt 0,0 %, chỉ tiêu 98,0 %)" in a.loc["on_time_pct", "action_text"]
    assert "tỷ lệ đúng hạn hiện đạt 0,0 %" in a.loc["feedback_on_time_pct", "action_text"]
    assert "(hiện 0,0 % nhiệm vụ đúng tiến độ)" in a.loc["tasks_on_time_pct", "action_text"]
    assert not any("40,0 %" in t or "50,0 %" in t or "25,0 %" in t for t in a["action_text"])


def test_an_owner_without_a_figure_of_its_own_is_left_to_the_analyst(figures):
    item = {**next(s for s in figures.shortfalls if s["kpi"] == "on_time_pct"), "owner": "Phòng Z"}
    rates = pd.DataFrame({"kpi": ["on_time_pct"], "office": ["Phòng A"], "k": [2], "n": [2], "pct": [100.0]})
    plan = P.tasks().drop_duplicates("task_no")
    got = window_actions([item], P.ACTION_RULES, plan, WINDOWS, Q1, rates).iloc[0]
    assert got["owner"] == "Phòng Z" and not got["is_drafted"] and got["action_text"] == ""
