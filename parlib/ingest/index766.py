"""The 766 service index (Bộ chỉ số 766, QĐ 766/QĐ-TTg): monthly group scores and rules.

Input ``raw/index766/chi_so_766_<year>.xlsx``, sheet ``Chi so 766``, header on the first
row: ``Kỳ`` (``YYYY-MM``), ``Mã nhóm`` (1–6), ``Nhóm chỉ số``, ``Điểm``, ``Điểm tối đa``.

Group set: the six groups shown on Cổng DVCQG since 2025 (see :data:`GROUPS`). The older
five-group set of the original decision (online services 22 points) is not accepted: its
rows are rejected with an issue naming the mismatching maximum, so the two sets are never
mixed in one total.

Aggregation decision: a quarter's (or the year-to-date) points of a group are the **mean
of the monthly points** of that group over the months present; the total is the sum of the
group means. Months missing from the file are not counted as zero; ``n_months`` and
``is_complete`` say what was available.

Indicator rule (:func:`indicator_points`): points = max × min(1, rate / threshold),
rounded half-up to 2 decimals; a rate that is NaN (zero denominator) gives NaN (N/A),
never 0.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cells import parse_numbers
from parlib.core.errors import Problem, StructuralError
from parlib.core.issues import IssueLog, Ledger, excel_cell
from parlib.core.text import fold, normalise_text, scrub_frame
from parlib.ingest.readers import extend_spec, find_header_row, map_columns, read_cells
from parlib.model.index766 import GROUPS, SCORE_COLUMNS

SHEET = "Chi so 766"

COLUMNS = {
    "period": ["Kỳ", "Kỳ báo cáo", "Tháng"],
    "group_code": ["Mã nhóm", "Mã nhóm chỉ số"],
    "group_name": ["Nhóm chỉ số", "Tên nhóm", "Nhóm"],
    "points": ["Điểm", "Điểm đạt"],
    "max_points": ["Điểm tối đa"],
}
REQUIRED = ["period", "group_code", "points", "max_points"]
_EPS = 1e-9


def _parse_period(v) -> tuple[int, int] | None:
    """'2026-01', '2026-1', '01/2026', '1/2026' or a date cell -> (year, month); else None."""
    if isinstance(v, (datetime, date, pd.Timestamp)):
        return v.year, v.month
    s = normalise_text(v) or ""
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})", s) or None
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
    else:
        m = re.fullmatch(r"(?:[Tt]háng\s*)?(\d{1,2})[-/.](\d{4})", s)
        if not m:
            return None
        y, mo = int(m.group(2)), int(m.group(1))
    return (y, mo) if 1 <= mo <= 12 and 2000 <= y <= 2100 else None


def _code(v) -> str | None:
    """Group code as text: 1, 1.0, '1', ' 1 ' -> '1'."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    s = normalise_text(v)
    if s and re.fullmatch(r"\d+(\.0+)?", s):
        return str(int(float(s)))
    return s


def read_766(
    files, groups: pd.DataFrame | None = None, *, spellings: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read and validate 766 score files.

    ``files``: paths of ``chi_so_766_<year>.xlsx``; ``groups``: reference table
    (``group_code``, ``group_name``, ``max_points``), default :data:`GROUPS`.

    Returns (scores, issues, ledger). ``scores`` columns: ``period`` (``YYYY-MM``), ``year``,
    ``month``, ``quarter`` (int), ``group_code`` (str), ``group_name`` (reference name),
    ``points``, ``max_points`` (float), ``source``, ``sheet``, ``row`` (1-based Excel row).

    Rejected rows (each with an error issue): bad period, unknown group, points missing or
    not a number or outside [0, max], maximum differing from the reference, duplicates of
    (period, group) — the later file/row wins. Warnings (row kept): group name differing
    from the reference, period year differing from the file name's year; a month without all
    groups. Blank rows and the header row are ledger ``skipped``.
    Raises StructuralError (every file at once) for a missing sheet or required column.
    ``spellings``: the analyst's extra header spellings (``raw/config/header_spellings.csv``).
    """
    spec = extend_spec(COLUMNS, spellings)
    ref = (GROUPS if groups is None else groups).copy()
    ref["group_code"] = ref["group_code"].map(_code)
    ref_max = dict(zip(ref["group_code"], ref["max_points"].astype(float)))
    ref_name = dict(zip(ref["group_code"], ref["group_name"]))
    issues, ledger = IssueLog(), Ledger()
    problems: list[Problem] = []
    parts: list[pd.DataFrame] = []
    for path in map(Path, files):
        try:
            part = _read_one(path, ref_max, ref_name, issues, ledger, spec)
        except StructuralError as err:
            problems.extend(err.problems)
            continue
        parts.append(part)
    if problems:
        raise StructuralError("Tệp điểm 766 không đúng cấu trúc.", problems)
    scores = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SCORE_COLUMNS)
    scores = _drop_duplicates(scores, issues, ledger)
    _check_complete_months(scores, ref_max, issues)
    scores = scores.sort_values(["period", "group_code"], kind="stable").reset_index(drop=True)
    scores = scores.astype(
        {
            "year": "int64",
            "month": "int64",
            "quarter": "int64",
            "row": "int64",
            "points": "float64",
            "max_points": "float64",
            "period": "str",
            "group_code": "str",
            "group_name": "str",
            "source": "str",
            "sheet": "str",
        }
    )
    return scrub_frame(scores[SCORE_COLUMNS]), issues.to_frame(), ledger.to_frame()


def _read_one(
    path: Path, ref_max, ref_name, issues: IssueLog, ledger: Ledger, spec: dict = COLUMNS
) -> pd.DataFrame:
    cells, sheet = read_cells(path, SHEET)
    src = path.name
    hdr = find_header_row(cells, spec["group_code"] + spec["period"])
    if hdr is None:
        raise StructuralError(
            "", [Problem("không tìm thấy dòng tiêu đề (cột «Mã nhóm»)", file=src, sheet=sheet)]
        )
    headers = [normalise_text(v) or "" for v in cells.iloc[hdr].tolist()]
    mapping, _extra = map_columns(headers, spec, required=REQUIRED, file=src, sheet=sheet, header_row=hdr)
    ledger.add(src, "skipped", hdr + 1, "dòng tiêu đề", sheet)
    m = re.search(r"(\d{4})", path.stem)
    file_year = int(m.group(1)) if m else None
    body = cells.iloc[hdr + 1 :]
    pts, pts_bad = parse_numbers(body[mapping["points"]])
    mx, mx_bad = parse_numbers(body[mapping["max_points"]])
    rows, n_blank, n_rej = [], 0, 0
    for pos, (i, rec) in enumerate(body.iterrows()):
        excel_row = int(i) + 1
        if all(normalise_text(v) in (None, "") for v in rec.tolist()):
            n_blank += 1
            continue

        def reject(rule, msg, col, value):
            issues.add(
                rule,
                msg,
                severity="error",
                source=src,
                sheet=sheet,
                row=excel_row,
                cell=excel_cell(excel_row, mapping[col] + 1),
                column=headers[mapping[col]],
                code=str(code or ""),
                value=normalise_text(value) or "",
            )

        code = _code(rec[mapping["group_code"]])
        per = _parse_period(rec[mapping["period"]])
        p, pmax = pts.iloc[pos], mx.iloc[pos]
        ok = True
        if per is None:
            reject(
                "index766_bad_period",
                "Kỳ không đúng dạng YYYY-MM (năm-tháng).",
                "period",
                rec[mapping["period"]],
            )
            ok = False
        if code not in ref_max:
            reject(
                "index766_unknown_group",
                f"Mã nhóm không thuộc bộ {len(ref_max)} nhóm chỉ số 766.",
                "group_code",
                rec[mapping["group_code"]],
            )
            ok = False
        if pts_bad.iloc[pos] or np.isnan(p):
            reject(
                "index766_bad_points", "Điểm trống hoặc không phải là số.", "points", rec[mapping["points"]]
            )
            ok = False
        if ok and (mx_bad.iloc[pos] or np.isnan(pmax) or abs(pmax - ref_max[code]) > _EPS):
            reject(
                "index766_max_mismatch",
                f"Điểm tối đa của nhóm {code} phải là {ref_max[code]:g} (bộ 6 nhóm hiển thị trên "
                "Cổng DVCQG); dòng thuộc bộ nhóm khác không được dùng.",
                "max_points",
                rec[mapping["max_points"]],
            )
            ok = False
        if ok and not (-_EPS <= p <= ref_max[code] + _EPS):
            reject(
                "index766_points_out_of_range",
                f"Điểm phải nằm trong khoảng 0 – {ref_max[code]:g}.",
                "points",
                rec[mapping["points"]],
            )
            ok = False
        if not ok:
            n_rej += 1
            continue
        name = normalise_text(rec[mapping["group_name"]]) if "group_name" in mapping else None
        if name and fold(name) != fold(ref_name[code]):
            issues.add(
                "index766_group_name",
                f"Tên nhóm khác tên chuẩn «{ref_name[code]}»; dùng tên chuẩn.",
                severity="info",
                source=src,
                sheet=sheet,
                row=excel_row,
                code=code,
                value=name,
                cell=excel_cell(excel_row, mapping["group_name"] + 1),
                column=headers[mapping["group_name"]],
            )
        if file_year is not None and per[0] != file_year:
            issues.add(
                "index766_year_mismatch",
                f"Kỳ {per[0]}-{per[1]:02d} không thuộc năm {file_year} của tên tệp.",
                source=src,
                sheet=sheet,
                row=excel_row,
                code=code,
                value=rec[mapping["period"]],
                cell=excel_cell(excel_row, mapping["period"] + 1),
                column=headers[mapping["period"]],
            )
        rows.append(
            {
                "period": f"{per[0]}-{per[1]:02d}",
                "year": per[0],
                "month": per[1],
                "quarter": (per[1] - 1) // 3 + 1,
                "group_code": code,
                "group_name": ref_name[code],
                "points": float(p),
                "max_points": ref_max[code],
                "source": src,
                "sheet": sheet,
                "row": excel_row,
            }
        )
    ledger.add(src, "skipped", n_blank, "dòng trống", sheet)
    ledger.add(src, "rejected", n_rej, "dòng lỗi (xem bảng vấn đề dữ liệu)", sheet)
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def _drop_duplicates(scores: pd.DataFrame, issues: IssueLog, ledger: Ledger) -> pd.DataFrame:
    dup = scores.duplicated(["period", "group_code"], keep="last")
    for rec in scores.loc[dup].itertuples(index=False):
        issues.add(
            "index766_duplicate",
            f"Trùng kỳ {rec.period}, nhóm {rec.group_code}: dùng dòng xuất hiện sau.",
            severity="warning",
            source=rec.source,
            sheet=rec.sheet,
            row=rec.row,
            code=rec.group_code,
            value=rec.period,
        )
        ledger.add(rec.source, "rejected", 1, "trùng kỳ và nhóm", rec.sheet)
    kept = scores.loc[~dup]
    for (src, sheet), grp in kept.groupby(["source", "sheet"], sort=False):
        ledger.add(src, "used", len(grp), "", sheet)
    return kept


def _check_complete_months(scores: pd.DataFrame, ref_max: dict, issues: IssueLog) -> None:
    for per, grp in scores.groupby("period"):
        missing = sorted(set(ref_max) - set(grp["group_code"]))
        if missing:
            issues.add(
                "index766_missing_groups",
                f"Kỳ {per} thiếu nhóm {', '.join(missing)}; tổng điểm kỳ này không đầy đủ.",
                source=str(grp["source"].iloc[0]),
                sheet=str(grp["sheet"].iloc[0]),
                code=str(per),
                value=", ".join(missing),
            )
