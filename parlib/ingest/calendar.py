"""The working-day calendar read from ``raw/config/holidays.csv`` (columns in
:mod:`parlib.core.calendar`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.calendar import MAKEUP_KIND, REQUIRED_COLUMNS, WorkCalendar
from parlib.core.errors import ConfigError, Problem, StructuralError
from parlib.core.paths import Paths
from parlib.ingest.readers import read_csv_table

_DAY = np.timedelta64(1, "D")


def load_calendar(paths_or_csv) -> WorkCalendar:
    """Calendar from a :class:`parlib.core.paths.Paths` (``raw/config/holidays.csv``) or a CSV path."""
    if isinstance(paths_or_csv, Paths):
        return read_holidays(paths_or_csv.config / "holidays.csv")
    return read_holidays(paths_or_csv)


def read_holidays(path) -> WorkCalendar:
    """Read a holidays CSV (columns in the module docstring).

    Raises ConfigError when the file is missing, StructuralError listing every missing
    column, unreadable date, reversed block, unknown kind or make-up day on a weekday.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Không tìm thấy tệp lịch nghỉ «{path}».")
    frame = read_csv_table(path, scrub=False)  # dates and holiday names («10/3 ÂL» is not a house)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise StructuralError(
            f"Tệp lịch nghỉ «{path.name}» thiếu cột bắt buộc:",
            [Problem("thiếu cột", file=path.name, column=c) for c in missing],
        )
    problems: list[Problem] = []
    off: list[np.datetime64] = []
    makeup: list[np.datetime64] = []
    years: set[int] = set()
    incomplete: set[int] = set()
    for i, rec in enumerate(frame.to_dict("records"), start=2):
        year_text, kind = rec["year"].strip(), rec["kind"].strip()
        if not year_text.isdigit():
            problems.append(Problem(f"năm «{year_text}» không hợp lệ", file=path.name, row=i, column="year"))
            continue
        year = int(year_text)
        years.add(year)
        s_text, e_text = rec["start_date"].strip(), rec["end_date"].strip()
        if not s_text or not e_text:
            incomplete.add(year)  # an honest gap: the year's schedule is not complete
            continue
        start = pd.to_datetime(s_text, format="%Y-%m-%d", errors="coerce")
        end = pd.to_datetime(e_text, format="%Y-%m-%d", errors="coerce")
        if pd.isna(start) or pd.isna(end):
            problems.append(
                Problem(f"ngày «{s_text}»/«{e_text}» không đúng dạng YYYY-MM-DD", file=path.name, row=i)
            )
            continue
        if end < start:
            problems.append(Problem("ngày kết thúc trước ngày bắt đầu", file=path.name, row=i))
            continue
        days = np.arange(np.datetime64(start.date(), "D"), np.datetime64(end.date(), "D") + _DAY)
        if kind == MAKEUP_KIND:
            weekday = [d for d in days if np.is_busday(d, weekmask="1111100")]
            if weekday:
                problems.append(
                    Problem("ngày làm bù phải là thứ Bảy hoặc Chủ nhật", file=path.name, row=i, column="kind")
                )
            makeup.extend(days)
        elif kind.startswith("off"):
            off.extend(days)
        else:
            problems.append(
                Problem(
                    f"loại «{kind}» không được hỗ trợ (off_… hoặc {MAKEUP_KIND})",
                    file=path.name,
                    row=i,
                    column="kind",
                )
            )
    clash = sorted(set(off) & set(makeup))
    for d in clash:
        problems.append(Problem(f"ngày {d} vừa là ngày nghỉ vừa là ngày làm bù", file=path.name))
    if problems:
        raise StructuralError(f"Tệp lịch nghỉ «{path.name}» có lỗi:", problems)
    return WorkCalendar(off, makeup, years - incomplete, incomplete, source=str(path))


# ------------------------------------------------------------------ coverage
