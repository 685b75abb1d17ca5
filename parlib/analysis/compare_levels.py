"""The year-over-year decomposition summarised at every level of the later framework (issue 18).

A framework may have any number of levels (``#levels:`` line; e.g. nhóm điểm → lĩnh vực → tiêu
chí → tiêu chí thành phần). Each row of the decomposition (``parlib.analysis.compare``) is put
under its ancestor at each level of the later framework:

* a row with a target code (same, renamed, remaximised, split, merged, new): the target ancestor;
* a dropped base item: at its own level (or deeper) itself, marked «(năm gốc)»; at a level above
  it, the target node of that level that its nearest base relatives went to (its parent's other
  children first, then the grandparent's …, weighted by their base maximum); when none of them
  maps to the later framework, its base ancestor marked «(năm gốc)».

Grouping goes through the crosswalk, never by code number, so items renumbered between frameworks
stay with their real group. A level's rows add up to the total change exactly.
"""

from __future__ import annotations

import math

import pandas as pd

from parlib.model.framework import DEFAULT_LEVEL_NAMES

BASE_MARK = " (năm gốc)"  # a base-year group none of whose items maps to the later framework
_SUMS = ("base_points", "target_points", "change_points", "performance_points", "framework_points")


def code_sort_key(code: str) -> tuple:
    parts = code.split(".")
    return (0, [int(x) for x in parts]) if all(x.isdigit() for x in parts) else (1, [code])


def _parents(nodes: pd.DataFrame) -> dict[str, str]:
    return dict(zip(nodes["code"].astype(str), nodes["parent_code"].fillna("").astype(str)))


def _chain(code: str, parent: dict[str, str]) -> list[str]:
    """``code`` and its ancestors, top first."""
    chain = [code]
    while parent.get(chain[-1]):
        chain.append(parent[chain[-1]])
    return chain[::-1]


def _ancestor(code: str, depth: int, parent: dict[str, str]) -> str:
    """The ancestor of ``code`` at ``depth`` (1 = top); the code itself when it is not deeper."""
    chain = _chain(code, parent)
    return chain[depth - 1] if len(chain) >= depth else code


def level_names_of(nodes: pd.DataFrame) -> dict[int, str]:
    """depth -> the year's level name (the nodes' ``level_name`` column; default names otherwise)."""
    names = dict(enumerate(DEFAULT_LEVEL_NAMES, start=1))
    if "level_name" in nodes.columns and "depth" in nodes.columns:
        found = nodes.loc[nodes["level_name"].fillna("").astype(str) != ""].drop_duplicates("depth")
        names.update(zip(found["depth"].astype(int), found["level_name"].astype(str)))
    return names


def dropped_group(
    base_code: str, depth: int, crosswalk: pd.DataFrame, bn: pd.DataFrame, tn: pd.DataFrame
) -> str:
    """The later framework's node of level ``depth`` a dropped base item is shown under (module
    docstring), or its base ancestor marked «(năm gốc)»."""
    b_parent, t_parent = _parents(bn), _parents(tn)
    if depth >= len(_chain(base_code, b_parent)):
        return f"{base_code}{BASE_MARK}"  # the level of the dropped item itself (or deeper)
    b_max = dict(zip(bn["code"].astype(str), bn["max_points"].astype(float)))
    mapped = [
        (b, t)
        for bases, t in zip(crosswalk["base_code"].astype(str), crosswalk["target_code"].astype(str))
        if t and t in t_parent
        for b in bases.split(";")
        if b in b_parent
    ]
    up = b_parent.get(base_code, "")
    while up:
        weight: dict[str, float] = {}
        for b, t in mapped:
            if _is_under(b, up, b_parent):
                g = _ancestor(t, depth, t_parent)
                weight[g] = weight.get(g, 0.0) + (b_max.get(b) or 0.0)
        if weight:
            best = max(weight.values())
            return min((g for g, w in weight.items() if w == best), key=code_sort_key)
        up = b_parent.get(up, "")
    return f"{_ancestor(base_code, depth, b_parent)}{BASE_MARK}"


def _is_under(code: str, ancestor: str, parent: dict[str, str]) -> bool:
    while code:
        code = parent.get(code, "")
        if code == ancestor:
            return True
    return False


def group_codes(
    table: pd.DataFrame, depth: int, crosswalk: pd.DataFrame, bn: pd.DataFrame, tn: pd.DataFrame
) -> pd.Series:
    """For each decomposition row, its group at level ``depth`` of the later framework."""
    t_parent = _parents(tn)
    out = []
    for code, rel in zip(table["code"].astype(str), table["relation"].astype(str)):
        if rel == "dropped":
            out.append(dropped_group(code, depth, crosswalk, bn, tn))
        else:
            out.append(_ancestor(code, depth, t_parent))
    return pd.Series(out, index=table.index, dtype=object)


def _group_names(bn: pd.DataFrame, tn: pd.DataFrame) -> dict[str, str]:
    names = {f"{c}{BASE_MARK}": n for c, n in zip(bn["code"].astype(str), bn["name"])}
    names.update(zip(tn["code"].astype(str), tn["name"]))
    return names


def summarise_level(
    table: pd.DataFrame, depth: int, crosswalk: pd.DataFrame, bn: pd.DataFrame, tn: pd.DataFrame
) -> list[dict]:
    """One dict per group of level ``depth``: code, name and the sums of the decomposition
    (base_points, target_points, change_points, performance_points, framework_points), in code
    order."""
    groups = group_codes(table, depth, crosswalk, bn, tn)
    names = _group_names(bn, tn)
    out = []
    for g, rows in table.groupby(groups, sort=False):
        out.append({"code": g, "name": names.get(g, "")} | {c: math.fsum(rows[c].fillna(0.0)) for c in _SUMS})
    return sorted(out, key=lambda d: code_sort_key(str(d["code"])))


def by_level(table: pd.DataFrame, crosswalk: pd.DataFrame, bn: pd.DataFrame, tn: pd.DataFrame) -> list[dict]:
    """The decomposition summarised at every level of the later framework that has children, top
    first: ``[{depth, level_name, nodes: [...]}]`` (nodes as :func:`summarise_level`)."""
    names = level_names_of(tn)
    parent = _parents(tn)
    inner = tn.loc[~tn["is_leaf"].astype(bool), "code"].astype(str)
    depths = sorted({len(_chain(c, parent)) for c in inner})
    return [
        {"depth": d, "level_name": names.get(d, ""), "nodes": summarise_level(table, d, crosswalk, bn, tn)}
        for d in depths
    ]


def report_depths(depths: list[int]) -> list[int]:
    """The levels a printed report summarises, of the levels that have children (top first): the
    top one and every level between it and the one directly above the leaves (that one is detailed
    enough by the leaf tables). A 3-level framework: the top only; a 4-level one: nhóm điểm and lĩnh
    vực. Excel and summary.json keep every level."""
    depths = sorted(int(d) for d in depths)
    return depths[:1] + depths[1:-1]
