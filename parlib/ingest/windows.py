"""The reporting windows of the periodic CCHC report (``raw/config/report_windows.csv``).

Columns ``year, id, label, start, end, deadline`` (and an optional ``note``), one row per
window of a year. Dates are written ``dd/mm/yyyy`` (as Excel shows them in Vietnamese) or
``yyyy-mm-dd``. Rules checked, every problem named with its file row and column:

* ``year`` a whole number; ``id`` letters, digits, ``-`` or ``_`` (it goes into folder names),
  unique within its year (case-insensitive); ``label`` not blank;
* ``start`` and ``end`` real dates, ``start`` on or before ``end``, ``end`` inside ``year``;
* ``deadline`` blank (not set) or a real date on or after ``end``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from parlib.core.errors import ConfigError, Problem, StructuralError
from parlib.core.paths import Paths
from parlib.core.text import normalise_text
from parlib.ingest.readers import read_csv_table
from parlib.model.windows import ReportWindow

FILE_NAME = "report_windows.csv"
REQUIRED = ("year", "id", "label", "start", "end", "deadline")
_ID = re.compile(r"[A-Za-z0-9_-]{1,20}")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")


def windows_path(paths: Paths) -> Path:
    return paths.config / FILE_NAME


def parse_day(text: str) -> pd.Timestamp | None:
    """``dd/mm/yyyy`` or ``yyyy-mm-dd`` -> midnight timestamp; None when not a real date."""
    s = (text or "").strip()
    m = _DMY.fullmatch(s)
    if m:
        d, mo, y = (int(x) for x in m.groups())
    else:
        m = _ISO.fullmatch(s)
        if not m:
            return None
        y, mo, d = (int(x) for x in m.groups())
    try:
        return pd.Timestamp(year=y, month=mo, day=d)
    except ValueError:
        return None


def load_report_windows(path: str | Path, *, display_name: str | None = None) -> list[ReportWindow]:
    """Every window of the file, in file order. Raises InputFormatError for an unreadable
    file and StructuralError listing every problem (rules: module docstring)."""
    path = Path(path)
    name = display_name or path.name
    table = read_csv_table(path, display_name=name)
    title = f"Tệp kỳ báo cáo «{name}» có lỗi:"
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise StructuralError(title, [Problem("thiếu cột bắt buộc", file=name, column=c) for c in missing])
    problems: list[Problem] = []
    out: list[ReportWindow] = []
    seen: dict[tuple[int, str], int] = {}
    for i, rec in enumerate(table.to_dict("records")):
        row = i + 2
        cells = {c: normalise_text(rec.get(c)) or "" for c in REQUIRED}
        if not any(cells.values()):
            continue  # a blank line
        bad = lambda msg, col: problems.append(Problem(msg, file=name, row=row, column=col))  # noqa: E731
        year = int(cells["year"]) if re.fullmatch(r"\d{4}", cells["year"]) else None
        if year is None:
            bad(f"năm «{cells['year']}» không phải là số năm (ví dụ 2026)", "year")
        wid = cells["id"]
        if not _ID.fullmatch(wid):
            bad(f"mã kỳ «{wid}» cần gồm chữ không dấu, số, «-» hoặc «_» (ví dụ q1, h1, q3, year)", "id")
        if not cells["label"]:
            bad("thiếu tên kỳ báo cáo (ví dụ «quý I năm 2026»)", "label")
        days = {}
        for col in ("start", "end", "deadline"):
            if col == "deadline" and not cells[col]:
                days[col] = None
                continue
            days[col] = parse_day(cells[col])
            if days[col] is None:
                bad(f"«{cells[col]}» không phải là ngày hợp lệ (viết dd/mm/yyyy, ví dụ 14/03/2026)", col)
        start, end, deadline = days["start"], days["end"], days["deadline"]
        if start is not None and end is not None and start > end:
            bad(f"ngày bắt đầu {cells['start']} sau ngày kết thúc {cells['end']}", "start")
        if year is not None and end is not None and end.year != year:
            bad(f"ngày kết thúc {cells['end']} không thuộc năm {year} của kỳ báo cáo", "end")
        if deadline is not None and end is not None and deadline < end:
            bad(f"hạn gửi {cells['deadline']} trước ngày chốt số liệu {cells['end']}", "deadline")
        if year is not None and _ID.fullmatch(wid):
            key = (year, wid.lower())
            if key in seen:
                bad(f"kỳ «{wid}» của năm {year} đã có ở dòng {seen[key]}", "id")
            else:
                seen[key] = row
        if problems and problems[-1].row == row:
            continue
        out.append(ReportWindow(year, wid.lower(), cells["label"], start, end, deadline))
    if problems:
        raise StructuralError(title, problems)
    if not out:
        raise StructuralError(title, [Problem("tệp không có kỳ báo cáo nào", file=name)])
    return out


def report_windows(paths: Paths) -> list[ReportWindow]:
    """The windows of ``raw/config/report_windows.csv``; ConfigError naming the file when it
    is absent (the windows are data: they are never assumed)."""
    p = windows_path(paths)
    if not p.exists():
        raise ConfigError(
            f"Thiếu tệp kỳ báo cáo {paths.rel(p)} (cột year, id, label, start, end, deadline; "
            "mỗi dòng một kỳ báo cáo định kỳ công tác CCHC)."
        )
    return load_report_windows(p, display_name=paths.rel(p))


def find_window(
    windows: list[ReportWindow], year: int, window_id: str, *, source: str = FILE_NAME
) -> ReportWindow:
    """The window ``window_id`` of ``year``; ConfigError listing the windows of the file when
    it is not there."""
    for w in windows:
        if w.year == year and w.id == window_id.strip().lower():
            return w
    have = ", ".join(f"{w.id} ({w.label})" for w in windows if w.year == year)
    raise ConfigError(
        f"Không có kỳ báo cáo «{window_id}» của năm {year} trong {source}. "
        + (f"Các kỳ của năm {year}: {have}." if have else f"Tệp chưa có kỳ nào của năm {year}.")
    )
