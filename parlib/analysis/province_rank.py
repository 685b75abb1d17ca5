"""The unit's rank, band and gaps in the province-wide table: one year (``province_position``)
and two years (``compare_province``).

The rank is computed from the scores (competition ranking: 1, 2, 2, 4, on the total rounded to
2 decimals as published) among the units that have a total; the published rank is checked
against it. A unit is given as a ``parlib.model.unit.Unit`` (matched under its name, full name
and aliases) or as a plain name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.core.numbers import round_half_up
from parlib.core.text import fold
from parlib.model.unit import Unit

RANK_DECIMALS = 2  # totals are published to 2 decimals: 92.5 and 92.50 tie


def _as_unit(unit: Unit | str) -> Unit:
    return unit if isinstance(unit, Unit) else Unit(str(unit))


def _find_unit(table: pd.DataFrame, unit: Unit | str) -> pd.Series | None:
    u = _as_unit(unit)
    names = {fold(n) for n in u.names()}
    hit = table.loc[table["unit_name"].map(fold).isin(names)]
    if not len(hit) and "unit_name_original" in table.columns:
        hit = table.loc[table["unit_name_original"].map(fold).isin(names)]
    return hit.iloc[0] if len(hit) else None


def computed_ranks(totals: pd.Series) -> pd.Series:
    """Competition ranks (1, 2, 2, 4) of the totals, highest first; <NA> for a missing total."""
    t = pd.to_numeric(totals, errors="coerce").round(RANK_DECIMALS)
    return t.rank(method="min", ascending=False).astype("Int64")


def province_position(table: pd.DataFrame, unit: Unit | str, *, is_partial: bool = False) -> dict:
    """Where one unit stands in one year's province table, from the table alone.

    Returns a dict: year, unit_found, unit_name (as in the table), n_units (units with a total:
    the N of "x/N"), n_without_total, rank (computed), rank_published, rank_checked (True when the
    published rank equals the computed one, False when it differs, None when not published),
    tied_with (the other units of the same rank),
    rank_mismatches (list of {unit_name, published, computed} over the whole table), is_partial,
    total_points, index_pct, band (as published; None when blank), median_total (None for a
    partial table: the median of the published part is not the province's), best_total,
    best_units (the units with the best total), gap_median, gap_best, notes (Vietnamese), and
    ``table``: one row per field and one for the total: item, item_vi, points, median (rounded
    half up to 2 decimals, as scores are published), best, gap_median, gap_best.
    """
    u = _as_unit(unit)
    t = table.copy()
    t["computed_rank"] = computed_ranks(t["total_points"])
    ranked = t.loc[t["computed_rank"].notna()]
    yr = int(t["year"].dropna().iloc[0]) if "year" in t.columns and t["year"].notna().any() else None
    row = _find_unit(t, u)
    notes: list[str] = []
    mism = []
    if "rank" in t.columns:
        both = t.loc[t["rank"].notna() & t["computed_rank"].notna()]
        for r in both.itertuples(index=False):
            if int(r.rank) != int(r.computed_rank):
                mism.append(
                    {"unit_name": r.unit_name, "published": int(r.rank), "computed": int(r.computed_rank)}
                )
    published_any = "rank" in t.columns and t["rank"].notna().any()
    rank = None if row is None or pd.isna(row["computed_rank"]) else int(row["computed_rank"])
    rank_pub = None if row is None or "rank" not in t.columns or pd.isna(row["rank"]) else int(row["rank"])
    label = f"năm {yr}" if yr else "của năm"
    if row is None:
        names = " / ".join(f"«{n}»" for n in u.names()) or "(chưa khai báo tên đơn vị)"
        notes.append(f"Không tìm thấy đơn vị {names} trong bảng kết quả toàn tỉnh {label}.")
    elif rank is None:
        notes.append(f"Đơn vị không có tổng điểm trong bảng kết quả toàn tỉnh {label}; không xếp hạng được.")
    if not published_any:
        notes.append(
            f"Bảng kết quả {label} không công bố thứ hạng; vị trí dưới đây được tính từ tổng điểm công bố."
        )
    elif mism:
        shown = "; ".join(
            f"{m['unit_name']}: công bố {m['published']}, tính lại {m['computed']}" for m in mism[:5]
        )
        more = f" và {len(mism) - 5} đơn vị khác" if len(mism) > 5 else ""
        notes.append(
            f"Thứ hạng công bố khác thứ hạng tính từ tổng điểm ở {len(mism)} đơn vị ({shown}{more})."
        )
    n_without = int(t["computed_rank"].isna().sum())
    if n_without:
        notes.append(f"{n_without} đơn vị không có tổng điểm, không được xếp hạng.")
    if is_partial:
        notes.append(
            "Bảng kết quả chỉ công bố một phần các đơn vị: thứ hạng là trong số các đơn vị được công bố; "
            "không tính trung vị toàn tỉnh."
        )
    field_cols = sorted(
        (c for c in t.columns if c.startswith("field_") and c.endswith("_points")),
        key=lambda c: int(c.split("_")[1]),
    )
    recs = []
    for col, lab in [(c, f"Lĩnh vực {c.split('_')[1]}") for c in field_cols] + [
        ("total_points", "Tổng điểm")
    ]:
        vals = ranked[col].astype(float)
        v = _num(row[col]) if row is not None else None
        # the median of 2-decimal scores is published to 2 decimals (half up), so that the text, the
        # tables and summary.json show one value and the gap is exactly points − median as shown
        # (rounded to 9 places first: (8 + 8,01) / 2 is 8,004999… in binary, 8,005 as written)
        med = (
            None
            if is_partial or not vals.notna().any()
            else round_half_up(round(float(vals.median()), 9), RANK_DECIMALS)
        )
        best = float(vals.max()) if vals.notna().any() else None
        recs.append(
            {
                "item": col,
                "item_vi": lab,
                "points": np.nan if v is None else v,
                "median": np.nan if med is None else med,
                "best": np.nan if best is None else best,
                "gap_median": np.nan if v is None or med is None else v - med,
                "gap_best": np.nan if v is None or best is None else v - best,
            }
        )
    tab = pd.DataFrame(
        recs, columns=["item", "item_vi", "points", "median", "best", "gap_median", "gap_best"]
    )
    total = tab.iloc[-1]
    best_total = _num(total["best"])
    best_units = (
        ranked.loc[
            ranked["total_points"].round(RANK_DECIMALS) == round(best_total, RANK_DECIMALS), "unit_name"
        ].tolist()
        if best_total is not None
        else []
    )
    band = None if row is None or "band" not in t.columns else (str(row["band"]) or None)
    tied = (
        []
        if rank is None
        else [
            n
            for n, r in zip(ranked["unit_name"], ranked["computed_rank"])
            if r == rank and n != row["unit_name"]
        ]
    )
    return {
        "year": yr,
        "unit_found": row is not None,
        "unit_name": None if row is None else str(row["unit_name"]),
        "n_units": int(len(ranked)),
        "n_without_total": n_without,
        "rank": rank,
        "rank_published": rank_pub,
        "rank_checked": None if rank_pub is None or rank is None else rank_pub == rank,
        "rank_mismatches": mism,
        "tied_with": tied,
        "is_partial": bool(is_partial),
        "total_points": _num(total["points"]),
        "index_pct": None if row is None else _num(row.get("index_pct")),
        "band": band,
        "median_total": _num(total["median"]),
        "best_total": best_total,
        "best_units": best_units,
        "gap_median": _num(total["gap_median"]),
        "gap_best": _num(total["gap_best"]),
        "notes": notes,
        "table": tab,
    }


# ---------------------------------------------------------------- province-wide comparison


def _num(x):
    return None if x is None or pd.isna(x) else float(x)


def compare_province(
    base_table: pd.DataFrame,
    target_table: pd.DataFrame,
    unit_name: Unit | str,
    *,
    base_partial: bool = False,
    target_partial: bool = False,
) -> dict:
    """Rank, band and gaps of one unit among all units, in two years.

    Tables as returned by ``parlib.province.read_province`` (unit_name, field_<k>_points,
    total_points, index_pct, rank, band, year). Returns a dict: unit_name, base_year,
    target_year, base_rank, target_rank, rank_change (target − base: negative = moved up;
    None when a rank is missing, never 0), base_band, target_band, band_changed (None when
    unknown), n_units_base, n_units_target, notes (Vietnamese sentences: missing ranking,
    unit not found) and ``table``: a DataFrame with one row per field and one for the total:
    item, item_vi, base_points, target_points, change_points, base_median, target_median,
    base_gap_median, target_gap_median, base_best, target_best, base_gap_best, target_gap_best
    (gap = unit − median / best; NaN when the unit or the item is missing). Medians, bests and gaps
    are those of :func:`province_position` for each year (median of the ranked units, published to
    2 decimals; none for a partial table), so both reports show one value.
    """
    unit = _as_unit(unit_name)
    unit_name = unit.name
    notes: list[str] = []
    yrs = {}
    rows_unit = {}
    for key, t in (("base", base_table), ("target", target_table)):
        yr = t["year"].dropna().iloc[0] if "year" in t.columns and t["year"].notna().any() else None
        yrs[key] = None if yr is None else int(yr)
        u = _find_unit(t, unit)
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
    # medians, bests and gaps exactly as the year's own position table computes them (one value)
    positions = {
        key: province_position(t, unit, is_partial=part)["table"].set_index("item")
        for key, t, part in (("base", base_table, base_partial), ("target", target_table, target_partial))
    }
    recs = []
    for col, label in items:
        rec = {"item": col, "item_vi": label}
        for key in ("base", "target"):
            pos = positions[key]
            has = col in pos.index
            for out, src in (
                ("points", "points"),
                ("median", "median"),
                ("best", "best"),
                ("gap_median", "gap_median"),
                ("gap_best", "gap_best"),
            ):
                rec[f"{key}_{out}"] = float(pos.at[col, src]) if has else np.nan
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
        "n_units_base": int(base_table["total_points"].notna().sum()),
        "n_units_target": int(target_table["total_points"].notna().sum()),
        "notes": notes,
        "table": pd.DataFrame(recs, columns=cols),
    }
