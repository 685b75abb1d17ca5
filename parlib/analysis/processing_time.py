"""Average processing time of finished dossiers in each procedure's own time unit (766 indicator
2.2: "tổng thời gian giải quyết / số hồ sơ hoàn thành"), net of the supplement pause."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.kpi import as_day_array
from parlib.core.calendar import WorkCalendar
from parlib.core.labels import UNIT_VI

# ---------------------------------------------------------------- processing time


def _work_seconds(calendar: WorkCalendar, ref: np.ndarray, instants: pd.Series) -> np.ndarray:
    """Working seconds from the start of working day ``ref`` (date array) to each instant."""
    days = as_day_array(instants)
    secs = (instants - instants.dt.normalize()).dt.total_seconds().to_numpy()
    is_wd = calendar.is_working_day(days)
    offset = np.zeros(len(secs))
    for a, b in calendar.WORK_PERIODS:
        lo, hi = a.hour * 3600 + a.minute * 60, b.hour * 3600 + b.minute * 60
        offset += np.clip(secs - lo, 0, hi - lo)
    day_len = sum((b.hour - a.hour) * 3600 + (b.minute - a.minute) * 60 for a, b in calendar.WORK_PERIODS)
    full = calendar.count_working_days(ref, days) - is_wd
    return full * day_len + np.where(is_wd, offset, 0)


def timed_dossiers(classified: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """The rows and columns of ``classified`` that :func:`processing_time` reads (the dossiers
    completed in the period with a deadline unit; ``by``, the flag, the unit, the deadline, the
    receipt, the end and the pause), not a copy of the whole classified frame; itself a valid
    input of :func:`processing_time`, with the same result."""
    keep = (classified["is_completed_in_period"] & classified["deadline_unit"].notna()).to_numpy(dtype=bool)
    used = dict.fromkeys(
        [
            *(by or []),
            "is_completed_in_period",
            "deadline_unit",
            "deadline_value",
            "received_at",
            "end_at",
            "pause_days",
        ]
    )
    return classified.loc[keep, list(used)]


def processing_time(
    classified: pd.DataFrame, calendar: WorkCalendar, by: list[str] | None = None
) -> pd.DataFrame:
    """Average processing time of the dossiers completed in the period (finished or returned,
    not stopped), in the procedure's own unit, net of the supplement pause (766 indicator 2.2).

    Working days: working days in (receipt, end] minus the pause; calendar days: days between
    the receipt and end dates minus the pause; hours: working hours between the two instants
    minus 8 h per pause day. Returns: *by, deadline_unit, unit_label, n, mean_time,
    median_time, mean_deadline (NaN when n == 0).
    """
    by = list(by or [])
    c = timed_dossiers(classified, by)
    t = pd.Series(np.nan, index=c.index)
    unit = c["deadline_unit"]
    rec, end = c["received_at"], c["end_at"]
    pause = c["pause_days"].to_numpy(dtype=float)
    wd = unit.eq("working_days").to_numpy()
    if wd.any():
        t[wd] = calendar.count_working_days(as_day_array(rec[wd]), as_day_array(end[wd])) - pause[wd]
    cd = unit.eq("calendar_days").to_numpy()
    if cd.any():
        t[cd] = (end[cd].dt.normalize() - rec[cd].dt.normalize()).dt.days.to_numpy() - pause[cd]
    hr = unit.eq("hours").to_numpy()
    if hr.any():
        ref = as_day_array(rec[hr])
        secs = _work_seconds(calendar, ref, end[hr]) - _work_seconds(calendar, ref, rec[hr])
        t[hr] = secs / 3600 - pause[hr] * 8
    frame = c[by + ["deadline_unit", "deadline_value"]].assign(time=t.clip(lower=0))
    out = (
        frame.groupby(by + ["deadline_unit"], dropna=False, sort=True)
        .agg(
            n=("time", "size"),
            mean_time=("time", "mean"),
            median_time=("time", "median"),
            mean_deadline=("deadline_value", "mean"),
        )
        .reset_index()
    )
    out.insert(len(by) + 1, "unit_label", out["deadline_unit"].map(UNIT_VI))
    return out
