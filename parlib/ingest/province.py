"""Province-wide PAR INDEX results (kết quả toàn tỉnh) — ``raw/province/ket_qua_par_index_<year>.xlsx``.

Format (docs/data-contracts.md, "Province-wide results"): sheet ``Ket qua``, title row(s),
then one header row found by searching for «Đơn vị»: ``STT``, ``Đơn vị``, ``Lĩnh vực 1`` …
``Lĩnh vực k`` (points), ``Tổng điểm``, ``Chỉ số (%)``, ``Xếp hạng`` (blank when not
published), ``Xếp loại``.

Rules: a blank rank stays missing (<NA>), never 0; blank rows, note rows (no unit name)
and summary rows («Tổng», «Trung bình»…) are skipped and counted in the ledger; a text
number with a decimal comma is accepted; a bad number becomes NaN with an issue; a unit
rename map (old name → current name) is applied and the original kept; two rows for the
same unit (e.g. two predecessors mapped to one name) → the later rows are rejected with an
issue; Σ fields ≠ total (beyond 0,01) is a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cells import parse_numbers
from parlib.core.errors import Problem, StructuralError
from parlib.core.issues import IssueLog, Ledger, excel_cell
from parlib.core.numbers import is_blank
from parlib.core.text import fold, normalise_text, scrub_frame
from parlib.ingest.province_layout import DEFAULT_SHEET, DEFAULT_SPEC, ProvinceLayout
from parlib.ingest.readers import find_header_row, flatten_header, map_columns, read_cells

SHEET = DEFAULT_SHEET
SPEC = {k: list(v) for k, v in DEFAULT_SPEC.items()}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_SUMMARY_KEYS = ("tong", "tong cong", "trung binh", "binh quan", "trung vi", "cao nhat", "thap nhat")
# a row whose unit cell starts so is a note or a signature line under the table, not a unit
_NOTE_RE = re.compile(
    r"^(ghi chu|luu y|chu thich|nguon|\(\*+\)|\*|nguoi lap|nguoi ky|ky ten|giam doc|chu tich|"
    r"tm\.?\s|kt\.?\s|noi nhan|danh sach (nay )?gom|co \d+ (don vi|co quan))"
)
TOL = 0.011
MAX_RANK = 10_000  # a rank beyond any plausible number of units is a typo, not a rank


def _field_no(header: str, field_re: re.Pattern | None = None) -> int | None:
    m = (field_re or ProvinceLayout().field_re).match(fold(header))
    if not m:
        return None
    tok = m.group(1)
    return int(tok) if tok.isdigit() else _ROMAN.get(tok)


def read_province(
    path: str | Path,
    year: int | None = None,
    *,
    unit_aliases: dict[str, str] | None = None,
    display_name: str | None = None,
    layout: ProvinceLayout | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read one year's province-wide results.

    Returns (table, issues, ledger). ``table`` columns: year, unit_name,
    unit_name_original, field_<k>_points for every «Lĩnh vực k» column, total_points,
    index_pct, rank (Int64, <NA> when blank), band, source, sheet, row (1-based Excel row).
    ``layout`` (``parlib.ingest.province_layout``) gives the sheet, the header rows and the
    header spellings of the year (default: sheet «Ket qua», one header row, built-in spellings).
    A row whose unit cell is a note or a signature line, or that has no number in the total and
    field columns, is skipped as a note and listed in an info issue: it is never a unit.
    Raises InputFormatError / StructuralError (missing sheet, no «Đơn vị» header in the
    first 30 rows, missing «Tổng điểm» column).
    """
    layout = layout or ProvinceLayout(year=year)
    path = Path(path)
    name = display_name or path.name
    if year is None:
        m = re.search(r"(\d{4})", path.stem)
        year = int(m.group(1)) if m else None
    cells, sheet = read_cells(path, layout.sheet, display_name=name)
    spec = {k: list(v) for k, v in layout.spec.items()}
    h = find_header_row(cells, spec["unit_name"])
    if h is None:
        raise StructuralError(
            "Không tìm thấy dòng tiêu đề của bảng kết quả toàn tỉnh.",
            [
                Problem(
                    f"không có ô «{' | '.join(spec['unit_name'][:3])}…» trong 30 dòng đầu (thêm cách viết "
                    "tiêu đề vào raw/config/province_layouts.csv, mục unit_name)",
                    file=name,
                    sheet=sheet,
                )
            ],
        )
    n_head = min(layout.header_rows, len(cells) - h)
    headers = flatten_header(cells, h, n_head)
    if n_head == 2:  # a 2-row header: a column is found by its upper or its lower text as well
        single = [[normalise_text(v) or "" for v in cells.iloc[r].tolist()] for r in (h, h + 1)]
        known = lambda c: _matches_any(c, spec) or layout.field_re.match(fold(c)) is not None  # noqa: E731
        headers = [next((c for c in (x, lo, up) if known(c)), x) for x, up, lo in zip(headers, *single)]
    mapping, extras = map_columns(
        headers, spec, required=["unit_name", "total_points"], file=name, sheet=sheet, header_row=h
    )
    fre = layout.field_re
    fields = {j: _field_no(x, fre) for j, x in enumerate(headers) if _field_no(x, fre) is not None}
    issues, ledger = IssueLog(), Ledger()
    ledger.add(name, "skipped", h + n_head, "dòng tiêu đề", sheet=sheet)
    if not fields:
        issues.add(
            "province_no_fields",
            "Không có cột «Lĩnh vực …» nào; chỉ so sánh được tổng điểm.",
            source=name,
            sheet=sheet,
            row=h + 1,
        )
    aliases = {fold(k): normalise_text(v) for k, v in (unit_aliases or {}).items()}
    body = cells.iloc[h + n_head :]
    recs, seen = [], {}
    counts = {"blank": 0, "note": 0, "summary": 0, "note_text": 0}
    score_cols = [mapping["total_points"], *fields]
    for i, row in body.iterrows():
        xrow = int(i) + 1
        vals = row.tolist()
        if all(is_blank(v) for v in vals):
            counts["blank"] += 1
            continue
        unit = normalise_text(vals[mapping["unit_name"]])
        if not unit:
            counts["note"] += 1
            continue
        if fold(unit) in _SUMMARY_KEYS or fold(unit).startswith(("tong cong", "trung binh")):
            counts["summary"] += 1
            continue
        if _NOTE_RE.match(fold(unit)) or all(is_blank(vals[j]) for j in score_cols):
            counts["note_text"] += 1
            issues.add(
                "province_note_row",
                f"Dòng «{unit[:80]}» không có điểm (dòng ghi chú hoặc chữ ký); không tính là một đơn vị.",
                severity="info",
                source=name,
                sheet=sheet,
                cell=excel_cell(xrow, mapping["unit_name"] + 1),
                row=xrow,
            )
            continue
        current = aliases.get(fold(unit), unit)
        if fold(current) in seen:
            issues.add(
                "province_duplicate_unit",
                f"Đơn vị «{current}» xuất hiện nhiều lần (dòng {seen[fold(current)]} "
                f"và dòng {xrow}); giữ dòng đầu, loại dòng này.",
                severity="error",
                source=name,
                sheet=sheet,
                cell=excel_cell(xrow, mapping["unit_name"] + 1),
                row=xrow,
                column=headers[mapping["unit_name"]],
                code=current,
                value=unit,
            )
            ledger.add(name, "rejected", 1, "đơn vị trùng", sheet=sheet)
            continue
        seen[fold(current)] = xrow
        rec = {"year": year, "unit_name": current, "unit_name_original": unit, "_row": xrow, "_cells": vals}
        recs.append(rec)
    ledger.add(name, "skipped", counts["blank"], "dòng trống", sheet=sheet)
    ledger.add(name, "skipped", counts["note"], "dòng ghi chú (không có tên đơn vị)", sheet=sheet)
    ledger.add(name, "skipped", counts["summary"], "dòng tổng hợp", sheet=sheet)
    ledger.add(name, "skipped", counts["note_text"], "dòng ghi chú, chữ ký (không có điểm)", sheet=sheet)
    ledger.add(name, "used", len(recs), sheet=sheet)

    numeric = {f"field_{k}_points": j for j, k in sorted(fields.items(), key=lambda kv: kv[1])}
    numeric["total_points"] = mapping["total_points"]
    if "index_pct" in mapping:
        numeric["index_pct"] = mapping["index_pct"]
    out = pd.DataFrame(
        {
            "year": pd.array([r["year"] for r in recs], dtype="Int64"),
            "unit_name": pd.Series([r["unit_name"] for r in recs], dtype=str),
            "unit_name_original": pd.Series([r["unit_name_original"] for r in recs], dtype=str),
        }
    )
    for col, j in numeric.items():
        raw = pd.Series([r["_cells"][j] for r in recs], dtype=object)
        vals, bad = parse_numbers(raw)
        for k in np.flatnonzero(bad.to_numpy()):
            r = recs[k]
            issues.add(
                "province_bad_number",
                f"Giá trị «{raw.iloc[k]}» không phải là số; để trống.",
                source=name,
                sheet=sheet,
                cell=excel_cell(r["_row"], j + 1),
                row=r["_row"],
                column=headers[j],
                code=r["unit_name"],
                value=raw.iloc[k],
            )
        out[col] = vals.to_numpy()
    if "index_pct" not in out.columns:
        out["index_pct"] = np.nan
    ranks = []
    for r in recs:
        v = r["_cells"][mapping["rank"]] if "rank" in mapping else None
        ranks.append(_parse_rank(v, r, mapping.get("rank"), headers, issues, name, sheet))
    out["rank"] = pd.array(ranks, dtype="Int64")
    out["band"] = pd.Series(
        [normalise_text(r["_cells"][mapping["band"]]) or "" if "band" in mapping else "" for r in recs],
        dtype=str,
    )
    field_cols = [c for c in numeric if c.startswith("field_")]
    if field_cols:
        fsum = out[field_cols].sum(axis=1, min_count=1)
        off = (fsum - out["total_points"]).abs() > TOL
        for k in np.flatnonzero(off.fillna(False).to_numpy()):
            r = recs[k]
            issues.add(
                "province_total_mismatch",
                f"Tổng điểm các lĩnh vực ({fsum.iloc[k]:.2f}) khác «Tổng điểm» "
                f"({out['total_points'].iloc[k]:.2f}).".replace(".", ","),
                source=name,
                sheet=sheet,
                cell=excel_cell(r["_row"], mapping["total_points"] + 1),
                row=r["_row"],
                column=headers[mapping["total_points"]],
                code=r["unit_name"],
            )
    out["source"], out["sheet"] = name, sheet
    out["row"] = pd.array([r["_row"] for r in recs], dtype="Int64")
    cols = [
        "year",
        "unit_name",
        "unit_name_original",
        *field_cols,
        "total_points",
        "index_pct",
        "rank",
        "band",
        "source",
        "sheet",
        "row",
    ]
    return scrub_frame(out[cols]), issues.to_frame(), ledger.to_frame()


def _matches_any(header: str, spec: dict[str, list[str]]) -> bool:
    f = fold(header)
    return bool(f) and any(f == fold(s) for v in spec.values() for s in v)


def _parse_rank(v, r, j, headers, issues: IssueLog, name: str, sheet: str):
    """A rank cell: int in 1..MAX_RANK, or <NA> when blank; '3 (đồng hạng)' gives 3; other text
    or an absurd number: <NA> + issue."""
    if is_blank(v):
        return pd.NA
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        if np.isfinite(v) and float(v).is_integer() and 1 <= v <= MAX_RANK:
            return int(v)
    else:
        m = re.match(r"^\s*(\d{1,6})\b", str(v))
        if m and 1 <= int(m.group(1)) <= MAX_RANK:
            return int(m.group(1))
    issues.add(
        "province_bad_rank",
        f"Thứ hạng «{v}» không hợp lệ; để trống.",
        source=name,
        sheet=sheet,
        cell=excel_cell(r["_row"], j + 1),
        row=r["_row"],
        column=headers[j],
        code=r["unit_name"],
        value=v,
    )
    return pd.NA
