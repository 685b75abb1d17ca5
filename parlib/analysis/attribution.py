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
