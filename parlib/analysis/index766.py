"""The 766 index by period: group points, totals and the points of one indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.model.index766 import GROUPS

# ---------------------------------------------------------------- aggregation

_LEVEL_KEYS = {"month": ["year", "month"], "quarter": ["year", "quarter"], "ytd": ["year"]}


def _period_label(frame: pd.DataFrame, level: str) -> pd.Series:
    if level == "month":
        return frame["year"].astype(str) + "-" + frame["month"].map("{:02d}".format)
    if level == "quarter":
        return frame["year"].astype(str) + "-Q" + frame["quarter"].astype(str)
    return frame["year"].astype(str)


def group_points(scores: pd.DataFrame, level: str = "quarter", through: str | None = None) -> pd.DataFrame:
    """Points per group and period: mean of the monthly points (module docstring).

    ``level``: ``month``, ``quarter`` or ``ytd``; ``through``: last month included
    (``YYYY-MM``), None = all. Returns ``year``, (``month``|``quarter``), ``period``,
    ``group_code``, ``group_name``, ``max_points``, ``points``, ``n_months``, ``pct``
    (points ÷ max × 100). Raises ValueError for an unknown level.
    """
    if level not in _LEVEL_KEYS:
        raise ValueError(f"level must be one of {list(_LEVEL_KEYS)}")
    df = scores if through is None else scores.loc[scores["period"] <= through]
    keys = _LEVEL_KEYS[level]
    out = (
        df.groupby(keys + ["group_code", "group_name", "max_points"], sort=True)
        .agg(points=("points", "mean"), n_months=("points", "size"))
        .reset_index()
    )
    out.insert(len(keys), "period", _period_label(out, level))
    out["pct"] = out["points"] / out["max_points"] * 100
    return out


def index766_totals(
    scores: pd.DataFrame,
    level: str = "quarter",
    through: str | None = None,
    n_groups_expected: int = len(GROUPS),
) -> pd.DataFrame:
    """Total 766 points per period = sum of the group means of :func:`group_points`.

    Returns ``year``, (``month``|``quarter``), ``period``, ``points``, ``max_points`` (sum
    of the maxima of the groups present), ``n_groups``, ``n_months`` (distinct months),
    ``is_complete`` (every expected group present in every month), ``pct`` (0–100; this is
    the KPI ``index766_points`` when the period is complete).
    """
    df = scores if through is None else scores.loc[scores["period"] <= through]
    keys = _LEVEL_KEYS[level] if level in _LEVEL_KEYS else None
    if keys is None:
        raise ValueError(f"level must be one of {list(_LEVEL_KEYS)}")
    g = group_points(df, level)
    tot = (
        g.groupby(keys + ["period"], sort=True)
        .agg(
            points=("points", "sum"),
            max_points=("max_points", "sum"),
            n_groups=("group_code", "size"),
            min_months=("n_months", "min"),
        )
        .reset_index()
    )
    months = df.groupby(keys)["period"].nunique().rename("n_months").reset_index()
    tot = tot.merge(months, on=keys, how="left")
    tot["is_complete"] = (tot["n_groups"] == n_groups_expected) & (tot["min_months"] == tot["n_months"])
    tot["pct"] = tot["points"] / tot["max_points"] * 100
    return tot.drop(columns="min_months")


def indicator_points(rate_pct, max_points, threshold_pct=100.0):
    """Points of one 766 indicator: max × min(1, rate ÷ threshold), half-up to 2 decimals.

    Vectorised over numpy-compatible inputs (a scalar in gives a float out). NaN rate (zero
    denominator, N/A) gives NaN, never 0. A negative rate is treated as 0. Raises
    ValueError for a threshold ≤ 0.
    """
    rate = np.asarray(rate_pct, dtype=float)
    mx = np.asarray(max_points, dtype=float)
    thr = np.asarray(threshold_pct, dtype=float)
    if (thr <= 0).any():
        raise ValueError("threshold_pct must be > 0")
    raw = mx * np.clip(rate / thr, 0, 1)
    out = np.floor(raw * 100 + 0.5 + 1e-9) / 100
    out = np.where(np.isnan(rate), np.nan, out)
    return float(out) if out.ndim == 0 else out
