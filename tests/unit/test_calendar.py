"""Tests of parlib.calendar: hand-worked dates from the official 2025–2026 schedules.

Calendar facts used (data/raw/config/holidays.csv):
  2025: 01/01 off; 25/01–02/02 Tết; 07/04 Giỗ Tổ; Sat 26/04 make-up working day;
        30/04–04/05 off; 30/08–02/09 off.
  2026: 01/01 off; 16/02–20/02 Tết; 25/04–27/04 Giỗ Tổ (+ compensatory Mon 27/04);
        30/04–03/05 off; Sat 22/08 make-up working day; 29/08–02/09 off (Mon 31/08 swapped).
  2024: one row without a date -> incomplete; 2027: absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.core.errors import ConfigError, StructuralError
from parlib.core.paths import PROJECT_ROOT, Paths
from parlib.ingest.calendar import load_calendar

CAL = load_calendar(PROJECT_ROOT / "data" / "raw" / "config" / "holidays.csv")

D = np.datetime64


def days(*texts):
    return np.array(texts, dtype="datetime64[D]")


# ---------------------------------------------------------------- construction
def test_load_from_paths_and_complete_years():
    cal = load_calendar(Paths())
    assert cal.years == frozenset({2025, 2026})  # 2024 has a row without a date
    assert cal.incomplete_years == frozenset({2024})


def _write(tmp_path, body):
    path = tmp_path / "holidays.csv"
    path.write_text("year,start_date,end_date,holiday,kind\n" + body, encoding="utf-8")
    return path


def test_from_csv_tiny_calendar(tmp_path):
    # 2030: Tue 01/01 off; Sat 05/01 make-up. Mon 31/12/2029 + 1 -> Wed 02/01/2030;
    # Fri 04/01 + 1 -> Sat 05/01 (make-up); Sat 05/01 + 1 -> Mon 07/01.
    cal = load_calendar(
        _write(
            tmp_path,
            "2030,2030-01-01,2030-01-01,Tết,off_1_day\n2030,2030-01-05,2030-01-05,bù,working_saturday\n",
        )
    )
    assert cal.years == frozenset({2030})
    got = cal.add_working_days(days("2029-12-31", "2030-01-04", "2030-01-05"), 1)
    assert list(got) == list(days("2030-01-02", "2030-01-05", "2030-01-07"))


def test_from_csv_lists_every_structural_problem(tmp_path):
    path = _write(
        tmp_path,
        "2030,2030-13-01,2030-01-01,x,off_1_day\n"  # bad date
        "2030,2030-01-03,2030-01-02,x,off_1_day\n"  # reversed
        "2030,2030-01-07,2030-01-07,x,working_monday\n"  # unknown kind
        "2030,2030-01-08,2030-01-08,x,working_saturday\n",
    )  # Tue as make-up
    with pytest.raises(StructuralError) as err:
        load_calendar(path)
    assert len(err.value.problems) == 4
    text = str(err.value)
    assert "dòng 2" in text and "dòng 5" in text


def test_from_csv_missing_columns_and_file(tmp_path):
    bad = tmp_path / "h.csv"
    bad.write_text("year,start_date\n2030,2030-01-01\n", encoding="utf-8")
    with pytest.raises(StructuralError) as err:
        load_calendar(bad)
    assert {p.column for p in err.value.problems} == {"end_date", "holiday", "kind"}
    with pytest.raises(ConfigError, match="Không tìm thấy"):
        load_calendar(tmp_path / "none.csv")


def test_row_without_date_makes_year_incomplete(tmp_path):
    cal = load_calendar(
        _write(
            tmp_path,
            "2030,2030-01-01,2030-01-01,a,off_1_day\n"
            "2030,,,Giỗ Tổ,off_1_day\n"
            "2031,2031-01-01,2031-01-01,a,off_1_day\n",
        )
    )
    assert cal.years == frozenset({2031})
    with pytest.raises(ConfigError, match="2030 chưa đầy đủ"):
        cal.check_years([2030, 2031])


# ---------------------------------------------------------------- working days
def test_tet_2026():
    # Fri 13/02/2026 + 1: Sat 14, Sun 15 weekend; 16–20/02 Tết; Sat 21, Sun 22 -> Mon 23/02.
    assert CAL.add_working_days("2026-02-13", 1)[0] == D("2026-02-23")
    # (13/02, 23/02] holds only 23/02 -> 1; reversed -> -1.
    assert CAL.count_working_days("2026-02-13", "2026-02-23")[0] == 1
    assert CAL.count_working_days("2026-02-23", "2026-02-13")[0] == -1


def test_makeup_saturday_2026_and_national_day():
    got = CAL.is_working_day(
        days("2026-08-22", "2026-08-29", "2026-08-31", "2026-09-01", "2026-09-02", "2026-09-03", "2026-08-23")
    )
    # Sat 22/08 make-up: working; Sat 29/08, Mon 31/08, 01/09, 02/09 off; Thu 03/09 working; Sun 23/08 off.
    assert got.tolist() == [True, False, False, False, False, True, False]
    # Fri 21/08 + 1 = Sat 22/08; Fri 28/08 + 1: 29/08–02/09 off -> Thu 03/09.
    assert list(CAL.add_working_days(days("2026-08-21", "2026-08-28"), 1)) == list(
        days("2026-08-22", "2026-09-03")
    )
    # (21/08, 03/09]: 22/08, 24–28/08 (5 days), 03/09 -> 7.
    assert CAL.count_working_days("2026-08-21", "2026-09-03")[0] == 7


def test_makeup_saturday_2025():
    assert CAL.is_working_day("2025-04-26")[0]  # Sat 26/04/2025 make-up
    # Fri 25/04/2025 + 1 = Sat 26/04; Tue 29/04 + 1: 30/04–04/05 off -> Mon 05/05.
    assert list(CAL.add_working_days(days("2025-04-25", "2025-04-29"), 1)) == list(
        days("2025-04-26", "2025-05-05")
    )


def test_start_on_day_off_rolls_forward_and_n_zero():
    # Sat 14/02/2026 rolls to Mon 23/02: n=0 -> 23/02, n=1 -> Tue 24/02, n=-1 -> Fri 13/02.
    got = CAL.add_working_days(days("2026-02-14", "2026-02-14", "2026-02-14"), np.array([0, 1, -1]))
    assert list(got) == list(days("2026-02-23", "2026-02-24", "2026-02-13"))
    assert CAL.next_working_day("2026-03-04")[0] == D("2026-03-04")  # Wed: identity


def test_nat_propagates():
    got = CAL.next_working_day([None, "2026-02-14"])
    assert np.isnat(got[0]) and got[1] == D("2026-02-23")
    assert CAL.is_working_day([None]).tolist() == [False]


# ---------------------------------------------------------------- hours
def test_working_hours_lunch_overnight_holiday():
    start = pd.to_datetime(
        [
            "2026-03-02 10:00",  # Mon: 10–12 (2 h) + 13–14 -> 14:00
            "2026-03-02 16:00",  # 16–17 (1 h) + Tue 08–09 -> Tue 09:00
            "2026-03-02 12:30",  # lunch: starts 13:00, +1 h -> 14:00
            "2026-03-02 18:00",  # after hours: Tue 08:00 + 1 h -> 09:00
            "2026-03-02 08:00",  # 8 h -> Mon 17:00 (not Tue 08:00)
            "2026-02-13 16:00",
        ]
    )  # Fri 16–17, Tết week off -> Mon 23/02 09:00
    got = CAL.add_working_hours(start, [3, 2, 1, 1, 8, 2])
    want = pd.to_datetime(
        [
            "2026-03-02 14:00",
            "2026-03-03 09:00",
            "2026-03-02 14:00",
            "2026-03-03 09:00",
            "2026-03-02 17:00",
            "2026-02-23 09:00",
        ]
    )
    assert list(got) == list(want.to_numpy().astype("datetime64[s]"))
    with pytest.raises(ConfigError):
        CAL.add_working_hours(["2026-03-02 10:00"], -1)


# ---------------------------------------------------------------- due dates
def test_due_after_15h_friday():
    # Fri 06/03/2026 15:30, 3 working days.
    # after_15h: received Mon 09/03 -> 10, 11, 12 -> Thu 12/03 17:00.
    # without the flag: counted from Fri -> Mon 09, Tue 10, Wed 11 -> Wed 11/03 17:00.
    # at 15:00 sharp with the flag: not "after" 15:00 -> Wed 11/03 17:00.
    received = pd.Series(
        pd.to_datetime(["2026-03-06 15:30", "2026-03-06 15:30", "2026-03-06 15:00"]), index=[7, 8, 9]
    )
    got = CAL.due_dates(received, 3, "working_days", [True, False, True])
    assert list(got.index) == [7, 8, 9]
    assert got.tolist() == list(pd.to_datetime(["2026-03-12 17:00", "2026-03-11 17:00", "2026-03-11 17:00"]))


def test_due_working_days_receipt_on_day_off():
    # Sat 21/02/2026 counts as received Mon 23/02; 2 working days -> Wed 25/02 17:00.
    got = CAL.due_dates(["2026-02-21 09:00"], 2, "working_days", False)
    assert got.iloc[0] == pd.Timestamp("2026-02-25 17:00")


def test_due_calendar_days_over_holiday_ending_on_day_off():
    # Mon 20/04/2026 + 10 days = Thu 30/04 (spans 25–27/04 Giỗ Tổ); 30/04–03/05 off -> Mon 04/05.
    # Tue 10/02/2026 + 20 days = Mon 02/03 (spans Tết, ends on a working day) -> 02/03.
    # Fri 06/03/2026 16:00 with after_15h: received Mon 09/03 + 20 days = Sun 29/03 -> Mon 30/03.
    got = CAL.due_dates(
        ["2026-04-20 09:00", "2026-02-10 09:00", "2026-03-06 16:00"],
        [10, 20, 20],
        "calendar_days",
        [False, False, True],
    )
    assert got.tolist() == list(pd.to_datetime(["2026-05-04 17:00", "2026-03-02 17:00", "2026-03-30 17:00"]))


def test_due_hours_and_missing_values():
    # Mon 02/03/2026 10:00 + 4 h: 10–12, 13–15 -> 15:00. NaN value / NaT receipt -> NaT.
    # missing unit (procedure not in the catalogue) -> NaT as well.
    got = CAL.due_dates(
        ["2026-03-02 10:00", "2026-03-02 10:00", None, "2026-03-02 10:00"],
        [4, np.nan, 4, np.nan],
        ["hours", "working_days", "hours", None],
        False,
    )
    assert got.iloc[0] == pd.Timestamp("2026-03-02 15:00")
    assert got.iloc[1:].isna().all()


def test_due_unknown_unit():
    with pytest.raises(ConfigError, match="weeks"):
        CAL.due_dates(["2026-03-02 10:00"], 1, "weeks", False)


def test_2027_raises_naming_the_year():
    with pytest.raises(ConfigError, match="năm 2027"):
        CAL.due_dates(["2027-01-05 09:00"], 1, "working_days", False)
    # received Mon 28/12/2026 + 10 working days spills into 2027 -> refused as well
    with pytest.raises(ConfigError, match="2027"):
        CAL.due_dates(["2026-12-28 09:00"], 10, "working_days", False)
    with pytest.raises(ConfigError, match="2024") as err:
        CAL.check_years([2024, 2026, 2027], "báo cáo quý")
    assert "2027" in str(err.value) and "báo cáo quý" in str(err.value)
    assert CAL.uncovered_years(["2024-05-06", "2026-01-05", "2027-01-04", None]) == {2024, 2027}
    CAL.check_years([2025, 2026])  # complete: no error


def test_unchecked_due_dates_and_is_covered():
    # check=False: Mon 28/12/2026 + 10 working days with the known calendar (weekends only
    # after 2026): 29, 30, 31/12, 01/01/2027 (no 2027 holiday listed), 04–08/01, 11/01 -> 11/01/2027.
    got = CAL.due_dates(["2026-12-28 09:00"], 10, "working_days", False, check=False)
    assert got.iloc[0] == pd.Timestamp("2027-01-11 17:00")
    assert CAL.is_covered(["2026-12-28", "2027-01-11", "2024-06-03", None]).tolist() == [
        True,
        False,
        False,
        False,
    ]


# ---------------------------------------------------------------- properties
_START, _END = np.datetime64("2025-01-01"), np.datetime64("2026-10-31")
_span = int((_END - _START).astype(int))
day_offsets = st.integers(min_value=0, max_value=_span)


@settings(max_examples=200, deadline=None)
@given(day_offsets, st.integers(min_value=-60, max_value=60))
def test_add_then_count_gives_n(offset, n):
    start = CAL.next_working_day(_START + np.timedelta64(offset, "D"))
    end = CAL.add_working_days(start, n)
    assert CAL.count_working_days(start, end)[0] == n
    assert CAL.is_working_day(end)[0]


@settings(max_examples=200, deadline=None)
@given(
    day_offsets,
    st.integers(min_value=0, max_value=24 * 60 - 1),
    st.integers(min_value=1, max_value=30),  # catalogue deadlines are >= 1
    st.sampled_from(["working_days", "calendar_days", "hours"]),
    st.booleans(),
)
def test_due_date_is_never_a_day_off(offset, minute, value, unit, late):
    received = (_START + np.timedelta64(offset, "D")).astype("datetime64[m]") + np.timedelta64(minute, "m")
    due = CAL.due_dates([received], value, unit, late).iloc[0]
    assert CAL.is_working_day([due])[0]
    assert due >= pd.Timestamp(received)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(day_offsets, st.integers(min_value=0, max_value=40)), min_size=1, max_size=20),
    st.randoms(use_true_random=False),
)
def test_vectorised_equals_elementwise_and_order_free(pairs, rnd):
    dates = np.array([_START + np.timedelta64(o, "D") for o, _ in pairs])
    ns = np.array([n for _, n in pairs])
    whole = CAL.add_working_days(dates, ns)
    single = [CAL.add_working_days(d, n)[0] for d, n in zip(dates, ns)]
    assert list(whole) == single
    perm = list(range(len(pairs)))
    rnd.shuffle(perm)
    assert list(CAL.add_working_days(dates[perm], ns[perm])) == [whole[i] for i in perm]
    received = pd.Series(dates.astype("datetime64[s]") + np.timedelta64(16 * 3600, "s"))
    due = CAL.due_dates(received, ns, "working_days", True)
    due_perm = CAL.due_dates(received.iloc[perm], ns[perm], "working_days", True)
    assert due_perm.sort_index().equals(due)


def test_zero_hours_in_lunch_break_starts_afternoon():
    # Mon 02/03/2026 12:01 + 0 h: outside working hours -> next working period, 13:00;
    # 17:30 + 0 h -> Tue 08:00.
    got = CAL.add_working_hours(["2026-03-02 12:01", "2026-03-02 17:30"], 0)
    assert list(got) == list(
        pd.to_datetime(["2026-03-02 13:00", "2026-03-03 08:00"]).to_numpy().astype("datetime64[s]")
    )


def test_due_missing_or_blank_unit_with_a_value_gives_no_date():
    # a known value but no unit (None, blank, NaN) -> NaT; the others are computed as usual
    # (Mon 02/03/2026 10:00 + 2 working days -> Wed 04/03 17:00)
    got = CAL.due_dates(["2026-03-02 10:00"] * 4, [2, 2, 2, 2], [None, "", np.nan, "working_days"], False)
    assert got.iloc[:3].isna().all()
    assert got.iloc[3] == pd.Timestamp("2026-03-04 17:00")


@pytest.mark.parametrize("unit_dtype", ["str", "category", object])
def test_due_dates_of_typed_columns_equal_those_of_plain_values(unit_dtype):
    """A reader's typed columns (floats with NaN, texts or categoricals with missing and blank
    units, nullable booleans) give the due dates the same values as plain Python lists give."""
    rng = np.random.default_rng(7)
    n = 400
    received = pd.Series(
        pd.to_datetime("2026-01-05 07:30") + pd.to_timedelta(rng.integers(0, 300 * 24 * 60, n), unit="min")
    )
    value = rng.choice([0.0, 1.0, 2.0, 5.0, 15.0, 40.0, np.nan], n)
    unit = rng.choice(["working_days", "calendar_days", "hours", "", None], n)
    late = pd.array(rng.choice([True, False, None], n), dtype="boolean")
    typed = CAL.due_dates(
        received,
        pd.Series(value),
        pd.Series(unit, dtype=unit_dtype),
        pd.Series(late),
    )
    plain = CAL.due_dates(
        received,
        [None if np.isnan(v) else v for v in value],
        list(unit),
        [None if x is pd.NA else bool(x) for x in late],
    )
    pd.testing.assert_series_equal(typed, plain)
    assert typed.notna().sum() > n // 3


def test_day_positions_are_those_of_a_binary_search_over_the_working_days():
    """The look-up table gives np.searchsorted's answer for every day of the window (both
    sides, edges included), NaT as the window's first day."""
    rng = np.random.default_rng(3)
    span = int((CAL.WINDOW_END - CAL.WINDOW_START).astype(int))
    picks = CAL.WINDOW_START + rng.integers(0, span + 1, 5000).astype("timedelta64[D]")
    picks = np.concatenate([picks, [CAL.WINDOW_START, CAL.WINDOW_END, np.datetime64("NaT", "D")]])
    for side in ("left", "right"):
        want = np.searchsorted(CAL._working, np.where(np.isnat(picks), CAL.WINDOW_START, picks), side=side)
        assert np.array_equal(CAL._index(picks, side), want)
    with pytest.raises(ConfigError, match="phạm vi lịch"):
        CAL._index(days("1989-12-31"))
    # instants within a day keep the binary search's answer (a time of day is after the day)
    instants = np.array(["2026-03-04T10:00", "2026-03-04T00:00", "2026-03"], dtype="datetime64[s]")
    for side in ("left", "right"):
        assert np.array_equal(CAL._index(instants, side), np.searchsorted(CAL._working, instants, side=side))


def test_uncovered_years_with_a_gap_between_covered_years():
    from parlib.core.calendar import WorkCalendar

    cal = WorkCalendar([], [], years=[2024, 2026])  # 2025 has no schedule
    assert cal.uncovered_years(["2024-03-04", "2026-05-06"]) == set()  # 2025 not among the dates
    assert cal.uncovered_years(["2024-03-04", "2025-05-06", None]) == {2025}
    assert cal.uncovered_years([None]) == set() and cal.uncovered_years([]) == set()
    assert cal.uncovered_years(["2026-01-02", "2026-12-31"]) == set()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-(2**40), 2**40), st.booleans(), st.integers(0, 3), st.sampled_from([0, 1, 7, 2**33])
        ),
        max_size=40,
    )
)
def test_distinct_rows_numbers_each_distinct_row_once(rows):
    """Each row's number among the distinct rows and one occurrence of each: the rows rebuilt
    from the occurrences, as many as Python's set of tuples counts, equal rows same number —
    narrow ranges (offsets), wide ones (numbered), booleans."""
    from parlib.core.calendar import _distinct_rows

    cols = [np.array([r[i] for r in rows], dtype=np.int64 if i != 1 else bool) for i in range(4)]
    combo, one = _distinct_rows(*cols)
    assert len(one) == len(set(rows))
    for c in cols:
        assert (c[one][combo] == c).all()
    assert len({(tuple(r), int(k)) for r, k in zip(rows, combo)}) == len(set(rows))


def test_due_dates_of_repeated_inputs_are_those_computed_one_by_one():
    """Day-unit due dates are computed once per distinct (receipt day, late, unit, days) and
    spread back: each of 400 random dossiers gets the due date it gets alone."""
    rng = np.random.default_rng(7)
    n = 400
    received = pd.Series(
        pd.Timestamp("2026-01-01")
        + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
        + pd.to_timedelta(rng.choice([8 * 60, 15 * 60 + 30, 16 * 60], n), unit="min")
    )
    value = pd.Series(rng.choice([1.0, 3.0, 10.0, 2.5, np.nan], n))
    unit = pd.Series(rng.choice(["working_days", "calendar_days", "hours", ""], n), dtype="str")
    late = pd.Series(rng.random(n) < 0.5)
    together = CAL.due_dates(received, value, unit, late, check=False)
    alone = [
        CAL.due_dates(received.iloc[[i]], value.iloc[[i]], unit.iloc[[i]], late.iloc[[i]], check=False).iloc[
            0
        ]
        for i in range(n)
    ]
    pd.testing.assert_series_equal(together, pd.Series(alone, name="due_at", dtype="datetime64[us]"))
    assert together.notna().sum() > n / 2
