"""Points an office's action would win back, by the sub-criterion's own scoring rule.

A cause row's ``points_explained`` shares a sub-criterion's lost points among offices in
proportion to their shortfall (the rows add up to the node's points). An action text saying
"khắc phục để lấy lại khoảng … điểm" must instead say what fixing *this office's* shortfall is
worth, and a scoring rule with steps (1 point at 100 %, 0,5 from 95 %) is not proportional:

    regained = points_for(K + need, N) − points_for(K, N)

over the year to date of the KPI table (K of N for the unit), where ``need`` is the number of
this office's dossiers that would have to change (e.g. the apology letters still missing) for the
office to reach the level that earns the full points (``full_points_threshold``): ``need =
⌈goal × n⌉ − k`` for the office's k of n of the row (the counts its text quotes; a quarter's row:
that quarter's dossiers, which are part of the year to date), else of the year to date. Example (sample, 3.3.3, apologies: 100 % → 1; ≥ 95 % →
0,5; else 0): the unit 448/485 = 92,4 % → 0; the office's 24 missing letters sent → 472/485 =
97,3 % → 0,5: the action wins back 0,50 points (its proportional share of the 1,00 lost is 0,32).
"""

from __future__ import annotations

import math

import pandas as pd

from parlib.analysis.rootcause.evidence import full_points_threshold, points_for

KPIS = ("on_time_pct", "apology_pct")  # dossier KPIs counted by office in the KPI table


def regained_points(row: dict, q) -> float | None:
    """Points of the row's sub-criterion won back if its office reached the full-points level over
    the year to date (module docstring); None when not computable: not a dossier KPI of one office,
    no scoring rule, no counts."""
    if q is None or getattr(q, "framework", None) is None or q.kpis is None or q.kpis.empty:
        return None
    measure, office = row.get("measure"), row.get("segment")
    if measure not in KPIS or row.get("segment_dimension") != "office_name" or not office:
        return None
    nodes = q.framework.nodes
    match = nodes.loc[
        (nodes["code"].astype(str) == str(row.get("code"))) & (nodes["kpi"].astype(str) == measure)
    ]
    if match.empty or not str(match.iloc[0].get("rule") or "").strip():
        return None
    node = match.iloc[0].to_dict()
    k = q.kpis
    ytd = k.loc[(k["period"] == f"{q.period.year}-YTD") & (k["kpi"] == measure)]
    unit = ytd.loc[ytd["dimension"] == "all"]
    own = ytd.loc[(ytd["dimension"] == "office_name") & (ytd["group"].astype(str) == str(office))]
    if unit.empty or own.empty:
        return None
    big_k, big_n = float(unit["k"].iloc[0]), float(unit["n"].iloc[0])
    k_o, n_o = float(own["k"].iloc[0]), float(own["n"].iloc[0])
    if not pd.isna(row.get("n_after")) and row.get("n_after"):  # the dossiers the row's text counts
        k_o, n_o = float(row["k_after"]), float(row["n_after"])
    if not big_n or pd.isna(big_n):
        return None
    need = max(0.0, math.ceil(full_points_threshold(node) / 100 * n_o - 1e-9) - k_o)
    now, after = points_for(100 * big_k / big_n, node), points_for(100 * (big_k + need) / big_n, node)
    if math.isnan(now) or math.isnan(after):
        return None
    return round(max(0.0, after - now), 2)
