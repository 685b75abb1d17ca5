"""The annual cause list reconciled with the change of the total (issue 14, item 2).

The total change from the base year is split exactly (``parlib.analysis.compare``) into the
performance change of every sub-criterion, the framework effect (new, dropped and rescaled
sub-criteria) and the change of bonus/penalty points. The cause list has one row per
sub-criterion whose points fell (performance, after the crosswalk); this module states the
sum that the report shows:

    total change = Σ decreases (the cause rows) + Σ increases + framework effect
                   + bonus/penalty change [+ rounding]

Every part is rounded half up to 0,01 as printed; the rounding line (at most a few 0,01) is
what the printed parts leave over, so the printed lines add up to the printed total exactly.
A fall that rounds to 0,00 is not a cause row (its value is in the rounding line).

Sub-criteria short of their maximum in both years without a fall are the *persistent
shortfalls*: a separate, short list, never causes of the change.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from parlib.core.numbers import round_half_up_decimal

EPS = 1e-9
PERSISTENT_COLUMNS = ["code", "name", "owner_office", "target_max", "lost_base", "lost_target"]


def _d(x) -> Decimal:
    return round_half_up_decimal(float(x), 2)


def cause_drops(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The decomposition rows that are causes: performance fell by at least 0,01 once rounded."""
    perf = pd.to_numeric(decomposition["performance_points"], errors="coerce")
    return decomposition.loc[perf.map(lambda v: v < 0 and _d(-v) > 0)]


def reconciliation(decomposition: pd.DataFrame, summary: dict) -> dict:
    """The lines that add up to the total change (module docstring), as floats with 2
    decimals: total_change, base_total, target_total, decreases (Σ cause rows, negative),
    n_decreases, increases, n_increases, framework_effect, bonus_penalty_change, rounding."""
    perf = pd.to_numeric(decomposition["performance_points"], errors="coerce").fillna(0.0)
    drops = cause_drops(decomposition)
    dec = -sum((_d(-v) for v in pd.to_numeric(drops["performance_points"])), Decimal(0))
    ups = perf.loc[perf > EPS]
    inc = _d(float(ups.sum())) if len(ups) else Decimal(0)
    fw, bp = _d(summary["framework_effect"]), _d(summary["bonus_penalty_change"])
    base, target = _d(summary["base_total"]), _d(summary["target_total"])
    total = target - base  # the printed totals' difference
    rounding = total - (dec + inc + fw + bp)
    return {
        "base_total": float(base),
        "target_total": float(target),
        "total_change": float(total),
        "decreases": float(dec),
        "n_decreases": int(len(drops)),
        "increases": float(inc),
        "n_increases": int(len(ups)),
        "framework_effect": float(fw),
        "bonus_penalty_change": float(bp),
        "rounding": float(rounding),
    }


def persistent_shortfalls(decomposition: pd.DataFrame) -> pd.DataFrame:
    """Sub-criteria below their maximum in both years whose points did not fall (PERSISTENT_COLUMNS;
    lost_base on the restated base-year scale), sorted by points lost in the target year."""
    d = decomposition.loc[~decomposition["relation"].isin(["new", "dropped"])]
    num = {
        c: pd.to_numeric(d[c], errors="coerce")
        for c in ("target_max", "target_points", "base_restated_points")
    }
    lost_t = num["target_max"] - num["target_points"]
    lost_b = num["target_max"] - num["base_restated_points"]
    perf = pd.to_numeric(d["performance_points"], errors="coerce").fillna(0.0)
    keep = (lost_t.round(2) > 0) & (lost_b.round(2) > 0) & ~perf.map(lambda v: v < 0 and _d(-v) > 0)
    out = d.loc[keep, ["code", "name", "owner_office", "target_max"]].assign(
        lost_base=lost_b[keep].round(2), lost_target=lost_t[keep].round(2)
    )
    return out.sort_values(["lost_target", "code"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )[PERSISTENT_COLUMNS]
