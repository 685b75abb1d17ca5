"""The KPI table on DuckDB (parlib.analysis.kpi_sql) on a tiny hand-built set: expected values worked
out by hand from the 766 rules, and the same frame as the pandas implementation.

Calendar (2026 only): Tết 16–20/02/2026 off, 30/04–03/05 off, 29/08–02/09 off, make-up Saturday
22/08/2026. Dossiers (received, due at 17:00, what happened):

    A  05/01  09/01  returned Thu 08/01                        early               channel 2
    B  05/01  09/01  finished Fri 09/01 17:30                  on time (same day)  channel 2
    C  05/01  09/01  returned Mon 12/01, apology Wed 07/01     late, apology on time (≤ 08/01)
    D  05/01  09/01  supplement 06/01 → 09/01: pause 3 wd → allowed Wed 14/01; returned 13/01: early
    E  05/01  09/01  two supplement requests, returned 08/01   late (the "> 1 request" convention),
                                                               owes no apology (ended in time)
    F  23/03  30/03  open; apology 30/03, rescheduled once     late at 31/03, apology not on time
    G  26/03  02/04  open; rescheduled twice                   pending (in time) at 31/03
    H  13/02  27/02  supplement 13/02 → Mon 23/02: pause = wd in (13/02, 23/02] = 1 (Tết, weekends)
                     → allowed Mon 02/03; returned 02/03        Feb: open, in time; Mar: on time
    J  2025          returned 04/12/2025                       in no 2026 period
    K  02/04         open                                      received after Q1
    (test_stale_and_hours: a stale open dossier and a deadline in hours)
"""

import numpy as np
import pandas as pd
import pytest

from parlib.analysis import kpi_sql
from parlib.analysis.kpi_table import kpi_table
from parlib.core.errors import ConfigError
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import OUTPUT_COLUMNS

HOLIDAYS = """year,start_date,end_date,holiday,kind
2026,2026-01-01,2026-01-01,Tết Dương lịch,off_1_day
2026,2026-02-16,2026-02-20,Tết Nguyên đán,off_block_civil_servants
2026,2026-04-30,2026-05-03,30/4 + 1/5,off_block
2026,2026-08-29,2026-09-02,Quốc khánh,off_block_civil_servants
2026,2026-08-22,2026-08-22,làm bù,working_saturday
"""
DATES = [c for c in OUTPUT_COLUMNS if c.endswith("_at")]


@pytest.fixture(scope="module")
def cal(tmp_path_factory):
    path = tmp_path_factory.mktemp("cal") / "holidays.csv"
    path.write_text(HOLIDAYS, encoding="utf-8")
    return load_calendar(path)


def frame(rows):
    base = {
        "procedure_code": "1.000001",
        "procedure_name": "TTHC A",
        "field_name": "Xây dựng",
        "office_name": "Phòng A",
        "channel": 1,
        "supplement_count": 0,
        "reschedule_count": 0,
        "status": "Đang xử lý",
        "status_code": "in_progress",
        "deadline_value": 5.0,
        "deadline_unit": "working_days",
        "after_15h": False,
        "fee_vnd": 0.0,
        "has_paper_result": True,
        "in_catalogue": True,
        "is_digitised": False,
        "has_e_result": False,
        "is_paid_online": False,
        "source_file": "t.xlsx",
    }
    recs = []
    for i, r in enumerate(rows):
        rec = {**base, **r, "source_row": i + 5}
        for c in DATES:
            rec[c] = pd.Timestamp(rec[c]) if rec.get(c) else pd.NaT
        if rec["returned_at"] is not pd.NaT:
            rec["status_code"] = "returned"
        recs.append(rec)
    df = pd.DataFrame(recs).reindex(columns=OUTPUT_COLUMNS)
    for c in ("channel", "supplement_count", "reschedule_count"):
        df[c] = df[c].astype("Int64")
    for c in ("is_digitised", "has_e_result", "is_paid_online", "after_15h", "has_paper_result"):
        df[c] = df[c].astype("boolean")
    for c in DATES:
        df[c] = df[c].astype("datetime64[us]")
    for c in ("procedure_code", "procedure_name", "field_name", "office_name", "status_code"):
        df[c] = df[c].astype("str")
    return df


JAN5, DUE9 = "2026-01-05 09:00", "2026-01-09 17:00"
CASES = [
    dict(dossier_id="A", received_at=JAN5, due_at=DUE9, returned_at="2026-01-08 10:00", channel=2),
    dict(
        dossier_id="B",
        received_at=JAN5,
        due_at=DUE9,
        finished_at="2026-01-09 17:30",
        status_code="finished",
        channel=2,
    ),
    dict(
        dossier_id="C",
        received_at=JAN5,
        due_at=DUE9,
        returned_at="2026-01-12 09:00",
        apology_at="2026-01-07",
        channel=2,
    ),
    dict(
        dossier_id="D",
        received_at=JAN5,
        due_at=DUE9,
        supplement_count=1,
        supplement_requested_at="2026-01-06 10:00",
        supplement_completed_at="2026-01-09 08:00",
        returned_at="2026-01-13 10:00",
    ),
    dict(
        dossier_id="E",
        received_at=JAN5,
        due_at=DUE9,
        supplement_count=2,
        supplement_requested_at="2026-01-06 10:00",
        supplement_completed_at="2026-01-07 08:00",
        returned_at="2026-01-08 10:00",
    ),
    dict(
        dossier_id="F",
        received_at="2026-03-23 09:00",
        due_at="2026-03-30 17:00",
        apology_at="2026-03-30 08:00",
        reschedule_count=1,
        channel=3,
    ),
    dict(
        dossier_id="G",
        received_at="2026-03-26 09:00",
        due_at="2026-04-02 17:00",
        reschedule_count=2,
        channel=2,
    ),
    dict(
        dossier_id="H",
        received_at="2026-02-13 09:00",
        due_at="2026-02-27 17:00",
        supplement_count=1,
        supplement_requested_at="2026-02-13 11:00",
        supplement_completed_at="2026-02-23 09:00",
        returned_at="2026-03-02 15:00",
        channel=2,
    ),
    dict(
        dossier_id="J",
        received_at="2025-12-01 09:00",
        due_at="2025-12-05 17:00",
        returned_at="2025-12-04 09:00",
    ),
    dict(dossier_id="K", received_at="2026-04-02 09:00", due_at="2026-04-09 17:00"),
]
PROCEDURES = pd.DataFrame(
    {
        "procedure_code": pd.array(["1.000001", "1.000002"], dtype="str"),
        "procedure_name": pd.array(["TTHC A", "TTHC B"], dtype="str"),
        "field_name": pd.array(["Xây dựng", "Đất đai"], dtype="str"),
        "office_name": pd.array(["Phòng A", "Phòng B"], dtype="str"),
    }
)


@pytest.fixture(scope="module")
def table(cal):
    t = kpi_sql.kpi_table(frame(CASES), cal, 2026, 1, procedures=PROCEDURES)
    return t.set_index(["period", "dimension", "group", "kpi"])


def kn(t, period, kpi, dimension="all", group="Tất cả"):
    row = t.loc[(period, dimension, group, kpi)]
    return int(row["k"]), int(row["n"])


def test_on_time_each_period_by_hand(table):
    # January: A early, B on time, C late, D early, E late -> 3 of 5 on time (2 early, 2 late)
    assert kn(table, "2026-01", "on_time_pct") == (3, 5)
    assert kn(table, "2026-01", "early_pct") == (2, 5)
    assert kn(table, "2026-01", "late_pct") == (2, 5)
    # February: only H, open at 28/02, allowed 02/03 (pause 1 wd) -> pending, counted on time
    assert kn(table, "2026-02", "on_time_pct") == (1, 1)
    # March: H on time (returned on its allowed day), F overdue, G pending -> 2 of 3
    assert kn(table, "2026-03", "on_time_pct") == (2, 3)
    assert kn(table, "2026-03", "late_pct") == (1, 3)
    # the quarter and the year to date: A, B, D, G, H of A–H
    assert kn(table, "2026-Q1", "on_time_pct") == (5, 8)
    assert kn(table, "2026-YTD", "on_time_pct") == (5, 8)
    assert kn(table, "2026-Q1", "late_pct") == (3, 8)


def test_apology_and_reschedule_by_hand(table):
    # owed by C (finished late) and F (overdue open); not by E (late only by convention)
    assert kn(table, "2026-Q1", "apology_pct") == (2, 2)
    # C's letter 07/01 ≤ 09/01 − 1 day; F's 30/03 is the due day itself
    assert kn(table, "2026-Q1", "apology_on_time_pct") == (1, 2)
    assert kn(table, "2026-01", "apology_on_time_pct") == (1, 1)
    assert kn(table, "2026-03", "apology_on_time_pct") == (0, 1)
    # rescheduled: F once, G twice (a violation)
    assert kn(table, "2026-Q1", "reschedule_violation_pct") == (1, 2)
    assert kn(table, "2026-01", "reschedule_violation_pct") == (0, 0)


def test_groups_by_hand(table):
    # channel 1: D on time, E late; channel 2: A, B, G, H on time, C late; channel 3: F late
    assert kn(table, "2026-Q1", "on_time_pct", "channel", "1") == (1, 2)
    assert kn(table, "2026-Q1", "on_time_pct", "channel", "2") == (4, 5)
    assert kn(table, "2026-Q1", "on_time_pct", "channel", "3") == (0, 1)
    # the catalogue's office and procedure without dossiers: shown, "không áp dụng"
    row = table.loc[("2026-Q1", "office_name", "Phòng B", "on_time_pct")]
    assert (row["k"], row["n"], row["pct_text"]) == (0, 0, "không áp dụng") and np.isnan(row["pct"])
    assert table.loc[("2026-Q1", "procedure_code", "1.000002", "on_time_pct"), "group_name"] == "TTHC B"
    # every dossier's status and dates agree: 8 of 8 updated; online share: no e-result -> 0 of 8
    assert kn(table, "2026-Q1", "system_updated_pct") == (8, 8)
    assert kn(table, "2026-Q1", "online_pct") == (0, 8)


def test_equals_the_pandas_table(cal):
    df = frame(CASES)
    got = kpi_sql.kpi_table(df, cal, 2026, 1, procedures=PROCEDURES)
    ref = kpi_table(df, cal, 2026, 1, procedures=PROCEDURES)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert len(got) == len(ref) and got["kpi"].nunique() == 12


def test_stale_and_hours(cal):
    """S: open in an export whose snapshot (31/01) is before the period end -> unknown, out of
    the processing denominators. U (hours): due 09/01 10:00, finished 09/01 11:00 -> late by the
    instant (a day unit would be on time)."""
    rows = [
        dict(
            dossier_id="S",
            received_at="2026-01-06 09:00",
            due_at="2026-01-13 17:00",
            snapshot_at="2026-01-31",
        ),
        dict(
            dossier_id="U",
            received_at="2026-01-08 09:00",
            due_at="2026-01-09 10:00",
            finished_at="2026-01-09 11:00",
            status_code="finished",
            deadline_unit="hours",
        ),
    ]
    t = kpi_sql.kpi_table(frame(rows), cal, 2026, 1).set_index(["period", "dimension", "group", "kpi"])
    # S is stale in every period (its snapshot 31/01 is before the day after each period end)
    assert kn(t, "2026-01", "on_time_pct") == (0, 1)  # only U, late
    assert kn(t, "2026-Q1", "on_time_pct") == (0, 1)
    assert kn(t, "2026-Q1", "system_updated_pct") == (1, 1)
    pd.testing.assert_frame_equal(
        kpi_sql.kpi_table(frame(rows), cal, 2026, 1), kpi_table(frame(rows), cal, 2026, 1), check_exact=True
    )


def test_handling_satisfaction_never_below_zero(cal):
    """V: finished late (due 09/01, finished 13/01) and rated "Không hài lòng": 766 5.4 counts it
    once as late and once as disliked, 1 − 1 − 1 = −1 for its office; the table shows k = 0 of
    n = 1 (0 %), as dossier_kpis does, never −100 %."""
    rows = [
        dict(
            dossier_id="V",
            received_at=JAN5,
            due_at=DUE9,
            finished_at="2026-01-13 10:00",
            status_code="finished",
            citizen_rating="Không hài lòng",
        )
    ]
    for table in (kpi_sql.kpi_table(frame(rows), cal, 2026, 1), kpi_table(frame(rows), cal, 2026, 1)):
        t = table.set_index(["period", "dimension", "group", "kpi"])
        assert kn(t, "2026-01", "handling_satisfaction_pct") == (0, 1)
        assert t.loc[("2026-01", "office_name", "Phòng A", "handling_satisfaction_pct"), "pct"] == 0


def test_pause_in_a_year_without_holidays_is_refused_as_in_pandas(cal):
    rows = [
        dict(
            dossier_id="X",
            received_at="2027-01-05 09:00",
            due_at="2027-01-12 17:00",
            supplement_count=1,
            supplement_requested_at="2027-01-06 09:00",
        )
    ]
    with pytest.raises(ConfigError) as ref:
        kpi_table(frame(rows), cal, 2027, 1)
    with pytest.raises(ConfigError) as got:
        kpi_sql.kpi_table(frame(rows), cal, 2027, 1)
    assert str(got.value) == str(ref.value) and "2027" in str(got.value)


def test_calendar_tables(cal):
    days, wd = kpi_sql.calendar_tables(cal)
    d = days.to_pandas().set_index("day")

    # Fri 21/08/2026 and the make-up Sat 22/08 are working days: the count rises by one on each;
    # Tết (16–20/02) and the weekend before it do not count
    def cum(s):
        return int(d.loc[pd.Timestamp(s).date(), "cum"])

    assert cum("2026-08-22") - cum("2026-08-20") == 2
    assert cum("2026-02-23") - cum("2026-02-13") == 1
    w = wd.to_pandas()
    assert w["day"].is_monotonic_increasing and w["day"].is_unique and w["idx"].iloc[0] == 0


def test_parquet_path_gives_the_same_table(cal, tmp_path):
    df = frame(CASES)
    df.to_parquet(tmp_path / "d.parquet", index=False)
    got = kpi_sql.kpi_table(tmp_path / "d.parquet", cal, 2026, 1, procedures=PROCEDURES)
    pd.testing.assert_frame_equal(got, kpi_table(df, cal, 2026, 1, procedures=PROCEDURES), check_exact=True)


@pytest.mark.parametrize("differ", [True, False])
def test_windows_with_a_periods_bounds_are_not_classified_again(differ):
    """Each distinct window once; a window with the bounds of a KPI period takes the period's
    sums (copy), plus — when the rule's scope differs from the first end's — the dossiers only
    the rule's scope has (rule_diff); any other window is classified (rule)."""
    from parlib.analysis.kpi_sql import _window_entries
    from parlib.analysis.kpi_table import _periods

    periods = _periods(2026, 3, 2026)  # 9 months, 3 quarters, then the 9 months (pid 12)
    q3 = next(i for i, p in enumerate(periods) if p[1] == "2026-Q3")
    windows = [
        ("2026-07-01", "2026-09-30"),  # = Q3
        ("2026-01-01", "2026-06-30"),  # no period
        (pd.Timestamp("2026-07-01 08:30"), pd.Timestamp("2026-09-30")),  # = Q3 (days compared)
        ("2026-01-01", "2026-09-30"),  # = the year to date
    ]
    entries, scope, copies = _window_entries(periods, windows, differ)
    n = len(periods)
    assert [(e[3], e[4]) for e in entries] == [
        (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30")),
        (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-06-30")),
        (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-09-30")),
    ]
    shared = "rule_diff" if differ else "copy"
    assert scope == ["first_end"] * n + [shared, "rule", shared]
    assert copies == {n: q3, n + 2: n - 1}


def test_receipts_and_apologies_outside_the_calendars_window(cal):
    """Typing errors in years outside the calendar's window (1990–2100) on dates the engine does
    not look up in the calendar: X received 1985 (due 09/01/2026), still open -> in every
    period, overdue in January; Y received 2150 -> in no period; Z late with an apology dated
    1985 (before every period end: sent, and on time); W late with one dated 2150 (not sent by
    any period end). Worked by hand for January (CASES: A–E) and equal to pandas."""
    extra = [
        dict(dossier_id="X", received_at="1985-06-01 09:00", due_at=DUE9),
        dict(dossier_id="Y", received_at="2150-01-05 09:00", channel=3),
        dict(
            dossier_id="Z",
            received_at=JAN5,
            due_at=DUE9,
            returned_at="2026-01-12 09:00",
            apology_at="1985-01-01",
        ),
        dict(
            dossier_id="W",
            received_at=JAN5,
            due_at=DUE9,
            returned_at="2026-01-12 09:00",
            apology_at="2150-01-01",
        ),
    ]
    df = frame(CASES + extra)
    got = kpi_sql.kpi_table(df, cal, 2026, 1, procedures=PROCEDURES)
    pd.testing.assert_frame_equal(got, kpi_table(df, cal, 2026, 1, procedures=PROCEDURES), check_exact=True)
    t = got.set_index(["period", "dimension", "group", "kpi"])
    assert kn(t, "2026-01", "on_time_pct") == (3, 8)  # A, B, D of A–E, X, Z, W
    assert kn(t, "2026-01", "apology_pct") == (2, 4)  # owed by C, X, Z, W; sent by C and Z
    assert kn(t, "2026-01", "apology_on_time_pct") == (2, 2)
    assert kn(t, "2026-01", "system_updated_pct")[1] == 8  # Y in no period's scope
    assert kn(t, "2026-Q1", "online_pct", "channel", "3") == (0, 1)  # F only, not Y


def test_history_from_before_the_calendars_window(cal):
    """Periods may start before the calendar's window (1990–2100; history from 1989, a receipt
    typed in 1989): a receipt before the window is compared with each bound, not put before all
    of them — X, received 1989-06-01 and still open, is received in June 1989 (the online and
    digitised shares judge it there, not in July) — and the table equals pandas'."""
    x = dict(dossier_id="X", received_at="1989-06-01 09:00", due_at=DUE9, channel=2)
    df = frame(CASES + [x])
    kw = {"procedures": PROCEDURES, "history_from": 1989, "history_dimensions": ["office_name"]}
    got = kpi_sql.kpi_table(df, cal, 1990, 1, **kw)
    pd.testing.assert_frame_equal(got, kpi_table(df, cal, 1990, 1, **kw), check_exact=True)
    t = got.set_index(["period", "dimension", "group", "kpi"])
    assert kn(t, "1989-06", "online_pct")[1] == 1 and kn(t, "1989-Q2", "digitised_pct")[1] == 1
    assert kn(t, "1989-07", "online_pct")[1] == 0  # received in June only
