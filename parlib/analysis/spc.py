"""Statistical process control for monthly rates: p-charts with run rules, funnel plots.

p-chart (:func:`p_chart`)
    One point per month, ``p_i = k_i / n_i``. The centre line is the pooled rate of a
    baseline period, ``p̄ = Σk / Σn`` over the baseline months (default: every month).
    The limits follow each month's denominator:
    ``p̄ ± 3·sqrt(p̄(1 − p̄) / n_i)``, clipped to [0, 1]; the 2σ zone uses the same formula
    with 2. Every point gets a standardised score ``z_i = (p_i − p̄) / σ_i`` so that the run
    rules work on months of different sizes.

Laney p′ chart (``laney=True``, used by the reports)
    With thousands of dossiers a month the binomial σ_i is tiny and real month-to-month
    variation (mix, holidays) puts nearly every month outside p-chart limits
    (overdispersion). Laney (2002) widens the limits by σ_z, the spread of the z-scores
    between consecutive months: ``σ_z = mean|z_i − z_{i−1}| / 1.128`` over the baseline
    months, limits ``p̄ ± 3·σ_i·σ_z``. We use ``max(σ_z, 1)`` so that the limits are never
    narrower than the binomial ones (no extra alarms from underdispersed data).

Run rules (a subset of Western Electric / Nelson; the rule ids are stable)
    ``beyond_3sigma``   one point beyond the 3σ limits (WE 1, Nelson 1);
    ``run_8_same_side`` 8 or more points in a row on the same side of the centre line
                        (Nelson 2; a point exactly on the centre line ends a run);
    ``trend_6``         6 or more points in a row steadily increasing or decreasing
                        (Nelson 3; equal neighbouring rates end a trend);
    ``two_of_3_beyond_2sigma`` 2 of 3 consecutive points beyond 2σ on the same side
                        (WE 2, Nelson 5).
    Every month that belongs to a qualifying run is flagged, and ``run_start`` holds the
    first month of the run, so a shift is dated at the month it began, not the month the
    rule fired. A month with ``n = 0`` (no point) breaks every run.

Funnel plot (:func:`funnel`)
    Groups (offices, procedures...) with ``k`` of ``n`` are compared with one overall rate
    ``p0``. Limits per ``n`` use the normal approximation to the binomial,
    ``p0 ± z·sqrt(p0(1 − p0) / n)`` with ``z = 1.959964`` (95 %) and ``z = 3.090232``
    (99,8 %), clipped to [0, 1] (Spiegelhalter 2005, the approximation he gives for
    moderate ``n``; chosen because it is checkable by hand). Flags: ``below_998``,
    ``below_95``, ``within``, ``above_95``, ``above_998``.

All rates in returned frames are percentages (0–100, ``_pct``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
Z998 = 3.090232306167813

RULES_VI = {
    "beyond_3sigma": "1 điểm vượt giới hạn kiểm soát 3σ",
    "run_8_same_side": "8 điểm liên tiếp cùng một phía đường trung tâm",
    "trend_6": "6 điểm liên tiếp cùng tăng hoặc cùng giảm",
    "two_of_3_beyond_2sigma": "2 trong 3 điểm liên tiếp vượt 2σ cùng một phía",
}
FLAGS_VI = {
    "below_998": "Thấp hơn giới hạn 99,8 %",
    "below_95": "Thấp hơn giới hạn 95 %",
    "within": "Trong giới hạn",
    "above_95": "Cao hơn giới hạn 95 %",
    "above_998": "Cao hơn giới hạn 99,8 %",
}


# ---------------------------------------------------------------- p-chart


def p_chart(
    df: pd.DataFrame,
    *,
    period: str = "period",
    k: str = "k",
    n: str = "n",
    baseline=None,
    laney: bool = False,
) -> pd.DataFrame:
    """p-chart of monthly counts with run-rule signals (rules in the module docstring).

    ``df``: one row per month in time order, with ``period`` (label), ``k`` and ``n``.
    ``baseline``: periods (labels) used for the centre line; None = all months. Raises
    ValueError when the baseline has no denominator or names unknown periods.

    Returns a copy of the three input columns plus ``pct``, ``center_pct``, ``sigma_pct``,
    ``lcl_pct``, ``ucl_pct``, ``lower_2s_pct``, ``upper_2s_pct``, ``z``, ``in_baseline``,
    ``signal`` (bool), ``rules`` (``;``-joined rule ids, '' when none), ``rules_vi`` and
    ``run_start`` (period label of the earliest run the month belongs to; None if no signal)
    and ``sigma_z`` (the Laney factor applied; 1.0 for a plain p-chart).
    """
    out = df[[period, k, n]].copy().reset_index(drop=True)
    kk = out[k].to_numpy(dtype=float)
    nn = out[n].to_numpy(dtype=float)
    labels = out[period].astype(str).to_numpy()
    if baseline is None:
        in_base = np.ones(len(out), dtype=bool)
    else:
        wanted = {str(b) for b in baseline}
        unknown = sorted(wanted - set(labels))
        if unknown:
            raise ValueError(f"baseline periods not in the data: {unknown}")
        in_base = np.isin(labels, list(wanted))
    base_n = nn[in_base].sum()
    if base_n <= 0:
        raise ValueError("the baseline period has no denominator (n = 0)")
    pbar = kk[in_base].sum() / base_n
    has = nn > 0
    safe_n = np.where(has, nn, 1.0)
    p = np.where(has, kk / safe_n, np.nan)
    sigma = np.where(has, np.sqrt(pbar * (1 - pbar) / safe_n), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, (p - pbar) / np.where(sigma > 0, sigma, 1.0), np.sign(p - pbar) * np.inf)
    z = np.where(has & (p == pbar), 0.0, z)
    z = np.where(has, z, np.nan)
    sigma_z = 1.0
    if laney:
        zb = z[in_base & has]
        zb = zb[np.isfinite(zb)]
        if len(zb) >= 2:
            sigma_z = max(float(np.mean(np.abs(np.diff(zb)))) / 1.128, 1.0)
        sigma = sigma * sigma_z
        z = z / sigma_z
    out["pct"] = p * 100
    out["center_pct"] = pbar * 100
    out["sigma_pct"] = sigma * 100
    out["lcl_pct"] = np.clip(pbar - 3 * sigma, 0, 1) * 100
    out["ucl_pct"] = np.clip(pbar + 3 * sigma, 0, 1) * 100
    out["lower_2s_pct"] = np.clip(pbar - 2 * sigma, 0, 1) * 100
    out["upper_2s_pct"] = np.clip(pbar + 2 * sigma, 0, 1) * 100
    out["z"] = z
    out["in_baseline"] = in_base
    out["sigma_z"] = sigma_z
    sig = run_rules(z, p)
    out["signal"] = sig["signal"].to_numpy()
    out["rules"] = sig["rules"].to_numpy()
    out["rules_vi"] = [("; ".join(RULES_VI[r] for r in s.split(";")) if s else "") for s in sig["rules"]]
    start_pos = sig["run_start_pos"].to_numpy()
    out["run_start"] = pd.array([labels[int(i)] if i >= 0 else None for i in start_pos], dtype="str")
    return out


def _runs(cond: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a bool array: (length of the run of True each position belongs to, start index)."""
    m = len(cond)
    if m == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    change = np.r_[True, cond[1:] != cond[:-1]]
    run_id = np.cumsum(change) - 1
    starts = np.flatnonzero(change)
    lengths = np.diff(np.r_[starts, m])
    return lengths[run_id] * cond, starts[run_id]


def run_rules(z, p) -> pd.DataFrame:
    """Signals of the four run rules from standardised scores ``z`` and rates ``p``.

    NaN in ``z``/``p`` (no point) breaks runs. Returns a frame with ``signal``, ``rules``
    (``;``-joined ids in RULES_VI order) and ``run_start_pos`` (index of the first month of
    the earliest run, -1 when no signal).
    """
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    m = len(z)
    hits: dict[str, np.ndarray] = {r: np.zeros(m, dtype=bool) for r in RULES_VI}
    starts: dict[str, np.ndarray] = {r: np.full(m, -1) for r in RULES_VI}
    idx = np.arange(m)

    beyond = np.abs(z) > 3  # NaN compares False
    hits["beyond_3sigma"] = beyond
    starts["beyond_3sigma"] = np.where(beyond, idx, -1)

    for side in (z > 0, z < 0):
        length, start = _runs(side)
        hit = length >= 8
        hits["run_8_same_side"] |= hit
        starts["run_8_same_side"] = np.where(hit, start, starts["run_8_same_side"])

    if m >= 2:
        diff = np.diff(p)  # NaN where either side is missing
        for step in (diff > 0, diff < 0):
            # a run of r steps covers r + 1 points: steps i..i+r-1 join points i..i+r
            length, start = _runs(step)
            ok = length >= 5
            member = np.zeros(m, dtype=bool)
            first = np.full(m, -1)
            member[:-1] |= ok
            member[1:] |= ok
            first[:-1] = np.where(ok, start, first[:-1])
            first[1:] = np.where(ok & (first[1:] < 0), start, first[1:])
            hits["trend_6"] |= member
            starts["trend_6"] = np.where(member & (starts["trend_6"] < 0), first, starts["trend_6"])

    for side in (z > 2, z < -2):
        s = side.astype(int)
        # window of 3 ending at j counts beyond-2σ points at j-2..j on this side
        count = np.convolve(s, np.ones(3, dtype=int))[:m]
        for j in np.flatnonzero(count >= 2):
            lo = max(0, j - 2)
            members = idx[lo : j + 1][side[lo : j + 1]]
            hits["two_of_3_beyond_2sigma"][members] = True
            first = members[0]
            cur = starts["two_of_3_beyond_2sigma"][members]
            starts["two_of_3_beyond_2sigma"][members] = np.where(cur < 0, first, np.minimum(cur, first))

    ids = list(RULES_VI)
    mat = np.column_stack([hits[r] for r in ids]) if m else np.zeros((0, len(ids)), dtype=bool)
    st = np.column_stack([starts[r] for r in ids]) if m else np.zeros((0, len(ids)), dtype=int)
    signal = mat.any(axis=1)
    st_masked = np.where(mat, st, m + 1)
    run_start = np.where(signal, st_masked.min(axis=1) if m else 0, -1)
    rules = [";".join(r for r, h in zip(ids, row) if h) for row in mat]
    return pd.DataFrame(
        {"signal": signal, "rules": pd.array(rules, dtype="str"), "run_start_pos": run_start.astype(int)}
    )


def signal_episodes(chart: pd.DataFrame, *, period: str = "period") -> pd.DataFrame:
    """Signals of a :func:`p_chart` result grouped by ``run_start``: one row per episode.

    Columns: ``run_start`` (first month of the run), ``first_flagged``, ``last_flagged``,
    ``months`` (flagged months), ``rules`` (``;``-joined ids, in RULES_VI order),
    ``rules_vi``. Empty frame with these columns when there is no signal.
    """
    cols = ["run_start", "first_flagged", "last_flagged", "months", "rules", "rules_vi"]
    flagged = chart.loc[chart["signal"]]
    if flagged.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for start, grp in flagged.groupby("run_start", sort=False):
        found = {r for s in grp["rules"] for r in s.split(";")}
        ids = [r for r in RULES_VI if r in found]
        rows.append(
            {
                "run_start": start,
                "first_flagged": str(grp[period].iloc[0]),
                "last_flagged": str(grp[period].iloc[-1]),
                "months": len(grp),
                "rules": ";".join(ids),
                "rules_vi": "; ".join(RULES_VI[r] for r in ids),
            }
        )
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------- funnel


def funnel_limits(overall_rate: float, n) -> pd.DataFrame:
    """95 % and 99,8 % limits (0–100) around ``overall_rate`` (0–1) for denominators ``n``.

    Columns: ``n``, ``lo998_pct``, ``lo95_pct``, ``hi95_pct``, ``hi998_pct`` (NaN for n ≤ 0).
    """
    nn = np.asarray(n, dtype=float)
    p0 = float(overall_rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(nn > 0, np.sqrt(p0 * (1 - p0) / np.where(nn > 0, nn, 1.0)), np.nan)
    return pd.DataFrame(
        {
            "n": nn,
            "lo998_pct": np.clip(p0 - Z998 * se, 0, 1) * 100,
            "lo95_pct": np.clip(p0 - Z95 * se, 0, 1) * 100,
            "hi95_pct": np.clip(p0 + Z95 * se, 0, 1) * 100,
            "hi998_pct": np.clip(p0 + Z998 * se, 0, 1) * 100,
        }
    )


def funnel(
    groups_df: pd.DataFrame,
    overall_rate: float | None = None,
    *,
    group: str = "group",
    k: str = "k",
    n: str = "n",
) -> pd.DataFrame:
    """Funnel-plot table: each group's rate against limits for its own ``n``.

    ``overall_rate`` is on the 0–1 scale; None = pooled ``Σk / Σn`` of the groups.
    Raises ValueError when it is outside [0, 1] or cannot be computed (Σn = 0).

    Returns ``group``, ``k``, ``n``, ``pct``, ``overall_pct``, ``lo998_pct``, ``lo95_pct``,
    ``hi95_pct``, ``hi998_pct``, ``flag`` (ids in FLAGS_VI; NaN rate -> ``<NA>``), ``flag_vi``.
    A rate exactly on a limit counts as within it.
    """
    out = groups_df[[group, k, n]].copy().reset_index(drop=True)
    kk = out[k].to_numpy(dtype=float)
    nn = out[n].to_numpy(dtype=float)
    if overall_rate is None:
        if nn.sum() <= 0:
            raise ValueError("overall rate undefined: total n is 0")
        overall_rate = kk.sum() / nn.sum()
    if not 0 <= overall_rate <= 1:
        raise ValueError("overall_rate must be on the 0–1 scale")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(nn > 0, kk / np.where(nn > 0, nn, 1.0), np.nan) * 100
    out["pct"] = pct
    out["overall_pct"] = overall_rate * 100
    lim = funnel_limits(overall_rate, nn)
    for c in ["lo998_pct", "lo95_pct", "hi95_pct", "hi998_pct"]:
        out[c] = lim[c].to_numpy()
    conds = [
        pct < out["lo998_pct"].to_numpy(),
        pct < out["lo95_pct"].to_numpy(),
        pct > out["hi998_pct"].to_numpy(),
        pct > out["hi95_pct"].to_numpy(),
        ~np.isnan(pct),
    ]
    flag = np.select(conds, ["below_998", "below_95", "above_998", "above_95", "within"], default="")
    out["flag"] = pd.array(np.where(flag == "", None, flag), dtype="str")
    out["flag_vi"] = out["flag"].map(FLAGS_VI)
    return out


def funnel_curve(overall_rate: float, n_max: float, *, n_min: float = 1, points: int = 200) -> pd.DataFrame:
    """Smooth limit curves for drawing: :func:`funnel_limits` on ``points`` values of n
    spaced geometrically from ``n_min`` to ``n_max``."""
    n = np.unique(np.geomspace(max(n_min, 1), max(n_max, n_min, 1), points))
    return funnel_limits(overall_rate, n)
