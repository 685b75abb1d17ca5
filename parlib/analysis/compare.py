"""Year-over-year comparison across framework changes (issue 6).

Inputs are the tidy score tables of docs/data-contracts.md ("Scoresheet": ``year, code,
is_leaf, max_points, final_points, bonus_points, penalty_points``...), the frameworks of
both years and their crosswalk (``parlib.crosswalk.load_crosswalk``). Everything here is a
pure function.

Restatement (``restate``): the base year's leaf points expressed under the later framework.
For a target leaf t with base source(s):

    carried points  p = P_b                    same, renamed, remaximised
                    p = P_b × N_t / Σ N_split  split (shared out by the targets' maxima)
                    p = Σ P_b                  merged (sum of the sources)
    carried maximum m likewise (M_b, M_b × N_t / Σ N_split, Σ M_b)
    restated points r = p × N_t / m            (keeps the % of maximum; r = p when m = N_t,
                                                which is the normal case of same/renamed and of
                                                splits and merges that keep the total maximum)
    new nodes have no base value (NaN).

Decomposition (``decompose_change``), an identity (floating error only):

    total_change = Σ_t (Q_t − r_t)                    performance on comparable nodes
                 + Σ_new Q_t − Σ_dropped P_b + Σ (r − p) framework effect
                 + Δ(bonus − penalty)                  bonus / penalty change

with Q the later year's leaf points. Missing final points count as 0, as in the totals
(``parlib.attribution.index_summary``); bonus and penalty are summed over leaf rows.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd

from parlib.analysis.compare_levels import by_level, dropped_group, summarise_level
from parlib.core.numbers import round_half_up_decimal
from parlib.core.text import upper_first
from parlib.core.vnformat import fmt_num, fmt_pct, fmt_points
from parlib.model.framework import Framework

TOL = 1e-9
RESTATE_RULES = {  # relation -> (rule id, Vietnamese label)
    "same": ("copy", "giữ nguyên điểm"),
    "renamed": ("copy", "giữ nguyên điểm (đổi tên)"),
    "remaximised": ("keep_pct", "giữ tỷ lệ % điểm tối đa"),
    "split": ("share_by_max", "chia điểm theo tỷ lệ điểm tối đa của các tiêu chí tách"),
    "merged": ("sum_sources", "cộng điểm các tiêu chí được gộp"),
    "new": ("none", "tiêu chí mới, không có điểm năm gốc"),
}
RESTATE_COLUMNS = [
    "code",
    "name",
    "owner_office",
    "field_code",
    "max_points",
    "relation",
    "base_code",
    "base_points",
    "base_max",
    "restated_points",
    "restated_pct",
    "restate_rule",
    "restate_rule_vi",
]
DECOMP_COLUMNS = [
    "code",
    "base_code",
    "name",
    "owner_office",
    "field_code",
    "relation",
    "restate_rule",
    "restate_rule_vi",
    "base_points",
    "base_restated_points",
    "target_points",
    "base_max",
    "target_max",
    "base_pct",
    "target_pct",
    "pct_change",
    "change_points",
    "performance_points",
    "framework_points",
    "decrease_rank",
]


def _nodes(fw) -> pd.DataFrame:
    return fw.nodes if isinstance(fw, Framework) else fw


def _leaf_values(scores: pd.DataFrame, col: str) -> dict[str, float]:
    s = scores.loc[~scores["code"].astype(str).duplicated()]  # first row per code
    return dict(zip(s["code"].astype(str), s[col].astype(float)))


def restate(base_scores: pd.DataFrame, crosswalk: pd.DataFrame, target_fw) -> pd.DataFrame:
    """The base year's leaf points restated under the later framework (module docstring).

    ``base_scores``: code, final_points (+ max_points, used when the crosswalk has no
    ``base_max``). ``crosswalk``: base_code, target_code, relation (+ base_max).
    Returns one row per leaf of ``target_fw`` (its order) with RESTATE_COLUMNS:
    base_code ('a;b' for a merge), base_points / base_max (the carried p and m),
    restated_points r, restated_pct = r / max_points × 100, restate_rule (id) and
    restate_rule_vi (Vietnamese label; '+ giữ tỷ lệ %' is appended when a split or merge
    also changed the total maximum). Missing base points stay NaN.
    """
    nodes = _nodes(target_fw)
    lv = nodes.loc[nodes["is_leaf"]]
    P = _leaf_values(base_scores, "final_points")
    if "base_max" in crosswalk.columns:
        M = dict(zip(crosswalk["base_code"], crosswalk["base_max"].astype(float)))
    else:
        M = _leaf_values(base_scores, "max_points")
    N = dict(zip(nodes["code"], nodes["max_points"].astype(float)))
    cw = crosswalk.loc[crosswalk["target_code"] != ""]
    split_total = (
        cw.loc[cw["relation"] == "split"]
        .assign(n=lambda d: d["target_code"].map(N))
        .groupby("base_code")["n"]
        .agg(["sum", "size"])
    )
    by_target = {t: g for t, g in cw.groupby("target_code", sort=False)}
    rows = []
    for r in lv.itertuples(index=False):
        n_t = float(r.max_points)
        g = by_target.get(r.code)
        rel = g["relation"].iloc[0] if g is not None else "new"
        rule, rule_vi = RESTATE_RULES[rel]
        base_code, p, m = "", np.nan, np.nan
        if rel != "new":
            bases = g["base_code"].tolist()
            base_code = ";".join(bases)
            if rel == "split":
                b = bases[0]
                tot, k = split_total.loc[b, "sum"], split_total.loc[b, "size"]
                share = n_t / tot if tot > TOL else 1.0 / k
                p, m = P.get(b, np.nan) * share, M.get(b, np.nan) * share
            elif rel == "merged":
                vals = [P.get(b, np.nan) for b in bases]
                p = math.fsum(vals) if not any(np.isnan(vals)) else np.nan
                m = math.fsum(M.get(b, np.nan) for b in bases)
            else:
                p, m = P.get(bases[0], np.nan), M.get(bases[0], np.nan)
        if np.isnan(m) or abs(m - n_t) <= TOL or m <= TOL:
            restated = p
        else:
            restated = p * n_t / m
            if rel in ("split", "merged"):
                rule_vi += " + giữ tỷ lệ % điểm tối đa"
        rows.append(
            {
                "code": r.code,
                "name": r.name,
                "owner_office": r.owner_office,
                "field_code": r.field_code,
                "max_points": n_t,
                "relation": rel,
                "base_code": base_code,
                "base_points": p,
                "base_max": m,
                "restated_points": restated,
                "restated_pct": restated / n_t * 100 if n_t > TOL else np.nan,
                "restate_rule": rule,
                "restate_rule_vi": rule_vi,
            }
        )
    return pd.DataFrame(rows, columns=RESTATE_COLUMNS)


def _bonus_penalty(scores: pd.DataFrame, leaf_codes: set) -> float:
    sc = scores.loc[scores["code"].astype(str).isin(leaf_codes)]
    b = math.fsum(sc["bonus_points"].astype(float).fillna(0.0)) if "bonus_points" in sc else 0.0
    p = math.fsum(sc["penalty_points"].astype(float).fillna(0.0)) if "penalty_points" in sc else 0.0
    return b - p


def decompose_change(
    base_scores: pd.DataFrame, target_scores: pd.DataFrame, crosswalk: pd.DataFrame, target_fw, base_fw
) -> tuple[pd.DataFrame, dict]:
    """Exact decomposition of the change of the total (module docstring).

    Returns (table, summary). ``table``: DECOMP_COLUMNS, one row per target leaf plus one
    per dropped base leaf (``code`` = the base code); ``change_points`` = target − base
    carried = performance_points + framework_points; pct columns are % of maximum
    (base_pct uses the restated points, so it is comparable with target_pct);
    ``decrease_rank`` 1 = largest performance decrease (<NA> if none).
    ``summary``: base_year, target_year, base_total, target_total, total_change,
    performance_change, framework_effect, new_points, dropped_points, rescaling_points,
    bonus_penalty_change, base_bonus_penalty, target_bonus_penalty, n_missing_base,
    n_missing_target, by_field (list of dicts: field_code, field_name, base_points,
    target_points, change_points, performance_points, framework_points: the top level), by_level
    (every level with children, ``parlib.analysis.compare_levels.by_level``).
    """
    tn, bn = _nodes(target_fw), _nodes(base_fw)
    t_leaves, b_leaves = tn.loc[tn["is_leaf"]], bn.loc[bn["is_leaf"]]
    P_raw = _leaf_values(base_scores, "final_points")
    Q_raw = _leaf_values(target_scores, "final_points")
    P = {c: P_raw.get(c, np.nan) for c in b_leaves["code"]}
    Q = {c: Q_raw.get(c, np.nan) for c in t_leaves["code"]}
    n_missing_base = sum(np.isnan(v) for v in P.values())
    n_missing_target = sum(np.isnan(v) for v in Q.values())
    P = {c: 0.0 if np.isnan(v) else v for c, v in P.items()}
    Q = {c: 0.0 if np.isnan(v) else v for c, v in Q.items()}
    cw = crosswalk.copy()
    if "base_max" not in cw.columns:
        cw["base_max"] = cw["base_code"].map(dict(zip(bn["code"], bn["max_points"])))
    rs = restate(pd.DataFrame({"code": list(P), "final_points": list(P.values())}), cw, tn)

    rows = []
    for r in rs.itertuples(index=False):
        q = Q[r.code]
        if r.relation == "new":
            perf, fwk, base_pts, restated = 0.0, q, np.nan, np.nan
        else:
            base_pts, restated = r.base_points, r.restated_points
            perf, fwk = q - restated, restated - base_pts
        rows.append(
            {
                "code": r.code,
                "base_code": r.base_code,
                "name": r.name,
                "owner_office": r.owner_office,
                "field_code": r.field_code,
                "relation": r.relation,
                "restate_rule": r.restate_rule,
                "restate_rule_vi": r.restate_rule_vi,
                "base_points": base_pts,
                "base_restated_points": restated,
                "target_points": q,
                "base_max": r.base_max,
                "target_max": r.max_points,
                "base_pct": r.restated_pct,
                "target_pct": q / r.max_points * 100 if r.max_points > TOL else np.nan,
                "change_points": q - (0.0 if np.isnan(base_pts) else base_pts),
                "performance_points": perf,
                "framework_points": fwk,
            }
        )
    bidx = b_leaves.set_index("code")
    for b in cw.loc[cw["relation"] == "dropped", "base_code"]:
        m = float(bidx.loc[b, "max_points"])
        rows.append(
            {
                "code": b,
                "base_code": b,
                "name": bidx.loc[b, "name"],
                "owner_office": bidx.loc[b, "owner_office"],
                "field_code": dropped_group(b, 1, cw, bn, tn),
                "relation": "dropped",
                "restate_rule": "dropped",
                "restate_rule_vi": "tiêu chí bãi bỏ, điểm năm gốc không còn",
                "base_points": P[b],
                "base_restated_points": np.nan,
                "target_points": np.nan,
                "base_max": m,
                "target_max": np.nan,
                "base_pct": P[b] / m * 100 if m > TOL else np.nan,
                "target_pct": np.nan,
                "change_points": -P[b],
                "performance_points": 0.0,
                "framework_points": -P[b],
            }
        )
    table = pd.DataFrame(rows, columns=DECOMP_COLUMNS[:-1])
    table["pct_change"] = table["target_pct"] - table["base_pct"]
    dec = table["performance_points"] < -TOL
    rank = table.loc[dec, "performance_points"].rank(method="first").astype("int64")
    table["decrease_rank"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table.loc[dec, "decrease_rank"] = rank.to_numpy()
    table = table[DECOMP_COLUMNS]

    base_bp = _bonus_penalty(base_scores, set(b_leaves["code"]))
    target_bp = _bonus_penalty(target_scores, set(t_leaves["code"]))
    base_total = math.fsum(P.values()) + base_bp
    target_total = math.fsum(Q.values()) + target_bp
    is_new, is_dropped = table["relation"] == "new", table["relation"] == "dropped"
    summary = {
        "base_year": int(base_fw.year) if isinstance(base_fw, Framework) else None,
        "target_year": int(target_fw.year) if isinstance(target_fw, Framework) else None,
        "base_total": base_total,
        "target_total": target_total,
        "total_change": target_total - base_total,
        "performance_change": math.fsum(table["performance_points"]),
        "framework_effect": math.fsum(table["framework_points"]),
        "new_points": math.fsum(table.loc[is_new, "framework_points"]),
        "dropped_points": -math.fsum(table.loc[is_dropped, "framework_points"]),
        "rescaling_points": math.fsum(table.loc[~is_new & ~is_dropped, "framework_points"]),
        "bonus_penalty_change": target_bp - base_bp,
        "base_bonus_penalty": base_bp,
        "target_bonus_penalty": target_bp,
        "n_missing_base": int(n_missing_base),
        "n_missing_target": int(n_missing_target),
        "by_field": [
            {"field_code": d["code"], "field_name": d["name"]}
            | {k: v for k, v in d.items() if k not in ("code", "name")}
            for d in summarise_level(table, 1, cw, bn, tn)
        ],
        "by_level": by_level(table, cw, bn, tn),
    }
    resid = summary["total_change"] - (
        summary["performance_change"] + summary["framework_effect"] + summary["bonus_penalty_change"]
    )
    if abs(resid) > 1e-8 * max(1.0, abs(base_total) + abs(target_total)):
        raise AssertionError(f"decomposition does not add up (residual {resid})")  # a bug, not a data problem
    return table, summary


# ---------------------------------------------------------------- sentences


def _moves(x: Decimal) -> str:
    return "tăng" if x > 0 else "giảm"


def compare_sentences(summary: dict, decomposition: pd.DataFrame, top_n: int = 3) -> list[str]:
    """Vietnamese sentences from the decomposition (numbers to 0,01 that add up as printed).

    The displayed change is the difference of the displayed totals and the displayed
    performance part is that change minus the displayed framework and bonus/penalty parts,
    so a reader adding the printed numbers gets the printed total. Then one sentence per
    framework component that is non-zero and one per largest performance decrease
    (``top_n``), with the owning office.
    """
    by, ty = summary.get("base_year"), summary.get("target_year")
    bt, tt = round_half_up_decimal(summary["base_total"]), round_half_up_decimal(summary["target_total"])
    d = tt - bt
    fw, bp = (
        round_half_up_decimal(summary["framework_effect"]),
        round_half_up_decimal(summary["bonus_penalty_change"]),
    )
    perf = d - fw - bp
    out = []
    head = f"Tổng điểm năm {ty} đạt {fmt_points(tt)}, "
    if d == 0:
        head += f"không thay đổi so với năm {by} ({fmt_points(bt)})."
    else:
        head += f"{_moves(d)} {fmt_points(abs(d))} so với năm {by} ({fmt_points(bt)})."
    out.append(head)
    parts = []
    for label, v in (
        ("thay đổi bộ tiêu chí", fw),
        ("kết quả thực hiện", perf),
        ("điểm thưởng, điểm trừ", bp),
    ):
        if v != 0:
            parts.append(f"{label} làm {_moves(v)} {fmt_points(abs(v))}")
        elif label != "điểm thưởng, điểm trừ":
            parts.append(f"{label} không làm thay đổi tổng điểm")
    out.append("Trong đó, " + "; ".join(parts) + ".")
    # displayed components add up to the displayed framework effect: rescaling is the residual
    new_d, drop_d = (
        round_half_up_decimal(summary.get("new_points", 0.0)),
        round_half_up_decimal(summary.get("dropped_points", 0.0)),
    )
    resc_d = fw - new_d + drop_d
    comp_txt = []
    if new_d != 0:
        comp_txt.append(f"tiêu chí mới đóng góp {fmt_points(new_d)}")
    if drop_d != 0:
        comp_txt.append(f"tiêu chí bị bãi bỏ làm mất {fmt_points(drop_d)}")
    if resc_d != 0:
        comp_txt.append(
            f"điều chỉnh điểm tối đa, tách, gộp tiêu chí làm {_moves(resc_d)} {fmt_points(abs(resc_d))}"
        )
    if comp_txt:
        out.append("Ảnh hưởng của thay đổi bộ tiêu chí: " + "; ".join(comp_txt) + ".")
    dec = decomposition.loc[decomposition["decrease_rank"].notna()].sort_values("decrease_rank").head(top_n)
    if dec.empty:
        out.append("Không có tiêu chí nào giảm điểm do kết quả thực hiện.")
    else:
        out.append(f"{len(dec)} tiêu chí giảm điểm nhiều nhất do kết quả thực hiện:")
        for i, r in enumerate(dec.itertuples(index=False), start=1):
            owner = r.owner_office or "chưa xác định"
            out.append(
                f"{i}) {r.code} «{r.name}»: giảm {fmt_points(abs(r.performance_points))} "
                f"(từ {fmt_pct(r.base_pct)} xuống {fmt_pct(r.target_pct)} điểm tối đa); "
                f"đơn vị chủ trì: {owner}."
            )
    return out


def level_table_vi(summary: dict, depth: int = 1) -> pd.DataFrame:
    """The decomposition at one level of the later framework (``summary['by_level']``; the top
    level is ``by_field``) with Vietnamese headers named after the year's level (Lĩnh vực / Nhóm
    điểm …), numbers rounded to 0,01 for display."""
    lv = next((x for x in summary.get("by_level", []) if int(x["depth"]) == depth), None)
    if lv is None and depth == 1:
        lv = {
            "level_name": "lĩnh vực",
            "nodes": [{"code": f["field_code"], "name": f["field_name"], **f} for f in summary["by_field"]],
        }
    if lv is None or not lv["nodes"]:
        return pd.DataFrame()
    word = lv["level_name"] or "nhóm"
    cols = {
        "code": upper_first(word),
        "name": f"Tên {word}",
        "base_points": f"Điểm năm {summary.get('base_year')}",
        "target_points": f"Điểm năm {summary.get('target_year')}",
        "change_points": "Thay đổi",
        "performance_points": "Do kết quả thực hiện",
        "framework_points": "Do thay đổi bộ tiêu chí",
    }
    nodes = pd.DataFrame(lv["nodes"])[list(cols)]
    rows = [
        {"code": str(n["code"]), "name": n["name"]} | {c: round_half_up_decimal(n[c]) for c in list(cols)[2:]}
        for n in nodes.to_dict("records")
    ]
    rows += _total_rows(summary, nodes, rows)
    df = pd.DataFrame(rows)
    for c in list(cols)[2:]:
        df[c] = [fmt_num(float(v)) for v in df[c]]
    return df.rename(columns=cols)


def _total_rows(summary: dict, nodes: pd.DataFrame, rows: list[dict]) -> list[dict]:
    """The «Cộng» line of a level table as the text prints it (points of each year, the change
    between the printed points, the framework effect rounded, performance the rest), preceded by a
    rounding line when the printed lines do not add up to it."""
    d = round_half_up_decimal
    base, target = d(math.fsum(nodes["base_points"])), d(math.fsum(nodes["target_points"]))
    fw = d(summary.get("framework_effect", math.fsum(nodes["framework_points"])))
    total = {"base_points": base, "target_points": target, "change_points": target - base}
    total |= {"framework_points": fw, "performance_points": target - base - fw}
    shown = {c: sum((r[c] for r in rows), Decimal(0)) for c in total}
    out = []
    if any(total[c] != shown[c] for c in total):
        out.append({"code": "", "name": "Chênh lệch do làm tròn"} | {c: total[c] - shown[c] for c in total})
    out.append({"code": "", "name": "Cộng"} | total)
    return out
