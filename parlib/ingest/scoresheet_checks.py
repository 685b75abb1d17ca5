"""Checks of a parsed scoresheet against its framework (scores above maxima, printed totals and
subtotals against the recomputed ones, missing leaves) and the tidy score table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from parlib.core.issues import IssueLog, excel_cell
from parlib.core.vnformat import fmt_num
from parlib.ingest.scoresheet_layout import (
    COLUMN_VI,
    NUMERIC_COLUMNS,
    PRINT_TOL,
    SCORE_COLUMNS,
    SCORE_COLUMNS_OUT,
    TOL,
)
from parlib.model.framework import Framework, rollup


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
