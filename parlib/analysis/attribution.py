"""Point-loss attribution for one year's scoresheet.

Where did the points go? Every point lost (maximum − final score) is attributed to a
framework node, to the stage of the scoring process where it was lost, to the owning
office (chủ trì) and to the scoring method. All functions are pure: DataFrames in,
DataFrames (or a plain dict) out; inputs are never modified.

Inputs
    scores  tidy score table of one year (docs/data-contracts.md, "Scoresheet"): at least
            ``code, self_points, appraisal1_points, final_points`` (+ ``bonus_points,
            penalty_points, year, unit_name`` for :func:`index_summary`).
    nodes   framework nodes (``parlib.framework.Framework.nodes``): ``code, parent_code,
            level, name, max_points, method, owner_office, partner_offices, is_leaf,
            depth, field_code``.

Stage rule for a leaf (M = max, S = self, A1 = appraisal round 1, F = final)
    * A missing A1 means "no round-2 change": A1 := F.
    * *Self-scored* leaf (method ``appraisal``, ``766`` or ``statistics`` with S present):
      not_claimed = M − S, cut_round1 = S − A1, regained = F − A1 (after giải trình).
    * *Measured* leaf (method ``survey`` — S is ignored there — or ``766``/``statistics``
      without S): survey = M − F (loss measured by survey, the 766 portal or statistics).
    * ``appraisal`` leaf without S (self-score missing): the loss before round 1 cannot be
      split between "not claimed" and "cut", so unsplit = M − A1, regained = F − A1, and
      the leaf is flagged ``is_self_missing``.
    Identity per leaf: points_lost = not_claimed + cut_round1 − regained + survey + unsplit
    (unsplit is 0 unless a self-score is missing). Leaf differences are rounded to 9
    decimals to drop float noise, so identities and totals hold to a tolerance of 1e-9.

Missing final score: points_lost, regained, survey and pct_of_max stay NaN (never 0), the
leaf is flagged ``is_final_missing`` and every parent and total containing it is NaN too.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from parlib.core.errors import Problem, StructuralError

METHODS = ("appraisal", "survey", "766", "statistics")
SELF_METHODS = ("appraisal", "766", "statistics")
METHOD_VI = {
    "appraisal": "Thẩm định",
    "survey": "Điều tra xã hội học",
    "766": "Chỉ số 766",
    "statistics": "Số liệu thống kê",
    "mixed": "Nhiều phương pháp",
}
STAGES = ("not_claimed", "cut_round1", "regained", "survey", "unsplit")
STAGE_COLS = [f"{s}_points" for s in STAGES]
STAGE_SIGN = {"not_claimed": 1, "cut_round1": 1, "regained": -1, "survey": 1, "unsplit": 1}
STAGE_VI = {
    "not_claimed": "Tự đánh giá chưa đạt tối đa",
    "cut_round1": "Bị trừ khi thẩm định lần 1",
    "regained": "Gỡ lại sau giải trình",
    "survey": "Đo lường (điều tra XHH, chỉ số 766, thống kê)",
    "unsplit": "Chưa tách được (thiếu điểm tự đánh giá)",
}
# main-stage labels of one leaf (top_losses); the measured stage is named by its method
MAIN_STAGE_VI = {
    "not_claimed": "Tự đánh giá chưa đạt tối đa",
    "appraisal": "Bị trừ khi thẩm định",
    "unsplit": STAGE_VI["unsplit"],
}
UNASSIGNED_OFFICE = "Chưa phân công"
TOL = 1e-9
DECIMALS = 9  # leaf differences are rounded to 9 decimals (scores carry ≤ 3)

NODE_COLUMNS = [
    "code",
    "parent_code",
    "level",
    "name",
    "max_points",
    "method",
    "owner_office",
    "partner_offices",
    "is_leaf",
    "depth",
    "field_code",
]
SCORE_COLUMNS = ["code", "self_points", "appraisal1_points", "final_points"]
SUM_COLS = [
    "max_points",
    "appraisal1_points",
    "final_points",
    "points_lost",
    *STAGE_COLS,
    "appraisal_gap_points",
]
LOSS_COLUMNS = [
    "code",
    "parent_code",
    "level",
    "name",
    "depth",
    "field_code",
    "is_leaf",
    "method",
    "owner_office",
    "partner_offices",
    "n_leaves",
    "max_points",
    "self_points",
    "appraisal1_points",
    "final_points",
    "points_lost",
    "pct_of_max",
    *STAGE_COLS,
    "appraisal_gap_points",
    "stage_basis",
    "is_final_missing",
    "is_self_missing",
]


# ---------------------------------------------------------------- small helpers
def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise StructuralError(
            f"Thiếu cột trong {what}", [Problem("không có cột này", column=c) for c in missing]
        )


def code_order(codes: pd.Series) -> pd.Series:
    """Sort key for dotted codes: ``'1.10'`` after ``'1.2'`` (zero-padded parts)."""
    return codes.astype(str).str.split(".").map(lambda parts: ".".join(p.zfill(6) for p in parts))


def _sort_codes(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("code", key=code_order, kind="stable").reset_index(drop=True)


def _nan_sum(s: pd.Series) -> float:
    """Sum that is NaN as soon as one value is missing (missing is never 0)."""
    return float("nan") if s.isna().any() else math.fsum(s.astype(float))


def _group_sum(df: pd.DataFrame, by: str, cols: list[str]) -> pd.DataFrame:
    """Group sums with NaN propagation: a group with a missing value sums to NaN."""
    sums = df.groupby(by, sort=False)[cols].sum()
    anyna = df[cols].isna().groupby(df[by], sort=False).any()
    return sums.mask(anyna)


def _share(points: pd.Series, total: float) -> pd.Series:
    if pd.isna(total) or abs(total) < TOL:
        return pd.Series(np.nan, index=points.index)
    return points / total * 100.0


def _leaves(loss: pd.DataFrame) -> pd.DataFrame:
    return loss.loc[loss["is_leaf"]] if "is_leaf" in loss.columns else loss


def _split_list(s: pd.Series) -> pd.Series:
    """``'A; B'`` → ['A', 'B']; NaN/'' → []."""
    return s.fillna("").astype(str).str.split(";").map(lambda xs: [x.strip() for x in xs if x.strip()])


# ---------------------------------------------------------------- validation
def _check_inputs(scores: pd.DataFrame, nodes: pd.DataFrame) -> None:
    _require(nodes, NODE_COLUMNS, "khung tiêu chí")
    _require(scores, SCORE_COLUMNS, "bảng điểm")
    problems = []
    bad_method = nodes.loc[nodes["is_leaf"] & ~nodes["method"].isin(METHODS)]  # parents may be blank
    problems += [
        Problem(
            f"mã {c}: phương pháp chấm «{m}» không hợp lệ (hợp lệ: {', '.join(METHODS)})", column="method"
        )
        for c, m in zip(bad_method["code"], bad_method["method"])
    ]
    dup = scores.loc[scores["code"].duplicated(keep=False), "code"].unique()
    problems += [Problem(f"mã {c} xuất hiện nhiều lần trong bảng điểm", column="code") for c in dup]
    unknown = scores.loc[~scores["code"].isin(nodes["code"]), "code"].unique()
    problems += [Problem(f"mã {c} không có trong khung tiêu chí", column="code") for c in unknown]
    if problems:
        raise StructuralError("Bảng điểm không khớp khung tiêu chí", problems)


def _ancestor_pairs(nodes: pd.DataFrame) -> pd.DataFrame:
    """Pairs (leaf_code, node_code) for every leaf and each of its ancestors (not itself)."""
    parent = nodes.set_index("code")["parent_code"]
    leaves = nodes.loc[nodes["is_leaf"], "code"]
    cur = pd.DataFrame({"leaf_code": leaves.to_numpy(), "node_code": leaves.to_numpy()})
    frames = []
    for _ in range(len(nodes) + 1):  # walks up one level per pass; depth ≤ 3 in practice
        cur = cur.assign(node_code=cur["node_code"].map(parent))
        cur = cur.loc[cur["node_code"].notna() & cur["node_code"].astype(str).ne("")]
        if cur.empty:
            return pd.concat(frames, ignore_index=True) if frames else cur
        frames.append(cur)
    raise StructuralError(
        "Khung tiêu chí có vòng lặp cha – con",
        [Problem(f"mã {c}", column="parent_code") for c in cur["leaf_code"].unique()],
    )


# ---------------------------------------------------------------- loss by node
def _leaf_loss(scores: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in NODE_COLUMNS if c != "is_leaf"]
    lv = nodes.loc[nodes["is_leaf"], keep].merge(scores[SCORE_COLUMNS], on="code", how="left")
    m, s, f = (lv[c].astype(float) for c in ("max_points", "self_points", "final_points"))
    a1 = lv["appraisal1_points"].astype(float).fillna(f)  # no round-1 value: no round-2 change
    has_self = lv["method"].isin(SELF_METHODS) & s.notna()
    self_missing = lv["method"].eq("appraisal") & s.isna()
    measured = ~has_self & ~self_missing
    zero = 0.0
    r = lambda x: x.round(DECIMALS)  # noqa: E731 - drops float noise such as 5 − 4.2 = 0.7999…
    return lv.assign(
        is_leaf=True,
        n_leaves=1,
        self_points=s.where(has_self),
        appraisal1_points=a1,
        points_lost=r(m - f),
        pct_of_max=(f / m * 100.0).where(m.abs() > TOL),
        not_claimed_points=r(m - s).where(has_self, zero),
        cut_round1_points=r(s - a1).where(has_self, zero),
        regained_points=r(f - a1).where(has_self | self_missing, zero),
        survey_points=r(m - f).where(measured, zero),
        unsplit_points=r(m - a1).where(self_missing, zero),
        appraisal_gap_points=r(s - f).where(has_self, zero),
        stage_basis=np.select([has_self, self_missing], ["self", "self_missing"], "measured"),
        is_final_missing=f.isna(),
        is_self_missing=self_missing,
    )


def _parent_loss(leaf: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    pairs = _ancestor_pairs(nodes)
    if pairs.empty:
        return leaf.iloc[0:0]
    data = pairs.merge(leaf.rename(columns={"code": "leaf_code"}), on="leaf_code")
    sums = _group_sum(data, "node_code", SUM_COLS)
    g = data.groupby("node_code", sort=False)
    agg = pd.DataFrame(
        {
            "self_points": g["self_points"].sum(min_count=1),  # over self-scored leaves only
            "n_leaves": g["leaf_code"].size(),
            "method": g["method"].agg(lambda x: x.iloc[0] if x.nunique() == 1 else "mixed"),
            "stage_basis": g["stage_basis"].agg(lambda x: x.iloc[0] if x.nunique() == 1 else "mixed"),
            "is_final_missing": g["is_final_missing"].any(),
            "is_self_missing": g["is_self_missing"].any(),
        }
    )
    out = sums.join(agg).rename_axis("code").reset_index()
    meta = nodes[
        ["code", "parent_code", "level", "name", "depth", "field_code", "owner_office", "partner_offices"]
    ]
    out = meta.merge(out, on="code", how="inner")
    return out.assign(
        is_leaf=False,
        pct_of_max=(out["final_points"] / out["max_points"] * 100.0).where(out["max_points"].abs() > TOL),
    )


def loss_by_node(scores: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Points lost at every framework node, split by stage (see the module docstring).

    Leaves carry their own values; parents hold the sums of their leaves (printed parent
    rows of ``scores`` are ignored, so nothing is counted twice).

    Returns one row per node, sorted by code, columns: code, parent_code, level, name,
    depth, field_code, is_leaf, method ('mixed' for a parent over several methods),
    owner_office, partner_offices, n_leaves, max_points, self_points (self-scored leaves
    only), appraisal1_points (effective, missing → final), final_points, points_lost
    (= max − final; negative above max), pct_of_max, not_claimed_points,
    cut_round1_points, regained_points, survey_points, unsplit_points,
    appraisal_gap_points (= self − final on self-scored leaves), stage_basis
    ('self' / 'measured' / 'self_missing' / 'mixed'), is_final_missing, is_self_missing.

    Raises StructuralError: missing columns, unknown method, duplicated or unknown codes
    in ``scores`` (all listed at once), a parent cycle.
    """
    _check_inputs(scores, nodes)
    leaf = _leaf_loss(scores, nodes)
    out = pd.concat([leaf, _parent_loss(leaf, nodes)], ignore_index=True)
    out = out.astype({"is_leaf": bool, "is_final_missing": bool, "is_self_missing": bool, "n_leaves": int})
    return _sort_codes(out[LOSS_COLUMNS])


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


def field_table(loss: pd.DataFrame) -> pd.DataFrame:
    """One row per field (depth 1) from :func:`loss_by_node`.

    Columns: code, name, max_points, final_points, pct_of_max, points_lost,
    share_of_loss_pct (of the total leaf loss), loss_rank (1 = most points lost; ties
    share the rank; NaN loss → <NA>), appraisal_gap_points and the five stage columns.
    Only the total gets a band (see :func:`index_summary`).
    """
    f = loss.loc[loss["depth"] == 1].reset_index(drop=True)
    total = _nan_sum(_leaves(loss)["points_lost"])
    return pd.DataFrame(
        {
            "code": f["code"],
            "name": f["name"],
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
        partner_offices=out["owner_office"].map(partners).fillna(""),
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
