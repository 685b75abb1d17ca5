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
``year_mismatch``, ``unit_name_missing``.

Free text (``explanation``, ``reason``) is scrubbed of phone numbers, e-mail addresses and ID
numbers (``parlib.readers.scrub_text``) on the way in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cells import parse_numbers
from parlib.core.errors import ConfigError, InputFormatError, Problem, StructuralError
from parlib.core.issues import IssueLog, Ledger, excel_cell
from parlib.core.text import fold, normalise_text, scrub_text
from parlib.core.vnformat import fmt_num
from parlib.ingest.framework import find_framework, load_framework
from parlib.ingest.readers import find_header_row, flatten_header, map_columns, read_cells
from parlib.ingest.scoresheet_layout import (
    _UNIT_RE,
    LOGICAL_COLUMNS,
    NOT_APPLICABLE,
    NUMERIC_COLUMNS,
    SCORE_COLUMNS,
    Layout,
    _is_column_numbering,
    _row_text,
    _subtotal_field,
    classify_uncoded,
    load_layouts,
    parse_code,
)
from parlib.model.framework import Framework, rollup

PRINT_TOL = 0.005 + 1e-9  # printed values are rounded to 2 decimals
TOL = 1e-9
SCORE_COLUMNS_OUT = [
    "year",
    "unit_name",
    "code",
    "level",
    "is_leaf",
    "name",
    "max_points",
    "self_points",
    "appraisal1_points",
    "explanation",
    "final_points",
    "bonus_points",
    "penalty_points",
    "reason",
    "source",
    "sheet",
    "row",
]
COLUMN_VI = {
    "max_points": "điểm tối đa",
    "self_points": "điểm tự đánh giá",
    "appraisal1_points": "điểm thẩm định lần 1",
    "final_points": "điểm thẩm định cuối cùng",
    "bonus_points": "điểm thưởng",
    "penalty_points": "điểm trừ",
}


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


@dataclass
class _Context:
    name: str
    sheet: str
    headers: list[str]
    pos: dict[str, int]
    log: IssueLog

    def cell(self, row: int, col: str) -> str:
        return excel_cell(row, self.pos[col] + 1) if col in self.pos else ""

    def add(
        self,
        rule: str,
        message: str,
        *,
        row: int | None,
        col: str = "",
        code: str = "",
        value="",
        severity: str = "warning",
    ) -> None:
        self.log.add(
            rule,
            message,
            severity=severity,
            source=self.name,
            sheet=self.sheet,
            cell=self.cell(row, col) if row is not None and col else "",
            row=row,
            column=self.headers[self.pos[col]] if col in self.pos else "",
            code=code,
            value="" if value is None or (isinstance(value, float) and math.isnan(value)) else value,
        )


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
    recs, seen_code, after_total, current_field = [], False, False, None
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
                current_field = code
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


# ---------------------------------------------------------------- validation


def _validate_and_tidy(
    recs: pd.DataFrame, rows: list, fw: Framework, ctx: _Context, *, year: int, unit: str
) -> tuple[pd.DataFrame, float]:
    nodes = fw.nodes
    info = nodes.set_index("code")
    row_status = {r[0]: r for r in rows}

    def reject(rec, rule: str, msg: str, reason: str) -> None:
        ctx.add(rule, msg, row=rec.row, col="code", code=rec.code, value=rec.code, severity="error")
        row_status[rec.row][2:4] = ["rejected", reason]

    coded = recs.loc[recs["kind"] == "coded"]
    used_idx, seen = [], {}
    for rec in coded.itertuples():
        if rec.code not in info.index:
            reject(
                rec,
                "code_not_in_framework",
                f"Mã «{rec.code}» không có trong bộ tiêu chí năm {year}; dòng bị loại.",
                "mã không có trong bộ tiêu chí",
            )
        elif rec.code in seen:
            reject(
                rec,
                "duplicate_code",
                f"Mã «{rec.code}» xuất hiện lần nữa (đã có ở dòng {seen[rec.code]}); dòng lặp bị loại.",
                "mã bị trùng",
            )
        else:
            seen[rec.code] = rec.row
            used_idx.append(rec.Index)
    used = coded.loc[used_idx].copy()
    used["is_leaf"] = used["code"].map(info["is_leaf"]).astype(bool)
    used["fw_max"] = used["code"].map(info["max_points"]).astype(float)
    for c in NUMERIC_COLUMNS:
        for rec in used.loc[used[f"{c}_bad"]].itertuples():
            ctx.add(
                "text_in_number",
                f"Ô {COLUMN_VI[c]} chứa chữ «{getattr(rec, c + '_raw')}» thay vì số; "
                f"giá trị được coi là trống.",
                row=rec.row,
                col=c,
                code=rec.code,
                value=getattr(rec, c + "_raw"),
                severity="error",
            )
    for rec in used.itertuples():
        _check_row(rec, ctx)
    # every framework leaf (absent ones too, so a parent above a missing leaf has no final score)
    values = nodes.loc[nodes["is_leaf"], ["code"]].merge(
        used[["code"] + NUMERIC_COLUMNS], on="code", how="left"
    )
    values["in_sheet"] = values["code"].isin(used["code"]).map({True: 1.0, False: np.nan})
    values[["bonus_points", "penalty_points"]] = values[["bonus_points", "penalty_points"]].fillna(0.0)
    values["final_missing"] = values["final_points"].isna().astype(float)
    sums = rollup(values, nodes).set_index("code")
    present = sums.index[sums["in_sheet"].notna()].union(pd.Index(used["code"]))
    for rec in nodes.itertuples():
        if rec.code not in seen:
            ctx.add(
                "code_missing_from_sheet",
                f"Mã «{rec.code}» ({rec.name}) của bộ tiêu chí không có trong bảng điểm.",
                row=None,
                code=rec.code,
                severity="error" if rec.is_leaf else "info",
            )
    final = sums["final_points"].where(sums["final_missing"].fillna(0) == 0)
    for rec in used.loc[~used["is_leaf"]].itertuples():
        _check_printed(ctx, rec.row, rec.code, "final_points", rec.final_points, final.get(rec.code, np.nan))
        for c in ("bonus_points", "penalty_points"):
            _check_printed(ctx, rec.row, rec.code, c, getattr(rec, c), sums.at[rec.code, c])
    for rec in recs.loc[recs["kind"] == "subtotal"].itertuples():
        if rec.code in final.index:
            _check_printed(ctx, rec.row, rec.code, "final_points", rec.final_points, final[rec.code])
    fields = nodes.loc[nodes["parent_code"] == "", "code"]
    total_final = (
        float(final.reindex(fields).sum(min_count=1)) if final.reindex(fields).notna().all() else np.nan
    )
    adjusted = total_final + float(values["bonus_points"].sum()) - float(values["penalty_points"].sum())
    grands = recs.loc[recs["kind"] == "grand_total"]
    printed_total = float(grands["final_points"].iloc[0]) if len(grands) else np.nan
    for rec in grands.itertuples():
        p = rec.final_points
        if (
            not np.isnan(p)
            and not np.isnan(total_final)
            and min(abs(p - total_final), abs(p - adjusted)) > PRINT_TOL
        ):
            ctx.add(
                "total_mismatch",
                f"Tổng cộng in trên bảng điểm ({fmt_num(p)}) khác tổng điểm tính lại từ các "
                f"tiêu chí ({fmt_num(total_final)}).",
                row=rec.row,
                col="final_points",
                value=rec.final_points_raw,
                severity="error",
            )
        if not np.isnan(rec.max_points) and abs(rec.max_points - fw.total_points) > PRINT_TOL:
            ctx.add(
                "max_mismatch",
                f"Tổng điểm tối đa in trên bảng điểm ({fmt_num(rec.max_points)}) khác tổng điểm "
                f"của bộ tiêu chí ({fmt_num(fw.total_points)}).",
                row=rec.row,
                col="max_points",
                value=rec.max_points_raw,
            )
    return _tidy(nodes, used, sums, final, present, ctx, year=year, unit=unit), printed_total


def _check_row(rec, ctx: _Context) -> None:
    code, mx = rec.code, rec.fw_max
    if not np.isnan(rec.max_points) and abs(rec.max_points - mx) > PRINT_TOL:
        ctx.add(
            "max_mismatch",
            f"Điểm tối đa in trên bảng điểm ({fmt_num(rec.max_points)}) khác điểm tối đa của "
            f"bộ tiêu chí ({fmt_num(mx)}).",
            row=rec.row,
            col="max_points",
            code=code,
            value=rec.max_points_raw,
        )
    if not rec.is_leaf:
        return
    if np.isnan(rec.final_points) and not rec.final_points_bad:
        ctx.add(
            "missing_score",
            f"Tiêu chí «{code}» chưa có {COLUMN_VI['final_points']}.",
            row=rec.row,
            col="final_points",
            code=code,
            severity="error",
        )
    for c in SCORE_COLUMNS + ["bonus_points", "penalty_points"]:
        v = getattr(rec, c)
        if np.isnan(v):
            continue
        if v < -TOL:
            ctx.add(
                "negative_score",
                f"{COLUMN_VI[c].capitalize()} âm ({fmt_num(v)}).",
                row=rec.row,
                col=c,
                code=code,
                value=getattr(rec, c + "_raw"),
                severity="error",
            )
        elif c in SCORE_COLUMNS and v > mx + TOL:
            ctx.add(
                "score_above_max",
                f"{COLUMN_VI[c].capitalize()} ({fmt_num(v)}) vượt điểm tối đa "
                f"({fmt_num(mx)}); giữ nguyên giá trị như bảng điểm.",
                row=rec.row,
                col=c,
                code=code,
                value=getattr(rec, c + "_raw"),
                severity="warning" if c == "self_points" else "error",
            )
    if (
        not np.isnan(rec.self_points)
        and not np.isnan(rec.final_points)
        and rec.self_points < rec.final_points - TOL
    ):
        ctx.add(
            "self_below_final",
            f"Điểm tự đánh giá ({fmt_num(rec.self_points)}) thấp hơn điểm thẩm định cuối "
            f"cùng ({fmt_num(rec.final_points)}).",
            row=rec.row,
            col="self_points",
            code=code,
            value=rec.self_points_raw,
            severity="info",
        )


def _check_printed(ctx: _Context, row: int, code: str, col: str, printed: float, recomputed: float) -> None:
    """Printed parent/subtotal value vs the sum of its leaves (blank printed values are not checked;
    a blank bonus/penalty equals 0)."""
    if np.isnan(printed) or (np.isnan(recomputed) and col == "final_points"):
        return
    recomputed = 0.0 if np.isnan(recomputed) else recomputed
    if abs(printed - recomputed) > PRINT_TOL:
        ctx.add(
            "parent_sum_mismatch",
            f"Mã «{code}»: {COLUMN_VI[col]} in trên bảng điểm ({fmt_num(printed)}) khác "
            f"tổng của các tiêu chí thành phần ({fmt_num(recomputed)}).",
            row=row,
            col=col,
            code=code,
            value=fmt_num(printed),
            severity="error",
        )


def _tidy(
    nodes: pd.DataFrame,
    used: pd.DataFrame,
    sums: pd.DataFrame,
    final: pd.Series,
    present: pd.Index,
    ctx: _Context,
    *,
    year: int,
    unit: str,
) -> pd.DataFrame:
    """One row per framework node present in the sheet (itself or a leaf below), in framework order.
    Leaves keep their printed values; parents get the sums of their leaves (final: NaN when any
    leaf below lacks a final score); ``max_points`` comes from the framework."""
    nd = nodes.loc[nodes["code"].isin(present)]
    by = used.set_index("code")
    out = pd.DataFrame(
        {
            "year": year,
            "unit_name": unit,
            "code": nd["code"].to_numpy(),
            "level": nd["level"].to_numpy(),
            "is_leaf": nd["is_leaf"].to_numpy().astype(bool),
        }
    )
    in_sheet = out["code"].isin(by.index)
    sheet_name = out["code"].map(by["name"]) if len(by) else pd.Series("", index=out.index)
    out["name"] = sheet_name.where(
        in_sheet & sheet_name.fillna("").ne(""), out["code"].map(dict(zip(nodes["code"], nodes["name"])))
    )
    out["max_points"] = nd["max_points"].to_numpy().astype(float)
    for c in (
        "self_points",
        "appraisal1_points",
        "explanation",
        "final_points",
        "bonus_points",
        "penalty_points",
        "reason",
    ):
        if c in ("explanation", "reason"):
            out[c] = out["code"].map(by[c]).fillna("") if len(by) else ""
            continue
        leaf_val = out["code"].map(by[c]) if len(by) else np.nan
        parent_val = out["code"].map(final if c == "final_points" else sums[c])
        out[c] = np.where(out["is_leaf"], leaf_val, parent_val).astype(float)
    out[["bonus_points", "penalty_points"]] = out[["bonus_points", "penalty_points"]].fillna(0.0)
    out["source"], out["sheet"] = ctx.name, ctx.sheet
    out["row"] = pd.array(out["code"].map(by["row"]) if len(by) else [pd.NA] * len(out), dtype="Int64")
    for c in ("unit_name", "code", "level", "name", "explanation", "reason", "source", "sheet"):
        out[c] = out[c].astype(str)
    out["year"] = out["year"].astype("int64")
    return out[SCORE_COLUMNS_OUT].reset_index(drop=True)


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
