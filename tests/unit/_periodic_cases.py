"""Hand-built inputs of the periodic-report tests (window «quý I năm 2026» = 15/12/2025 – 14/03/2026)
and their expected counts, worked out by hand (see each case's comment). Calendar: the shipped
data/raw/config/holidays.csv (no day off in December 2025; 01/01/2026 and 16–20/02/2026 off).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import OUTPUT_COLUMNS
from parlib.ingest.readers import read_csv_table
from parlib.ingest.rules import load_action_rules
from parlib.model.survey import SurveyData

PROJECT = Path(__file__).resolve().parents[2]
CONFIG = PROJECT / "data" / "raw" / "config"
CAL = load_calendar(CONFIG / "holidays.csv")
TARGETS = read_csv_table(CONFIG / "targets.csv")
ACTION_RULES = load_action_rules(CONFIG / "action_rules.csv")

# office "Phòng A": B, C, D; office "Phòng B": E, F, G
DOSSIERS = [
    # A: received 14/12/2025 and finished the same day -> before the window: out of it
    dict(dossier_id="A", office_name="Phòng A", received_at="2025-12-14 08:00", due_at="2025-12-19 17:00",
         finished_at="2025-12-14 16:00"),
    # B: received 15/12/2025 (first day of the window), finished 18/12 before its due 19/12 -> early
    dict(dossier_id="B", office_name="Phòng A", received_at="2025-12-15 09:00", due_at="2025-12-19 17:00",
         finished_at="2025-12-18 10:00"),
    # G: received 16/12/2025, due 22/12, finished 23/12 -> late, no apology (owes one)
    dict(dossier_id="G", office_name="Phòng B", received_at="2025-12-16 09:00", due_at="2025-12-22 17:00",
         finished_at="2025-12-23 10:00"),
    # C: received 14/03/2026 (last day of the window), due 20/03, finished 19/03: at 14/03 still
    # in time -> "pending_on_time" (counted on time); in the calendar quarter: early
    dict(dossier_id="C", office_name="Phòng A", received_at="2026-03-14 09:00", due_at="2026-03-20 17:00",
         finished_at="2026-03-19 10:00"),
    # D: received 15/03/2026 -> after the window; in the calendar quarter: on time (due day)
    dict(dossier_id="D", office_name="Phòng A", received_at="2026-03-15 09:00", due_at="2026-03-20 17:00",
         finished_at="2026-03-20 10:00"),
    # E: due 11/03, finished 13/03 -> late; apology sent 10/03 (has one)
    dict(dossier_id="E", office_name="Phòng B", received_at="2026-03-09 09:00", due_at="2026-03-11 17:00",
         finished_at="2026-03-13 10:00", apology_at="2026-03-10 09:00"),
    # F: due 09/01, finished only 20/03 -> at 14/03 unfinished and overdue (late, owes an apology)
    dict(dossier_id="F", office_name="Phòng B", received_at="2026-01-05 09:00", due_at="2026-01-09 17:00",
         finished_at="2026-03-20 10:00"),
]  # fmt: skip

_DATES = (
    "received_at",
    "due_at",
    "supplement_requested_at",
    "supplement_completed_at",
    "finished_at",
    "returned_at",
    "stopped_at",
    "apology_at",
    "rescheduled_due_at",
    "expected_due_at",
    "snapshot_at",
)


def dossiers(rows=DOSSIERS) -> pd.DataFrame:
    """Dossiers with every ingestion column (as read_dossier_exports returns them)."""
    base = {
        "procedure_code": "1.000001",
        "procedure_name": "TTHC A",
        "field_name": "Xây dựng",
        "channel": 1,
        "supplement_count": 0,
        "reschedule_count": 0,
        "status": "Đã xử lý xong",
        "status_code": "finished",
        "deadline_value": 5.0,
        "deadline_unit": "working_days",
        "after_15h": False,
        "fee_vnd": 0.0,
        "has_paper_result": True,
        "in_catalogue": True,
        "is_digitised": True,
        "has_e_result": True,
        "is_paid_online": False,
        "source_file": "t.xlsx",
    }
    recs = []
    for i, r in enumerate(rows):
        rec = {**base, **r, "source_row": i + 5}
        for c in _DATES:
            rec[c] = pd.Timestamp(rec[c]) if rec.get(c) else pd.NaT
        recs.append(rec)
    df = pd.DataFrame(recs).reindex(columns=OUTPUT_COLUMNS)
    for c in ("channel", "supplement_count", "reschedule_count"):
        df[c] = df[c].astype("Int64")
    for c in ("is_digitised", "has_e_result", "is_paid_online", "after_15h", "has_paper_result"):
        df[c] = df[c].astype("boolean")
    for c in _DATES:
        df[c] = df[c].astype("datetime64[us]")
    return df


def feedback() -> pd.DataFrame:
    """P1 14/12/2025 (out); P2 15/12/2025 answered 19/12 (4 working days: on time); P3 05/01/2026
    answered 02/03 (more than 15 working days: late); P4 10/03 unanswered at 14/03 (3 working
    days: pending); P5 15/03 (out). In the window: 3 received, 2 judged, 1 on time, 1 pending."""
    rows = [
        ("P1", "2025-12-14 09:00", None, "Phòng A"),
        ("P2", "2025-12-15 09:00", "2025-12-19 09:00", "Phòng A"),
        ("P3", "2026-01-05 09:00", "2026-03-02 09:00", "Phòng B"),
        ("P4", "2026-03-10 09:00", None, "Phòng B"),
        ("P5", "2026-03-15 09:00", "2026-03-16 09:00", "Phòng A"),
    ]
    df = pd.DataFrame(
        {
            "feedback_id": [r[0] for r in rows],
            "received_at": pd.to_datetime([r[1] for r in rows]),
            "answered_at": pd.to_datetime([r[2] for r in rows]),
            "office_name": [r[3] for r in rows],
            "category": "Thủ tục hành chính",
            "is_classified": True,
            "content": "",
            "transferred_at": pd.NaT,
            "published_at": pd.NaT,
            "likes": 0,
            "dislikes": 0,
            "is_recomplaint": False,
        }
    )
    for c in ("received_at", "answered_at", "transferred_at", "published_at"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[us]")
    return df


def tasks() -> pd.DataFrame:
    """At 14/03/2026: T1 due 10/03 done; T2 due 31/03 reported behind (late, not due); T3 no date
    and no update (not updated); T4 due 27/02 on track but past due (late). Due: T1, T4; due and
    done: T1; late: T2, T4; on time (the plan's KPI): T1 -> 1/4."""
    rows = [
        (1, "Nhiệm vụ một", "Văn phòng Sở", "2026-03-10", "Hoàn thành"),
        (2, "Nhiệm vụ hai", "Văn phòng Sở", "2026-03-31", "Chậm tiến độ"),
        (3, "Nhiệm vụ ba", "Phòng B", None, None),
        (4, "Nhiệm vụ bốn", "Phòng B", "2026-02-27", "Đúng tiến độ"),
    ]
    df = pd.DataFrame(
        {
            "task_no": [r[0] for r in rows],
            "task_name": [r[1] for r in rows],
            "lead_office": [r[2] for r in rows],
            "partners": "",
            "time_frame": "Quý I/2026",
            "product": "",
            "due_date": pd.to_datetime([r[3] for r in rows]).astype("datetime64[us]"),
            "status": [r[4] for r in rows],
            "updated_at": pd.to_datetime(["2026-03-12" if r[4] else None for r in rows]).astype(
                "datetime64[us]"
            ),
            "status_period": ["2026-Q1" if r[4] else None for r in rows],
            "note": "",
        }
    )
    return df


def survey() -> SurveyData:
    """R1 14/12/2025 (out); R2 15/12/2025 overall 5 (satisfied); R3 14/03/2026 overall 3; R4
    15/03 (out); R5 no date (left out, counted); R6 01/02 no overall answer. Overall: 1/2,
    3 respondents, 1 undated. Factor F1 answers in the window: R2 5, 4; R3 2; R6 4 -> 3/4."""
    resp = pd.DataFrame(
        {
            "respondent_key": ["R1", "R2", "R3", "R4", "R5", "R6"],
            "surveyed_at": pd.to_datetime(
                ["2025-12-14", "2025-12-15", "2026-03-14", "2026-03-15", None, "2026-02-01"]
            ).astype("datetime64[us]"),
            "overall": [5.0, 5.0, 3.0, 5.0, 5.0, float("nan")],
        }
    )
    ans = pd.DataFrame(
        {
            "respondent_key": ["R1", "R2", "R2", "R3", "R6", "R4"],
            "factor_code": "F1",
            "item_code": ["I1", "I1", "I2", "I1", "I1", "I1"],
            "answer": [1.0, 5.0, 4.0, 2.0, 4.0, 1.0],
        }
    )
    return SurveyData(responses=resp, answers=ans)


SURVEY_ITEMS = pd.DataFrame({"factor_code": ["F1"], "factor_name": ["Tiếp cận dịch vụ"]})


def figures_q1(**kw):
    """:func:`parlib.analysis.periodic.window_figures` of «quý I năm 2026» on every case above
    (keyword arguments replace an input)."""
    from parlib.analysis.periodic import window_figures
    from parlib.ingest.windows import find_window, load_report_windows

    windows = load_report_windows(CONFIG / "report_windows.csv")
    inputs = dict(
        dossiers=dossiers(),
        calendar=CAL,
        kpi_rules=None,
        targets=TARGETS,
        feedback=feedback(),
        tasks=tasks(),
        survey=survey(),
        survey_items=SURVEY_ITEMS,
        action_rules=ACTION_RULES,
    )
    return window_figures(find_window(windows, 2026, "q1"), windows, **{**inputs, **kw})
