"""Year-end outlook of the plan's targets: will each be met by 31/12, and what does it take?

For a KPI with year-to-date counts ``k`` of ``n`` (e.g. dossiers on time of dossiers handled)
and a target ``t`` %:

* **Volume of the remaining months** ``N``: this year's year-to-date denominator scaled by last
  year's seasonality — ``N = n × (last year's volume in the remaining months ÷ last year's
  volume in the elapsed months)`` from the monthly series of the same KPI — or, without last
  year's months, by the calendar (``n × remaining months ÷ elapsed months``). Rounded half up.
* **Rate of the remaining months**: unknown; its uncertainty is the posterior of the
  year-to-date rate, Beta(k + ½, n − k + ½) (Jeffreys prior). The on-time count of the
  remaining months is then beta-binomial (posterior predictive), computed from its pmf — no
  simulation noise (beyond 2,000 remaining dossiers on a window around the mean leaving out at
  most 1e-12 of the mass on each side).
* **Assumed**: the remaining months run at the year-to-date pace (no trend in the rate), the
  volume is its expected value (its own uncertainty is not modelled), and each dossier of the
  remaining months counts once in the year-end denominator.

Returned per KPI: ``probability_met`` (exact, in [0, 1]), ``expected_year_end_pct`` and a 95 %
predictive interval, ``required_pct_remaining`` (the least rate the remaining months need;
None when nothing remains), ``is_still_achievable`` (False when even 100 % of the remaining
dossiers cannot reach the target), ``is_met_for_good`` (the target holds whatever happens).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import betaln

from parlib.core.numbers import round_half_up

PRIOR = (0.5, 0.5)  # Jeffreys
LEVEL = 0.95
EPS = 1e-9


def remaining_volume(n_ytd: float, last_month: int, monthly_last_year: pd.Series | None = None) -> int:
    """Expected denominator of months ``last_month + 1 … 12`` (module docstring).

    ``monthly_last_year``: last year's denominators indexed by month 1–12 (missing months
    count as absent). Returns 0 when nothing remains or nothing was observed."""
    remaining = 12 - int(last_month)
    if remaining <= 0 or not n_ytd or n_ytd <= 0:
        return 0
    ratio = remaining / int(last_month)
    if monthly_last_year is not None and len(monthly_last_year):
        ly = pd.to_numeric(monthly_last_year, errors="coerce").fillna(0)
        elapsed = float(ly[ly.index <= last_month].sum())
        rest = float(ly[ly.index > last_month].sum())
        if elapsed > 0 and rest > 0 and ly.index.max() == 12:
            ratio = rest / elapsed
    return int(round_half_up(n_ytd * ratio, 0))


def _quantile(cdf: np.ndarray, q: float) -> int:
    """Least K with P(X <= K) >= q (the discrete quantile, as scipy's ppf) from the cdf on
    0 … N; the relative tolerance absorbs summation order (cdf(N) may be 1 − 1e-16)."""
    return int(min(np.searchsorted(cdf, q * (1 - 1e-12), side="left"), len(cdf) - 1))


WHOLE_SUPPORT = 2_000  # up to this remaining volume the pmf is taken on its whole support
TAIL = 1e-12  # above it, on a window around the mean leaving out at most this mass on each side


def _pmf(x: np.ndarray, n: int, a: float, b: float) -> np.ndarray:
    """``scipy.stats.betabinom(n, a, b).pmf(x)`` for integers ``x`` in 0 … n, by scipy's own
    formula (the same values, bit for bit: tested) without the generic distribution's
    per-call checks (a quarter of the time at a few thousand values, 8,000 calls a province)."""
    k = np.floor(x)
    log_choose = -np.log(n + 1) - betaln(n - k + 1, k + 1)
    return np.clip(np.exp(log_choose + betaln(k + a, n - k + b) - betaln(a, b)), 0, 1)


def _predictive(big_n: int, a: float, b: float) -> tuple[int, np.ndarray]:
    """(first, pmf): the beta-binomial(N, a, b) pmf on ``first … first + len(pmf) − 1``.

    The whole support 0 … N up to WHOLE_SUPPORT. Beyond (an office's quarter: N in thousands;
    a province's year: in millions, the mass within a few thousand values of the mean), a
    window of ±40 standard deviations around the mean, widened until its largest value is
    inside it and each of its inner edges is at most TAIL / N. The distribution is unimodal
    (a + b = n + 1 ≥ 2), so every value beyond an edge is smaller than the edge's and the mass
    left out is at most TAIL on each side: checked on the pmf itself, not assumed. (scipy's
    pmf is itself accurate to ~1e-8 at such N: the whole support sums to 1 − 7e-9 at 3M.)"""
    if not (a > 0 and b > 0):  # counts that cannot be (k > n): undefined, as scipy has it
        return 0, np.full(big_n + 1, np.nan)
    if big_n <= WHOLE_SUPPORT:
        return 0, _pmf(np.arange(big_n + 1), big_n, a, b)
    mean = big_n * a / (a + b)
    sd = math.sqrt(big_n * a * b * (a + b + big_n) / ((a + b) ** 2 * (a + b + 1)))
    half = 40 * sd + 100
    while True:
        first, last = max(0, math.floor(mean - half)), min(big_n, math.ceil(mean + half))
        pmf = _pmf(np.arange(first, last + 1), big_n, a, b)
        top = int(np.argmax(pmf))
        left_ok = first == 0 or (top > 0 and pmf[0] * big_n <= TAIL)
        right_ok = last == big_n or (top < len(pmf) - 1 and pmf[-1] * big_n <= TAIL)
        if left_ok and right_ok:
            return first, pmf
        half *= 4


def kpi_outlook(k: float, n: float, n_remaining: int, target_pct: float, comparison: str = ">=") -> dict:
    """The year-end outlook of one KPI (module docstring). ``comparison`` '>=' (at least the
    target) or '<=' (at most). Every value is None when there is no data (n + N == 0)."""
    k, n, big_n = float(k or 0), float(n or 0), int(n_remaining or 0)
    total = n + big_n
    empty = {
        "probability_met": None,
        "expected_year_end_pct": None,
        "interval_pct": [None, None],
        "required_pct_remaining": None,
        "is_still_achievable": None,
        "is_met_for_good": None,
        "k_ytd": int(k),
        "n_ytd": int(n),
        "n_remaining": big_n,
        "target_pct": target_pct,
    }
    if total <= 0 or target_pct is None or (isinstance(target_pct, float) and math.isnan(target_pct)):
        return empty
    a, b = k + PRIOR[0], n - k + PRIOR[1]
    # The predictive distribution of K once (scipy's generic discrete ppf searches by repeated
    # cdf sums: 64 ms a call at a province's volume; 26 KPIs × 2), on pmf[i] = P(K = first + i).
    first, pmf = _predictive(big_n, a, b)
    cdf = np.cumsum(pmf)
    goal = target_pct / 100 * total - k  # on-time count the remaining months must reach
    if comparison in (">=", "≥"):
        need = max(0, math.ceil(goal - EPS))  # least K with (k + K) / total >= t
        prob = 1.0 if need <= 0 else (0.0 if need > big_n else float(pmf[max(need - first, 0) :].sum()))
        achievable, for_good = need <= big_n, need <= 0
        required = 100 * need / big_n if big_n else None
    else:
        allow = math.floor(goal + EPS)  # most K with (k + K) / total <= t
        inside = allow - first
        prob = (
            0.0
            if allow < 0 or inside < 0
            else (1.0 if allow >= big_n else float(cdf[min(inside, len(cdf) - 1)]))
        )
        achievable, for_good = allow >= 0, allow >= big_n
        required = 100 * max(allow, 0) / big_n if big_n else None
    lo, hi = (
        (first + _quantile(cdf, (1 - LEVEL) / 2), first + _quantile(cdf, 1 - (1 - LEVEL) / 2))
        if big_n
        else (0.0, 0.0)
    )
    mean = big_n * a / (a + b) if big_n else 0.0
    return {
        **empty,
        "probability_met": min(1.0, max(0.0, prob)),
        "expected_year_end_pct": 100 * (k + mean) / total,
        "interval_pct": [100 * (k + float(lo)) / total, 100 * (k + float(hi)) / total],
        "required_pct_remaining": required,  # above 100 exactly when the target is out of reach
        "is_still_achievable": bool(achievable),
        "is_met_for_good": bool(for_good),
    }


def outlook_table(rows: pd.DataFrame, last_month: int, monthly: pd.DataFrame | None = None) -> pd.DataFrame:
    """Outlook of every row of ``rows`` (columns ``kpi, group, k, n, target_pct, comparison``;
    ``group`` '' for the whole unit or an office name). ``monthly``: last year's denominators
    (columns ``kpi, group, month, n``) for the seasonality of the remaining volume.

    Returns ``rows`` with the fields of :func:`kpi_outlook` (``interval_low_pct``,
    ``interval_high_pct`` instead of the pair)."""
    out = []
    # last year's months of every (kpi, group) at once (one selection per row: 1 s for 320 offices)
    last_year = (
        {key: g.groupby("month")["n"].sum() for key, g in monthly.groupby(["kpi", "group"], sort=False)}
        if monthly is not None and not monthly.empty
        else {}
    )
    for r in rows.to_dict("records"):
        ly = last_year.get((r["kpi"], r["group"]))
        big_n = remaining_volume(r["n"], last_month, ly)
        o = kpi_outlook(r["k"], r["n"], big_n, r["target_pct"], r.get("comparison") or ">=")
        low, high = o.pop("interval_pct")
        out.append({**r, **o, "interval_low_pct": low, "interval_high_pct": high})
    cols = list(rows.columns) + [
        "k_ytd", "n_ytd", "n_remaining", "probability_met", "expected_year_end_pct", "interval_low_pct",
        "interval_high_pct", "required_pct_remaining", "is_still_achievable", "is_met_for_good",
    ]  # fmt: skip
    return pd.DataFrame(out, columns=list(dict.fromkeys(cols)))


def points_outlook(nodes: pd.DataFrame, table: pd.DataFrame, score) -> pd.DataFrame:
    """Expected year-end PAR points of every KPI-driven sub-criterion, with an interval, through
    the framework's rule (``score(rule, params, value_pct, max_points)``; monotone in the value).
    ``table``: the unit rows of :func:`outlook_table`."""
    unit = table[table["group"] == ""].set_index("kpi")
    rows = []
    for node in nodes.to_dict("records"):
        kpi = node.get("kpi")
        if not isinstance(kpi, str) or kpi not in unit.index:
            continue
        u = unit.loc[kpi]
        vals = [u["expected_year_end_pct"], u["interval_low_pct"], u["interval_high_pct"]]
        pts = [
            np.nan
            if v is None or pd.isna(v)
            else score(node["rule"], node.get("rule_params"), float(v), float(node["max_points"]))
            for v in vals
        ]
        rows.append(
            {
                "code": node["code"],
                "name": node["name"],
                "kpi": kpi,
                "max_points": float(node["max_points"]),
                "expected_points": pts[0],
                "points_low": min(pts[1], pts[2]) if not np.isnan(pts[1]) else np.nan,
                "points_high": max(pts[1], pts[2]) if not np.isnan(pts[2]) else np.nan,
            }
        )
    return pd.DataFrame(
        rows, columns=["code", "name", "kpi", "max_points", "expected_points", "points_low", "points_high"]
    )


DOSSIER_TARGETS = ("on_time_pct", "apology_pct", "system_updated_pct")
NO_VOLUME_MODEL = {"tasks_on_time_pct"}  # the plan's tasks are followed one by one (task section)
ALL_GROUP = "Tất cả"


def outlook_inputs(status: pd.DataFrame, kpis: pd.DataFrame, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, monthly) for :func:`outlook_table` from the quarterly run's tables.

    ``status``: the targets' status (``period_kind == 'ytd'`` rows of the whole unit give each
    target KPI's year-to-date k, n, target and comparison). ``kpis``: the dossier KPI table; its
    year-to-date office rows give the offices of the dossier KPIs, its months of ``year − 1``
    the seasonality of the remaining volume."""
    ytd = status[(status["period_kind"] == "ytd") & (status["dimension"] == "all")]
    ytd = ytd[~ytd["kpi"].isin(NO_VOLUME_MODEL)]
    unit = ytd[["kpi", "k", "n", "target_pct", "comparison"]].assign(group="")
    targets = ytd.set_index("kpi")[["target_pct", "comparison"]]
    offices = pd.DataFrame(columns=["kpi", "group", "k", "n", "target_pct", "comparison"])
    monthly = pd.DataFrame(columns=["kpi", "group", "month", "n"])
    if kpis is not None and not kpis.empty:
        # dossiers without an office (kpi_table's group ""): in the unit's rows only
        office = kpis["dimension"].eq("office_name") & kpis["group"].ne("")
        sel = kpis[
            (kpis["period_kind"] == "ytd")
            & (kpis["period"] == f"{year}-YTD")
            & office
            & kpis["kpi"].isin([k for k in DOSSIER_TARGETS if k in targets.index])
        ]
        offices = sel[["kpi", "group", "k", "n"]].join(targets, on="kpi")
        ly = kpis[
            (kpis["period_kind"] == "month")
            & kpis["period"].astype(str).str.startswith(f"{year - 1}-")
            & (kpis["dimension"].eq("all") | office)
        ]
        monthly = pd.DataFrame(
            {
                "kpi": ly["kpi"].to_numpy(),
                "group": np.where(ly["dimension"].eq("all"), "", ly["group"].astype(str)),
                "month": ly["period"].astype(str).str[5:7].astype(int).to_numpy(),
                "n": ly["n"].to_numpy(),
            }
        )
    rows = pd.concat([unit, offices[unit.columns]], ignore_index=True)
    rows = rows[["kpi", "group", "k", "n", "target_pct", "comparison"]]
    return rows.astype({"k": "int64", "n": "int64"}), monthly
