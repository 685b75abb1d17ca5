"""The department's yearly scoresheet (bảng điểm): read, classify every row, validate.

The layout of each year's sheet (sheet name, 1- or 2-row header, header text of each
logical column) is *data*: ``raw/config/scoresheet_layouts.csv`` (``item,2025,2026``, the
sentinel ``-`` = absent that year; see docs/data-contracts.md, "Scoresheet").

Row classification (below the header):
    * Roman numeral in the code column (``I``, ``II.``, ``III -``) -> field row (code ``3``);
    * dotted code (``1.2``, ``1.2.``, ``3.2.1``) -> criterion / sub-criterion row;
    * no code: blank row, column-numbering row ``(1) (2) …``, subtotal (``Cộng lĩnh vực I``,
      ``Cộng``), grand total (``Tổng cộng``, ``Tổng điểm``), note (``Ghi chú: …``, footer
      rows after the grand total) or scoring-option line (``- Ban hành đúng hạn: 0,5 điểm``).
Only coded rows carry scores; subtotal and option rows are never added to anything, so
they cannot be double counted. Parent values are recomputed from the leaves
(``parlib.framework.rollup``) and the printed values are checked against them.

Content rules (issue ``rule`` ids): ``score_above_max``, ``negative_score``,
``missing_score``, ``text_in_number``, ``parent_sum_mismatch``, ``total_mismatch``,
``code_not_in_framework``, ``code_missing_from_sheet``, ``max_mismatch``,
``self_below_final`` (info), ``duplicate_code``, ``code_unrecognised``,
``code_stored_as_number``, ``uncoded_row_with_score``, ``extra_column`` (info),
``year_mismatch``, ``unit_name_missing``, ``unit_name_mismatch``.

Free text (``explanation``, ``reason``) is scrubbed of phone numbers, e-mail addresses and ID
numbers (``parlib.readers.scrub_text``) on the way in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cells import parse_numbers
from parlib.core.errors import ConfigError, InputFormatError, Problem, StructuralError
from parlib.core.issues import IssueLog, Ledger, excel_cell
from parlib.core.text import fold, normalise_text, scrub_frame, scrub_identifiers, scrub_text
from parlib.core.vnformat import fmt_num
from parlib.ingest.framework import find_framework, load_framework
from parlib.ingest.readers import find_header_row, flatten_header, map_columns, read_cells
from parlib.ingest.scoresheet_checks import _Context, _validate_and_tidy
from parlib.ingest.scoresheet_layout import (
    _UNIT_RE,
    COLUMN_VI,
    LOGICAL_COLUMNS,
    NOT_APPLICABLE,
    NUMERIC_COLUMNS,
    Layout,
    _is_column_numbering,
    _row_text,
    _subtotal_field,
    classify_uncoded,
    load_layouts,
    parse_code,
)
from parlib.model.framework import Framework

# ---------------------------------------------------------------- reading


@dataclass
class ScoresheetResult:
    """Outcome of ``read_scoresheet``.

    scores        tidy table (docs/data-contracts.md; columns ``SCORE_COLUMNS_OUT``)
    issues        issues table (parlib.issues)
    ledger        ledger rows (source, sheet, status, reason, rows); read = used+skipped+rejected
    rows          one row per sheet row: ``row`` (1-based), ``kind``, ``status``, ``reason``, ``code``
    printed_total the final-points value of the first grand-total row (NaN if none)
    meta          title, unit_name, year, sheet, header_row, columns, extra_columns, is_illustrative
    """

    scores: pd.DataFrame
    issues: pd.DataFrame
    ledger: pd.DataFrame
    rows: pd.DataFrame
    printed_total: float
    meta: dict = field(default_factory=dict)


def _find_header(cells: pd.DataFrame, layout: Layout, name: str, sheet: str) -> int:
    labels = [s.split(" / ")[0] for s in layout.columns["code"]]
    h = find_header_row(cells, labels)
    if h is None:
        raise StructuralError(
            "Không tìm thấy dòng tiêu đề của bảng điểm.",
            [
                Problem(
                    f"không thấy ô tiêu đề «{' | '.join(labels)}» của cột mã trong 30 dòng đầu; kiểm tra lại "
                    f"tệp hoặc bố cục năm {layout.year} trong scoresheet_layouts.csv",
                    file=name,
                    sheet=sheet,
                )
            ],
        )
    if h + layout.header_rows > len(cells):
        raise StructuralError(
            "Bảng điểm không có dữ liệu.",
            [
                Problem(
                    f"dòng tiêu đề {h + 1} là dòng cuối cùng; bảng không có dòng điểm nào",
                    file=name,
                    sheet=sheet,
                )
            ],
        )
    return h


def _title_info(cells: pd.DataFrame, h: int) -> tuple[str, str | None, bool, int | None]:
    lines = [_row_text(list(r), {}) for r in cells.iloc[:h].itertuples(index=False)]
    lines = [s for s in lines if s]
    title = next(
        (s for s in lines if "bang diem" in fold(s) or "ket qua" in fold(s)), lines[0] if lines else ""
    )
    unit = None
    for s in lines:
        m = _UNIT_RE.search(s)
        if m:
            unit = m.group(1).strip()
            break
        if fold(s).startswith("don vi:"):
            unit = s.split(":", 1)[1].strip()
            break
    m = re.search(r"\bnam (\d{4})\b", fold(title))
    return title, unit, any("minh hoa" in fold(s) for s in lines), (int(m.group(1)) if m else None)


def read_scoresheet(
    path: str | Path,
    year: int,
    framework: Framework,
    layout: Layout,
    *,
    unit_name: str | None = None,
    display_name: str | None = None,
) -> ScoresheetResult:
    """Read, classify and validate one scoresheet against the framework of its year.

    ``display_name`` names the file in issues (default: the file name); ``unit_name``
    overrides the unit found in the title rows. Raises InputFormatError (not a workbook,
    empty file or sheet), StructuralError (missing sheet, header row not found, missing
    columns: all named). Content problems go to ``issues`` (module docstring).
    """
    path = Path(path)
    name = display_name or path.name
    cells, sheet = read_cells(path, layout.sheet, display_name=name)
    if cells.empty or cells.isna().all().all():
        raise InputFormatError(
            "Trang tính trống.", [Problem("trang tính không có ô dữ liệu nào", file=name, sheet=sheet)]
        )
    log = IssueLog()
    h = _find_header(cells, layout, name, sheet)
    headers = flatten_header(cells, h, layout.header_rows)
    pos, extras = map_columns(
        headers,
        {c: list(s) for c, s in layout.columns.items()},
        required=list(layout.columns),
        file=name,
        sheet=sheet,
        header_row=h,
    )
    for j, hdr in enumerate(headers):
        if hdr and j not in pos.values():
            log.add(
                "extra_column",
                f"Cột «{hdr}» không có trong bố cục năm {year}; cột này không được sử dụng.",
                severity="info",
                source=name,
                sheet=sheet,
                cell=excel_cell(h + 1, j + 1),
                row=h + 1,
                column=hdr,
            )
    title, found_unit, illustrative, title_year = _title_info(cells, h)
    unit = unit_name or found_unit or ""
    if (
        unit_name
        and found_unit
        and fold(found_unit) not in fold(unit_name)
        and fold(unit_name) not in fold(found_unit)
    ):
        log.add(
            "unit_name_mismatch",
            f"Tiêu đề bảng điểm ghi đơn vị «{found_unit}», khác đơn vị đã khai báo «{unit_name}» "
            "(raw/config/unit.csv hoặc tham số --unit); hãy kiểm tra đúng tệp của đơn vị.",
            source=name,
            sheet=sheet,
            value=found_unit,
        )
    if not unit:
        log.add(
            "unit_name_missing",
            "Không xác định được tên đơn vị từ dòng tiêu đề của bảng điểm.",
            source=name,
            sheet=sheet,
        )
    if title_year is not None and title_year != int(year):
        log.add(
            "year_mismatch",
            f"Tiêu đề bảng điểm ghi năm {title_year}, nhưng tệp được đọc cho năm {year}.",
            source=name,
            sheet=sheet,
            value=title,
        )
    ctx = _Context(name, sheet, headers, pos, log)
    rows, coded = _classify_rows(cells, h, layout.header_rows, ctx)
    scores, printed_total = _validate_and_tidy(coded, rows, framework, ctx, year=int(year), unit=unit)
    rows_df = pd.DataFrame(rows, columns=["row", "kind", "status", "reason", "code"])
    rows_df["row"] = rows_df["row"].astype("int64")
    ledger = Ledger()
    for (status, reason), n in rows_df.groupby(["status", "reason"], sort=False).size().items():
        ledger.add(name, status, int(n), reason=reason, sheet=sheet)
    scores = scrub_frame(scores, free_text=_FREE_TEXT)
    title, unit = scrub_identifiers(title), scrub_identifiers(unit)
    meta = {
        "title": title,
        "unit_name": unit,
        "year": int(year),
        "sheet": sheet,
        "header_row": h + 1,
        "columns": {c: headers[j] for c, j in pos.items()},
        "extra_columns": extras,
        "absent_columns": layout.absent,
        "is_illustrative": illustrative,
        "printed_total": printed_total,
        "rows_read": int(len(cells)),
    }
    return ScoresheetResult(scores, log.to_frame(), ledger.to_frame(), rows_df, printed_total, meta)


def _classify_rows(cells: pd.DataFrame, h: int, n_header: int, ctx: _Context) -> tuple[list, pd.DataFrame]:
    """Per-row classification and the parsed values of coded and total rows."""
    rows: list[list] = [[i + 1, "title", "skipped", "dòng tiêu đề bảng", ""] for i in range(h)]
    rows += [[h + 1 + k, "header", "skipped", "dòng tiêu đề cột", ""] for k in range(n_header)]
    data = cells.iloc[h + n_header :]
    pos = ctx.pos
    raw = {
        c: data[pos[c]] if c in pos else pd.Series([None] * len(data), index=data.index, dtype=object)
        for c in LOGICAL_COLUMNS
    }
    nums, bad = {}, {}
    for c in NUMERIC_COLUMNS:
        s = raw[c].map(lambda v: None if isinstance(v, str) and v.strip() in NOT_APPLICABLE else v)
        nums[c], bad[c] = parse_numbers(s)
    recs, seen_code, after_total, current_field, mode = [], False, False, None, None
    resolved: dict[str, list[tuple[int, str]]] = {}
    for i, values in zip(data.index, data.itertuples(index=False)):
        r = int(i) + 1
        values = list(values)
        code, kind = parse_code(values[pos["code"]])
        if _is_column_numbering(values):
            rows.append([r, "header", "skipped", "dòng đánh số cột", ""])
            continue
        if kind == "text":
            txt = normalise_text(values[pos["code"]])
            k, _ = classify_uncoded(txt, after_total=after_total, seen_code=False)
            if k not in ("grand_total", "subtotal", "note"):
                ctx.add(
                    "code_unrecognised",
                    f"Không nhận dạng được mã «{txt}» (cần số La Mã hoặc mã số chấm "
                    f"như 1.2, 3.2.1); dòng bị loại.",
                    row=r,
                    col="code",
                    value=txt,
                    severity="error",
                )
                rows.append([r, "unrecognised", "rejected", "mã không nhận dạng được", ""])
                continue
            kind = "blank"
        if kind == "number":
            ctx.add(
                "code_stored_as_number",
                f"Mã «{code}» được nhập dạng số; Excel có thể đã bỏ số 0 cuối "
                f"(ví dụ 1.10 thành 1.1). Hãy nhập mã dạng văn bản.",
                row=r,
                col="code",
                code=code,
                value=code,
            )
        if code is not None:
            seen_code = True
            if kind == "field":
                current_field, mode = code, None
            elif current_field is not None:
                # the first code under a field row says how the field numbers its items: "2.1"
                # (full codes) or "1" / "1.1" (numbered within the field: prefix the field's code)
                if mode is None:
                    mode = "full" if code.startswith(current_field + ".") else "within"
                if mode == "within":
                    resolved.setdefault(current_field, []).append((r, code))
                    code = f"{current_field}.{code}"
            recs.append(_record(r, "coded", code, i, raw, nums, bad))
            rows.append([r, "coded", "used", "dòng điểm", code])
            continue
        text = _row_text(values, pos)
        k, reason = classify_uncoded(text, after_total=after_total, seen_code=seen_code)
        if k in ("grand_total", "subtotal"):
            fcode = _subtotal_field(text, current_field) if k == "subtotal" else ""
            recs.append(_record(r, k, fcode or "", i, raw, nums, bad))
            after_total = after_total or k == "grand_total"
        elif k in ("option", "heading") and "final_points" in pos and not np.isnan(nums["final_points"][i]):
            ctx.add(
                "uncoded_row_with_score",
                f"Dòng không có mã nhưng có {COLUMN_VI['final_points']} "
                f"({fmt_num(nums['final_points'][i])}); dòng này không được tính vào tổng.",
                row=r,
                col="final_points",
                value=raw["final_points"][i],
            )
        rows.append([r, k, "skipped", reason, fcode if k == "subtotal" else ""])
    for fcode, items in resolved.items():
        (r0, c0), (r1, c1) = items[0], items[-1]
        ctx.add(
            "code_numbered_within_field",
            f"Lĩnh vực {fcode} đánh số các tiêu chí từ 1 trong lĩnh vực ({len(items)} dòng, từ dòng {r0} "
            f"đến dòng {r1}); mã đầy đủ được ghép theo thứ tự trong bảng: «{c0}» → «{fcode}.{c0}» … "
            f"«{c1}» → «{fcode}.{c1}».",
            row=r0,
            col="code",
            code=fcode,
            severity="info",
        )
    cols = (
        ["row", "kind", "code", "name", "explanation", "reason"]
        + NUMERIC_COLUMNS
        + [f"{c}_bad" for c in NUMERIC_COLUMNS]
        + [f"{c}_raw" for c in NUMERIC_COLUMNS]
    )
    out = pd.DataFrame(recs, columns=cols)
    out = out.astype(
        {**{c: float for c in NUMERIC_COLUMNS}, **{f"{c}_bad": bool for c in NUMERIC_COLUMNS}, "row": "int64"}
    )
    return rows, out


_FREE_TEXT = ("explanation", "reason")  # scrubbed of addresses too; every other text column of identifiers


def _record(r: int, kind: str, code: str, i, raw: dict, nums: dict, bad: dict) -> dict:
    rec = {"row": r, "kind": kind, "code": code}
    for c in ("name", "explanation", "reason"):
        rec[c] = normalise_text(raw[c][i]) or ""
        if c != "name":  # free text: phones, e-mails and ID numbers never reach an output
            rec[c] = scrub_text(rec[c])
    for c in NUMERIC_COLUMNS:
        rec[c] = float(nums[c][i])
        rec[f"{c}_bad"] = bool(bad[c][i])
        rec[f"{c}_raw"] = raw[c][i]
    return rec


# ---------------------------------------------------------------- structural completeness

_MATCH_RULES = ("code_missing_from_sheet", "duplicate_code", "code_not_in_framework", "code_unrecognised")


def require_complete(res: ScoresheetResult, framework: Framework) -> None:
    """Raise StructuralError when the total cannot be computed: a framework leaf matched by no row
    or by two rows, or a leaf without a final score (blank or not a number). No report is then
    published. The message names every leaf missing, every repeated row, every row whose code was
    not understood (the likely cause) and every leaf row without a final score."""
    iss = res.issues
    leaves = set(framework.nodes.loc[framework.nodes["is_leaf"], "code"])
    has_rule = not iss.empty
    missing = (
        iss.loc[(iss["rule"] == "code_missing_from_sheet") & iss["code"].isin(leaves)] if has_rule else iss
    )
    dupes = iss.loc[iss["rule"] == "duplicate_code"] if has_rule else iss
    sc = res.scores
    blank = sc.loc[sc["is_leaf"].astype(bool) & sc["final_points"].isna()]
    if missing.empty and dupes.empty and blank.empty:
        return
    problems = []
    if has_rule:
        for rec in iss.loc[iss["rule"].isin(_MATCH_RULES)].itertuples(index=False):
            if rec.rule == "code_missing_from_sheet" and rec.code not in leaves:
                continue
            row = None if pd.isna(rec.row) else int(rec.row)
            problems.append(
                Problem(rec.message, file=rec.source, sheet=rec.sheet, cell=rec.cell or "", row=row)
            )
    for rec in blank.itertuples(index=False):
        problems.append(
            Problem(
                f"mã «{rec.code}»: chưa có {COLUMN_VI['final_points']} (ô trống hoặc không phải số)",
                file=rec.source,
                sheet=rec.sheet,
                row=None if pd.isna(rec.row) else int(rec.row),
            )
        )
    raise StructuralError(
        f"Bảng điểm chưa đủ để tính tổng điểm: {len(missing)} tiêu chí không có dòng điểm, {len(dupes)} dòng "
        f"trùng mã, {len(blank)} tiêu chí chưa có {COLUMN_VI['final_points']}; không lập báo cáo. Hãy sửa các "
        "dòng sau (hoặc khai báo cách đánh số mã trong bảng điểm):",
        problems,
    )


# ---------------------------------------------------------------- entry point for `parlib validate`


def year_of(path: str | Path) -> int:
    """Year from ``bang_diem_<year>.xlsx``; ConfigError otherwise."""
    m = re.fullmatch(r"bang_diem_(\d{4})\.xlsx", Path(path).name)
    if not m:
        raise ConfigError(f"Tên tệp bảng điểm «{Path(path).name}» cần có dạng bang_diem_<năm>.xlsx.")
    return int(m.group(1))


def load_scoresheet(path: str | Path, paths, year: int | None = None) -> ScoresheetResult:
    """Read ``path`` with the layout and framework of its year from the data folder ``paths``."""
    year = year or year_of(path)
    layout = load_layouts(paths.config / "scoresheet_layouts.csv")[year]
    fw = load_framework(find_framework(paths.framework, year))
    return read_scoresheet(path, year, fw, layout, display_name=paths.rel(Path(path)))


def validate_scoresheet_file(path: str | Path, paths) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(issues, ledger) of one scoresheet file, for ``parlib validate PATH``."""
    res = load_scoresheet(path, paths)
    return res.issues, res.ledger
