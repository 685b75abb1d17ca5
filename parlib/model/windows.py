"""Official data windows of the periodic CCHC reports (domain brief §8).

A report to the province covers a data window, not a calendar quarter: quarter I = 15/12 of the
previous year to 14/3, six months = 15/12 to 14/6, quarter III = 15/6 to 14/9, year = 15/12 to
14/12, each sent by the 20th of the window's last month. The windows are data
(``raw/config/report_windows.csv``, read by :func:`parlib.ingest.windows.load_report_windows`);
this module holds their type and the pure rules on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class ReportWindow:
    """One reporting window of one year.

    year      the report's year (the year of ``end``)
    id        short id, unique within the year (``q1``, ``h1``, ``q3``, ``year``); used in
              folder and file names
    label     what the report's title says after "công tác cải cách hành chính"
              ("quý III năm 2026")
    start/end first and last day of the data window (inclusive, midnight timestamps)
    deadline  the day the report is due (None when not set)
    """

    year: int
    id: str
    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    deadline: pd.Timestamp | None = None

    @property
    def key(self) -> str:
        """``2026-q3``: the window in file names and JSON."""
        return f"{self.year}-{self.id}"

    @property
    def end_instant(self) -> pd.Timestamp:
        """The last instant of the window (end of its last day)."""
        return self.end.normalize() + pd.Timedelta(hours=23, minutes=59, seconds=59)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "year": self.year,
            "label": self.label,
            "start": self.start.date().isoformat(),
            "end": self.end.date().isoformat(),
            "deadline": self.deadline.date().isoformat() if self.deadline is not None else None,
        }


def complete_windows(windows: list[ReportWindow], data_end, data_start=None) -> list[ReportWindow]:
    """The windows the data cover whole: ending on or before ``data_end`` (the last day the data
    cover) and, when ``data_start`` is given, starting on or after it; ordered by end date then
    start date (the latest complete window last)."""
    cut = pd.Timestamp(data_end).normalize()
    first = pd.Timestamp(data_start).normalize() if data_start is not None else pd.Timestamp.min
    done = [w for w in windows if first <= w.start.normalize() and w.end.normalize() <= cut]
    return sorted(done, key=lambda w: (w.end, w.start, w.id))


def next_window(windows: list[ReportWindow], window: ReportWindow) -> ReportWindow | None:
    """The window ending first after ``window`` ends (None when the table has none)."""
    later = [w for w in windows if w.end > window.end]
    return min(later, key=lambda w: (w.end, w.start)) if later else None
