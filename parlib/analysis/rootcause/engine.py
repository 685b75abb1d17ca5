"""Root causes of every score decrease (issue 7, item III.10 of the plan): the evidence chain.

``build_root_causes(annual=..., quarterly=...)`` assembles existing blocks into one table,
one row per cause, ranked by the points it explains:

* **year_over_year** rows (annual result with a comparison): every sub-criterion whose
  points fell through the crosswalk (``performance_points`` ≤ −0,01 once rounded), each exactly
  once; points explained = the fall. Stage and the appraisal's reason (classified by the
  keyword table) come from the scoresheet; the linked measure is compared over the same
  months of both years when operational data are given (a measure that did not get worse is
  said not to explain the fall). The rows, the increases, the framework effect and the
  bonus/penalty change add up to the total change (``reconcile``); sub-criteria short in both
  years without a fall are listed apart (persistent shortfalls). With an annual result the
  quarterly result is evidence only: it adds no at-risk rows (those belong to the quarterly
  report).
* **at_risk** rows (quarterly result): every KPI-driven sub-criterion projected below its
  maximum. Its points at risk ``max − P(now)`` split into a *change* part
  ``P(same period last year) − P(now)`` (clipped to [0, at risk]) and a *shortfall* part (the
  rest: already short last year). Points come from the framework's rule
  (``parlib.framework.rule_points``) applied to the year-to-date values.

  - The change part is allocated exactly over quarter × office (× procedure) with the
    rate/mix decomposition of the pooled quarters of the year to date against the same
    quarters last year (``parlib.decompose``): a segment explains ``change × its share of the
    change`` (improving segments get negative shares and no row). Each quarter also gets
    its own decomposition: a quarter whose verdict is *mix* or *noise* gives one row (no
    office is blamed for a mix change or for noise); otherwise the adverse offices
    (at most ``MAX_SEGMENTS``) give a row each, with the office's own test, the control
    chart's signal start and the Holm-surviving terms of the binomial GLM.
  - The shortfall part is allocated over the offices (channels for the survey) by their
    share of the gap to the rule's full-points threshold ``T``: ``w_i × (T − r_i)``, which
    sums to ``T − R``.
* Survey factors tied to a sub-criterion by name (decision: the framework has no column
  for it; a node of method ``survey`` is linked to the factor whose name's words are all in
  the node's name) give rows for their most adverse channel change per quarter; their
  points cannot be derived from the department's own survey (NaN, ranked last).

**Significance** (decision): ``is_significant`` means *the measure got worse beyond noise*:
the raw two-sided p-values of every row (segment two-proportion test, or the overall test
for a quarter row) are Holm-adjusted together over the whole table, and a row is
significant when its change is adverse and ``p_adjusted < alpha``. A change that cannot be
told from noise is kept and worded as such; a period without data claims nothing.
Model terms are associations, not proof of cause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.rootcause.annual import annual_rows
from parlib.analysis.rootcause.evidence import ALPHA, TABLE_COLUMNS, Evidence, RootCauseResult
from parlib.analysis.rootcause.finish import finish_table
from parlib.analysis.rootcause.quarterly import quarterly_rows
from parlib.analysis.rootcause.reconcile import persistent_shortfalls, reconciliation
from parlib.analysis.rootcause.regain import regained_points
from parlib.analysis.stats import adjust_pvalues


def build_root_causes(
    *,
    annual=None,
    quarterly=None,
    keywords: pd.DataFrame,
    rules: pd.DataFrame,
    items: pd.DataFrame | None = None,
    tasks: pd.DataFrame | None = None,
    targets: dict[str, float] | None = None,
    alpha: float = ALPHA,
    report_date=None,
) -> RootCauseResult:
    """The root-cause analysis (rules: module docstring) of an annual result (with its
    comparison), a quarterly result, or both (the quarterly operational data then also serve
    as evidence for the annual decreases).

    ``keywords`` / ``rules``: the cause-keyword and action-rule tables; ``items``: the survey
    question table (None: no survey evidence); ``tasks``: the plan's task list; ``targets``:
    ``{kpi: target_pct}``; ``report_date``: the day the report is made (actions are dated from
    it; default the quarter's end). Returns a :class:`RootCauseResult`. Raises ValueError when neither
    result is given.
    """
    if annual is None and quarterly is None:
        raise ValueError("build_root_causes needs an annual or a quarterly result")
    ev = Evidence()
    if annual is None:
        quarterly_rows(quarterly, items, ev, alpha)
    else:  # the causes of a year are its changes; the quarterly data are evidence only
        annual_rows(annual, quarterly, keywords, ev, alpha, items)
    table = pd.DataFrame(ev.rows, columns=[c for c in TABLE_COLUMNS if c != "rank"])
    table = significance(table, alpha)
    if annual is None:  # a quarterly row that explains 0,00 points and is not a confirmed change says nothing
        pts = pd.to_numeric(table["points_explained"], errors="coerce")
        keep = table["is_significant"].astype(bool) | pts.isna() | (pts.round(2) > 0)
        table = table.loc[keep].reset_index(drop=True)
    if tasks is None:
        tasks = pd.DataFrame(columns=["task_no", "task_name", "lead_office", "time_frame", "due_date"])
    table = finish_table(
        table,
        annual=annual,
        quarterly=quarterly,
        rules=rules,
        tasks=tasks,
        targets=targets or {},
        report_date=report_date,
        regained=[regained_points(r, quarterly) for r in table.to_dict("records")]
        if annual is None
        else None,
    )
    table = rank_causes_by_points(table) if annual is not None else rank_causes_by_stake(table)
    dec = pd.concat(ev.decomposition, ignore_index=True) if ev.decomposition else pd.DataFrame()
    summ = pd.DataFrame(ev.summaries)
    period = f"năm {annual.year}" if annual is not None else quarterly.period.label
    out = RootCauseResult(table, [], dec, summ, ev.models, ev.notes, period)
    comp = annual.comparison if annual is not None else None
    if comp is not None:
        out.reconciliation = reconciliation(comp.decomposition, comp.summary)
        out.persistent = persistent_shortfalls(comp.decomposition)
    return out


def significance(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Holm over every row's raw p-value; significant = adverse and adjusted p < alpha."""
    out = table.copy()
    p = pd.to_numeric(out["p_value"], errors="coerce").to_numpy(dtype=float)
    out["p_adjusted"] = adjust_pvalues(p, "holm") if len(out) else np.array([], dtype=float)
    adverse = out["is_adverse"].fillna(False).astype(bool)
    out["is_significant"] = (adverse & (out["p_adjusted"] < alpha)).fillna(False).astype(bool)
    return out


def rank_causes_by_stake(table: pd.DataFrame) -> pd.DataFrame:
    """Quarterly order (what a director acts on first): significant deteriorations first, then
    by the points at stake by year-end (NaN last), the points explained and the size of the
    change; ``rank`` (1..n) as the first column."""
    if table.empty:
        return rank_causes_by_points(table)
    t = table.assign(
        _s=pd.to_numeric(table["points_at_stake"], errors="coerce"),
        _p=pd.to_numeric(table["points_explained"], errors="coerce"),
        _c=-pd.to_numeric(table["change_pp"], errors="coerce").abs().fillna(0),
    )
    t = (
        t.sort_values(
            ["is_significant", "_s", "_p", "_c"],
            ascending=[False, False, False, True],
            na_position="last",
            kind="stable",
        )
        .drop(columns=["_s", "_p", "_c"])
        .reset_index(drop=True)
    )
    t.insert(0, "rank", np.arange(1, len(t) + 1, dtype="int64"))
    return t


def rank_causes_by_points(table: pd.DataFrame) -> pd.DataFrame:
    """Sort by points explained (largest first; NaN last), then significant first, then by
    the size of the change; add ``rank`` (1..n) as the first column."""
    if table.empty:
        return table.assign(rank=pd.Series(dtype="int64"))[
            ["rank"] + [c for c in table.columns if c != "rank"]
        ]
    t = table.assign(
        _p=pd.to_numeric(table["points_explained"], errors="coerce"),
        _c=-pd.to_numeric(table["change_pp"], errors="coerce").abs().fillna(0),
    )
    t = (
        t.sort_values(
            ["_p", "is_significant", "_c"], ascending=[False, False, True], na_position="last", kind="stable"
        )
        .drop(columns=["_p", "_c"])
        .reset_index(drop=True)
    )
    t.insert(0, "rank", np.arange(1, len(t) + 1, dtype="int64"))
    return t
