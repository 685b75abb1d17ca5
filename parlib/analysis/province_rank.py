"""The unit's rank, band and gaps in the province-wide table of two years."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.core.text import fold

# ---------------------------------------------------------------- province-wide comparison


def _find_unit(table: pd.DataFrame, unit_name: str) -> pd.Series | None:
    hit = table.loc[table["unit_name"].map(fold) == fold(unit_name)]
    return hit.iloc[0] if len(hit) else None


def _num(x):
    return None if x is None or pd.isna(x) else float(x)


def compare_province(base_table: pd.DataFrame, target_table: pd.DataFrame, unit_name: str) -> dict:
    """Rank, band and gaps of one unit among all units, in two years.

    Tables as returned by ``parlib.province.read_province`` (unit_name, field_<k>_points,
    total_points, index_pct, rank, band, year). Returns a dict: unit_name, base_year,
    target_year, base_rank, target_rank, rank_change (target − base: negative = moved up;
    None when a rank is missing, never 0), base_band, target_band, band_changed (None when
    unknown), n_units_base, n_units_target, notes (Vietnamese sentences: missing ranking,
    unit not found) and ``table``: a DataFrame with one row per field and one for the total:
    item, item_vi, base_points, target_points, change_points, base_median, target_median,
    base_gap_median, target_gap_median, base_best, target_best, base_gap_best, target_gap_best
    (gap = unit − median / best; NaN when the unit or the item is missing).
    """
    notes: list[str] = []
    yrs = {}
    rows_unit = {}
    for key, t in (("base", base_table), ("target", target_table)):
        yr = t["year"].dropna().iloc[0] if "year" in t.columns and t["year"].notna().any() else None
        yrs[key] = None if yr is None else int(yr)
        u = _find_unit(t, unit_name)
        rows_unit[key] = u
        label = f"năm {yrs[key]}" if yrs[key] else ("năm gốc" if key == "base" else "năm so sánh")
        if u is None:
            notes.append(f"Không tìm thấy đơn vị «{unit_name}» trong kết quả toàn tỉnh {label}.")
        if "rank" not in t.columns or t["rank"].isna().all():
            notes.append(f"Kết quả {label} không công bố xếp hạng; thứ hạng để trống, không tính là 0.")
        elif u is not None and pd.isna(u["rank"]):
            notes.append(f"Đơn vị không có thứ hạng trong kết quả {label}.")
    field_cols = [
        c
        for c in list(target_table.columns) + list(base_table.columns)
        if c.startswith("field_") and c.endswith("_points")
    ]
    field_cols = sorted(dict.fromkeys(field_cols), key=lambda c: int(c.split("_")[1]))
    items = [(c, f"Lĩnh vực {c.split('_')[1]}") for c in field_cols] + [("total_points", "Tổng điểm")]
    recs = []
    for col, label in items:
        rec = {"item": col, "item_vi": label}
        for key, t in (("base", base_table), ("target", target_table)):
            vals = t[col].astype(float) if col in t.columns else pd.Series(dtype=float)
            u = rows_unit[key]
            v = _num(u[col]) if u is not None and col in t.columns else None
            med = float(vals.median()) if vals.notna().any() else np.nan
            best = float(vals.max()) if vals.notna().any() else np.nan
            rec[f"{key}_points"] = np.nan if v is None else v
            rec[f"{key}_median"], rec[f"{key}_best"] = med, best
            rec[f"{key}_gap_median"] = np.nan if v is None else v - med
            rec[f"{key}_gap_best"] = np.nan if v is None else v - best
        rec["change_points"] = rec["target_points"] - rec["base_points"]
        recs.append(rec)
    cols = [
        "item",
        "item_vi",
        "base_points",
        "target_points",
        "change_points",
        "base_median",
        "target_median",
        "base_gap_median",
        "target_gap_median",
        "base_best",
        "target_best",
        "base_gap_best",
        "target_gap_best",
    ]
    ranks = {
        k: (
            None
            if rows_unit[k] is None or "rank" not in rows_unit[k] or pd.isna(rows_unit[k]["rank"])
            else int(rows_unit[k]["rank"])
        )
        for k in ("base", "target")
    }
    bands = {
        k: (
            None
            if rows_unit[k] is None or pd.isna(rows_unit[k].get("band")) or rows_unit[k].get("band") == ""
            else str(rows_unit[k]["band"])
        )
        for k in ("base", "target")
    }
    return {
        "unit_name": unit_name,
        "base_year": yrs["base"],
        "target_year": yrs["target"],
        "base_rank": ranks["base"],
        "target_rank": ranks["target"],
        "rank_change": (ranks["target"] - ranks["base"]) if None not in ranks.values() else None,
        "base_band": bands["base"],
        "target_band": bands["target"],
        "band_changed": (bands["base"] != bands["target"]) if None not in bands.values() else None,
        "n_units_base": int(len(base_table)),
        "n_units_target": int(len(target_table)),
        "notes": notes,
        "table": pd.DataFrame(recs, columns=cols),
    }
