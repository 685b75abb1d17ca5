"""Summaries of the point-loss table of :mod:`parlib.analysis.attribution`: the index and band,
points by field, stage, office and method, the Pareto table and the top losses.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from parlib.analysis.attribution import (
    MAIN_STAGE_VI,
    METHOD_VI,
    METHODS,
    STAGE_COLS,
    STAGE_SIGN,
    STAGE_VI,
    STAGES,
    TOL,
    UNASSIGNED_OFFICE,
    _ancestor_pairs,
    _group_sum,
    _leaves,
    _nan_sum,
    _require,
    _share,
    _sort_codes,
    _split_list,
    loss_by_node,
)
from parlib.core.errors import Problem, StructuralError


# ---------------------------------------------------------------- index and fields
def band_for(index_pct: float | None, bands: pd.DataFrame) -> dict:
    """Band of an index: the band with the highest ``min_pct`` ≤ index wins.

    The *unrounded* index is compared (89.995 is not ≥ 90, even though it prints as
    '90,00' with 2 decimals). Returns ``{"band": name | None, "band_min_pct",
    "next_band_min_pct"}`` (None when missing/below every band/top band).
    Raises StructuralError when ``bands`` lacks columns or has a non-numeric min_pct.
    """
    _require(bands, ["band_name", "min_pct"], "bảng xếp loại (bands.csv)")
    mins = pd.to_numeric(
        bands["min_pct"].astype(str).str.strip().str.replace(",", ".", regex=False), errors="coerce"
    )
    bad = bands.loc[mins.isna(), "min_pct"]
    if not bad.empty:
        raise StructuralError(
            "Ngưỡng xếp loại không phải là số", [Problem(f"giá trị «{v}»", column="min_pct") for v in bad]
        )
    b = pd.DataFrame({"band": bands["band_name"].astype(str), "min_pct": mins.astype(float)})
    b = b.sort_values("min_pct").reset_index(drop=True)
    out = {"band": None, "band_min_pct": None, "next_band_min_pct": None}
    if index_pct is None or pd.isna(index_pct):
        return out
    reached = b.loc[b["min_pct"] <= index_pct]
    above = b.loc[b["min_pct"] > index_pct, "min_pct"]
    if not reached.empty:
        out["band"], out["band_min_pct"] = reached["band"].iloc[-1], float(reached["min_pct"].iloc[-1])
    if not above.empty:
        out["next_band_min_pct"] = float(above.iloc[0])
    return out


def _bonus_penalty(scores: pd.DataFrame, nodes: pd.DataFrame) -> tuple[float, float]:
    """Σ bonus and Σ penalty over leaf rows (blank = 0, per the contract).

    Parent rows must hold 0 or the sum of their leaves; anything else would be counted
    nowhere, so it raises StructuralError naming every such row.
    """
    cols = [c for c in ("bonus_points", "penalty_points") if c in scores.columns]
    sc = scores.assign(**{c: scores[c].astype(float).fillna(0.0) for c in cols})
    leaf_codes = nodes.loc[nodes["is_leaf"], "code"]
    totals = {c: math.fsum(sc.loc[sc["code"].isin(leaf_codes), c]) for c in cols}
    pairs = _ancestor_pairs(nodes)
    if cols and not pairs.empty:
        leaf_vals = pairs.merge(sc[["code", *cols]].rename(columns={"code": "leaf_code"}), on="leaf_code")
        expected = leaf_vals.groupby("node_code")[cols].sum()
        parents = sc.loc[~sc["code"].isin(leaf_codes)].set_index("code")[cols]
        exp = expected.reindex(parents.index).fillna(0.0)
        bad = ((parents - exp).abs() > TOL) & (parents.abs() > TOL)
        probs = [
            Problem(
                f"mã {code}: {c} = {parents.loc[code, c]} khác tổng của các tiêu chí con "
                f"({exp.loc[code, c]})",
                column=c,
            )
            for c in cols
            for code in bad.index[bad[c]]
        ]
        if probs:
            raise StructuralError("Điểm thưởng/điểm trừ ở dòng cấp trên không khớp tổng cấp dưới", probs)
    return totals.get("bonus_points", 0.0), totals.get("penalty_points", 0.0)


def _none_if_nan(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def index_summary(
    scores: pd.DataFrame, nodes: pd.DataFrame, bands: pd.DataFrame, loss: pd.DataFrame | None = None
) -> dict:
    """Headline numbers of the year (JSON-ready: missing numbers are None).

    total_points = Σ leaf final + Σ bonus − Σ penalty; index_pct = total / Σ leaf max × 100;
    band by :func:`band_for` on the unrounded index. points_lost = Σ leaf (max − final),
    i.e. before bonus/penalty, so it reconciles with the stage/office/method tables.
    Keys: year, unit_name, total_points, final_points, max_points, index_pct, band,
    band_min_pct, next_band_min_pct, points_lost, bonus_points, penalty_points,
    appraisal_gap_points, n_leaves, n_leaves_lost, n_missing_final, missing_final_codes.
    """
    loss = loss_by_node(scores, nodes) if loss is None else loss
    lv = _leaves(loss)
    bonus, penalty = _bonus_penalty(scores, nodes)
    final = _nan_sum(lv["final_points"])
    max_points = math.fsum(lv["max_points"])
    total = final + bonus - penalty
    index_pct = total / max_points * 100.0 if max_points > TOL else float("nan")
    single = lambda c: scores[c].dropna().unique().tolist() if c in scores.columns else []  # noqa: E731
    years, units = single("year"), single("unit_name")
    out = {
        "year": int(years[0]) if len(years) == 1 else None,
        "unit_name": str(units[0]) if len(units) == 1 else None,
        "total_points": total,
        "final_points": final,
        "max_points": max_points,
        "index_pct": index_pct,
        **band_for(index_pct, bands),
        "points_lost": _nan_sum(lv["points_lost"]),
        "bonus_points": bonus,
        "penalty_points": penalty,
        "appraisal_gap_points": _nan_sum(lv["appraisal_gap_points"]),
        "n_leaves": int(len(lv)),
        "n_leaves_lost": int((lv["points_lost"] > TOL).sum()),
        "n_missing_final": int(lv["is_final_missing"].sum()),
        "missing_final_codes": lv.loc[lv["is_final_missing"], "code"].astype(str).tolist(),
    }
    return {k: _none_if_nan(v) for k, v in out.items()}


def level_table(loss: pd.DataFrame, depth: int) -> pd.DataFrame:
    """One row per node of level ``depth`` (1 = the top level) from :func:`loss_by_node`, plus the
    leaves of shallower levels, so the rows add up to the total at every depth.

    Columns: code, name, depth, max_points, final_points, pct_of_max, points_lost,
    share_of_loss_pct (of the total leaf loss), loss_rank (1 = most points lost; ties
    share the rank; NaN loss → <NA>), appraisal_gap_points and the five stage columns.
    Only the total gets a band (see :func:`index_summary`).
    """
    at = (loss["depth"] == depth) | (loss["is_leaf"].astype(bool) & (loss["depth"] < depth))
    f = loss.loc[at].reset_index(drop=True)
    total = _nan_sum(_leaves(loss)["points_lost"])
    return pd.DataFrame(
        {
            "code": f["code"],
            "name": f["name"],
            "depth": f["depth"].astype(int),
            "max_points": f["max_points"],
            "final_points": f["final_points"],
            "pct_of_max": f["pct_of_max"],
            "points_lost": f["points_lost"],
            "share_of_loss_pct": _share(f["points_lost"], total),
            "loss_rank": f["points_lost"].rank(ascending=False, method="min").astype("Int64"),
            "appraisal_gap_points": f["appraisal_gap_points"],
            **{c: f[c] for c in STAGE_COLS},
        }
    )


def field_table(loss: pd.DataFrame) -> pd.DataFrame:
    """The top level of the framework (its «lĩnh vực»): :func:`level_table` at depth 1."""
    return level_table(loss, 1)


def level_tables(loss: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """:func:`level_table` for every level that has children (depth -> table), top first."""
    depths = sorted({int(d) for d in loss.loc[~loss["is_leaf"].astype(bool), "depth"]})
    return {d: level_table(loss, d) for d in depths}


# ---------------------------------------------------------------- breakdowns
def loss_by_stage(loss: pd.DataFrame) -> pd.DataFrame:
    """Total loss split by stage; rows sum exactly to the total leaf loss.

    Columns: stage (key), stage_name (Vietnamese), points_lost (signed contribution:
    the 'regained' row is negative), share_pct (of the total loss; NaN when it is 0).
    The 'unsplit' row appears only when some appraisal leaf lacks its self-score.
    """
    lv = _leaves(loss)
    stages = [s for s in STAGES if s != "unsplit" or lv["is_self_missing"].any()]
    pts = pd.Series([STAGE_SIGN[s] * _nan_sum(lv[f"{s}_points"]) for s in stages], dtype=float)
    return pd.DataFrame(
        {
            "stage": stages,
            "stage_name": [STAGE_VI[s] for s in stages],
            "points_lost": pts,
            "share_pct": _share(pts, _nan_sum(lv["points_lost"])),
        }
    )


def loss_by_office(loss: pd.DataFrame) -> pd.DataFrame:
    """Loss per owning office (chủ trì), largest first; sums reconcile with the total.

    Columns: owner_office ('Chưa phân công' when blank), n_leaves, n_leaves_lost,
    max_points, final_points, points_lost, share_pct, partner_offices (sorted, '; '-joined
    partners of the office's leaves that lost points).
    """
    lv = _leaves(loss)
    owner = lv["owner_office"].fillna("").astype(str).str.strip()
    lv = lv.assign(
        owner_office=owner.where(owner.ne(""), UNASSIGNED_OFFICE), lost=(lv["points_lost"] > TOL).astype(int)
    )
    g = _group_sum(lv, "owner_office", ["max_points", "final_points", "points_lost"])
    counts = lv.groupby("owner_office", sort=False).agg(
        n_leaves=("code", "size"), n_leaves_lost=("lost", "sum")
    )
    partners = (
        lv.loc[lv["lost"].eq(1)]
        .assign(p=_split_list(lv["partner_offices"]))
        .explode("p")
        .dropna(subset=["p"])
        .groupby("owner_office")["p"]
        .agg(lambda x: "; ".join(sorted(set(x))))
    )
    out = counts.join(g).reset_index()
    out = out.assign(
        share_pct=_share(out["points_lost"], _nan_sum(lv["points_lost"])),
        partner_offices=[partners.get(o, "") for o in out["owner_office"]],
    )
    return out.sort_values(
        ["points_lost", "owner_office"], ascending=[False, True], na_position="first"
    ).reset_index(drop=True)


def loss_by_method(loss: pd.DataFrame) -> pd.DataFrame:
    """Loss per scoring method (appraisal, survey, 766, statistics; present ones only).

    Columns: method, method_name, n_leaves, max_points, final_points, points_lost, share_pct.
    """
    lv = _leaves(loss)
    g = _group_sum(lv, "method", ["max_points", "final_points", "points_lost"])
    g = g.join(lv.groupby("method").size().rename("n_leaves")).reset_index()
    g = g.sort_values("method", key=lambda s: s.map({m: i for i, m in enumerate(METHODS)}))
    g = g.assign(
        method_name=g["method"].map(METHOD_VI),
        share_pct=_share(g["points_lost"], _nan_sum(lv["points_lost"])),
    )
    return g[
        ["method", "method_name", "n_leaves", "max_points", "final_points", "points_lost", "share_pct"]
    ].reset_index(drop=True)


def pareto(loss: pd.DataFrame, share_pct: float = 80.0) -> pd.DataFrame:
    """Leaves that lost points, largest loss first (ties by code), with cumulative shares.

    Only positive losses enter (a score above max or a missing final is left out); the
    denominator is the gross loss Σ positive losses. Columns: rank, code, level, name,
    owner_office, points_lost, cum_points_lost, share_pct, cum_share_pct, is_core
    (within the smallest prefix reaching ``share_pct``). ``attrs['n_for_80pct']`` holds
    that prefix length (see :func:`n_for_share`).
    """
    lv = _leaves(loss)
    p = _sort_codes(lv.loc[lv["points_lost"] > TOL])
    p = p.sort_values("points_lost", ascending=False, kind="stable").reset_index(drop=True)
    gross = math.fsum(p["points_lost"])
    cum = p["points_lost"].cumsum()
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(p) + 1),
            "code": p["code"],
            "level": p["level"],
            "name": p["name"],
            "owner_office": p["owner_office"],
            "points_lost": p["points_lost"],
            "cum_points_lost": cum,
            "share_pct": _share(p["points_lost"], gross),
            "cum_share_pct": _share(cum, gross),
        }
    )
    k = n_for_share(out, share_pct)
    out = out.assign(is_core=out["rank"] <= k)
    out.attrs["n_for_80pct" if share_pct == 80.0 else f"n_for_{share_pct:g}pct"] = k
    return out


def n_for_share(pareto_df: pd.DataFrame, share_pct: float = 80.0) -> int:
    """How few leaves (from the top of a :func:`pareto` table) reach ``share_pct`` of the loss."""
    if pareto_df.empty:
        return 0
    below = int((pareto_df["cum_share_pct"] < share_pct - TOL).sum())
    return min(below + 1, len(pareto_df))


def top_losses(loss: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The ``n`` leaves that lost most, plus every leaf tied with the n-th (so may exceed n).

    Columns: code, level, name, points_lost, max_points, owner_office, partner_offices,
    field_code, method, stage_code, stage. ``stage`` is the main stage in Vietnamese: the
    largest of not-claimed, net appraisal cut (cut_round1 − regained), measured loss (named
    by its method) and unsplit; ties resolved in that order.
    """
    lv = _leaves(loss)
    p = _sort_codes(lv.loc[lv["points_lost"] > TOL])
    p = p.sort_values("points_lost", ascending=False, kind="stable").reset_index(drop=True)
    if p.empty or n <= 0:
        p = p.iloc[0:0]
    else:
        p = p.loc[p["points_lost"] >= p["points_lost"].iloc[min(n, len(p)) - 1] - TOL]
    parts = pd.DataFrame(
        {
            "not_claimed": p["not_claimed_points"],
            "appraisal": p["cut_round1_points"] - p["regained_points"],
            "survey": p["survey_points"],
            "unsplit": p["unsplit_points"],
        }
    )
    stage_code = parts.idxmax(axis=1) if not p.empty else pd.Series(dtype=str)
    stage = stage_code.map(MAIN_STAGE_VI).where(stage_code.ne("survey"), p["method"].map(METHOD_VI))
    return pd.DataFrame(
        {
            "code": p["code"],
            "level": p["level"],
            "name": p["name"],
            "points_lost": p["points_lost"],
            "max_points": p["max_points"],
            "owner_office": p["owner_office"],
            "partner_offices": p["partner_offices"],
            "field_code": p["field_code"],
            "method": p["method"],
            "stage_code": stage_code,
            "stage": stage,
        }
    ).reset_index(drop=True)
