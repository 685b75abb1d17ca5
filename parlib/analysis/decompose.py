"""Exact rate/mix decomposition of the change of an overall rate between two periods.

The overall rate of a period is ``R = K / N = Σ_i w_i r_i`` over segments ``i`` (procedures,
offices, channels, or office × procedure…), with ``w_i = n_i / N`` the segment's share of the
dossiers and ``r_i = k_i / n_i`` its rate. Between a base period (0) and a target period (1) the
change splits **exactly** (Kitagawa 1955 / Das Gupta symmetric form) into

    mix_i         = (w1_i − w0_i) × (r0_i + r1_i) / 2      "more of the hard procedures"
    performance_i = (r1_i − r0_i) × (w0_i + w1_i) / 2      "slower handling within a procedure"

and ``Σ (mix_i + performance_i) = R1 − R0`` to rounding error (``(w1−w0)(r0+r1)/2 + (r1−r0)(w0+w1)/2
= w1 r1 − w0 r0``).

Decisions where the textbook is silent:

* **A segment present in one period only** (n = 0 in the other) has no rate there. Its missing
  rate is set to the rate of the period where it exists, so its performance part is exactly 0
  and its whole contribution ``± w r`` is mix (a procedure that appeared or disappeared changes
  the mix, not the handling). The identity still holds because ``w = 0`` where the rate was
  filled. The table shows the observed rates (NaN where n = 0).
* **A period with no dossiers at all** makes R undefined: every number is NaN and the status is
  ``STATUS_NO_DATA`` ("không đủ dữ liệu"); nothing is claimed for that period.
* **Verdict** (``summary["verdict"]``), in this order:
  ``no_data``; ``noise`` when neither the overall change (two-proportion z-test) nor the
  performance part (z-test below) is significant at ``alpha``; ``mix`` when ΔR ≠ 0,
  |mix_total| ≥ ``dominance`` × |ΔR| (default 2/3) and the performance part is not significant;
  ``performance`` when ΔR ≠ 0, |performance_total| ≥ ``dominance`` × |ΔR| and the performance
  part is significant; otherwise ``both``.
* **Is the performance part beyond noise?** It is a standardised-rate difference with the
  weights ``(w0 + w1) / 2`` held fixed, so its variance is
  ``Σ ((w0+w1)/2)² (r0(1−r0)/n0 + r1(1−r1)/n1)`` (segments present in one period contribute
  0); ``performance_p`` is the two-sided normal p-value of ``performance_total / se``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from parlib.analysis.stats import two_proportion_test
from parlib.core.errors import Problem, StructuralError

STATUS_OK = "ok"
STATUS_NO_DATA = "không đủ dữ liệu"
VERDICT_VI = {
    "no_data": "không đủ dữ liệu để so sánh hai kỳ",
    "noise": "thay đổi chưa phân biệt được với dao động ngẫu nhiên",
    "mix": "thay đổi chủ yếu do cơ cấu hồ sơ (tỷ trọng các nhóm thay đổi), không phải do chất lượng xử lý",
    "performance": "thay đổi chủ yếu do chất lượng xử lý trong từng nhóm (tỷ lệ của từng nhóm thay đổi)",
    "both": "thay đổi do cả cơ cấu hồ sơ và chất lượng xử lý",
}
DOMINANCE = 2 / 3
TABLE_NUMERIC = [
    "n0",
    "n1",
    "k0",
    "k1",
    "r0",
    "r1",
    "w0",
    "w1",
    "mix",
    "performance",
    "total",
    "share_of_change",
    "rank",
]


@dataclass
class RateDecomposition:
    """Result of :func:`decompose_rate_change`: ``table`` (one row per segment, sorted by
    rank) and ``summary`` (dict, see the function)."""

    table: pd.DataFrame
    summary: dict = field(default_factory=dict)


def segment_counts(rows: pd.DataFrame, segment_cols: list[str], success: str) -> pd.DataFrame:
    """Aggregate row-level data to ``segment_cols + [k, n]``: k = rows where the boolean
    column ``success`` is true, n = rows where it is not missing (missing outcomes are not
    counted in n)."""
    _require(rows, segment_cols + [success], "dữ liệu theo dòng")
    known = rows[success].notna()
    df = rows.loc[known, segment_cols].copy()
    df["k"] = rows.loc[known, success].astype(bool).astype("int64").to_numpy()
    df["n"] = 1
    return df.groupby(segment_cols, sort=True, dropna=False)[["k", "n"]].sum().reset_index()


def _require(df: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise StructuralError(f"Thiếu cột trong {what}.", [Problem("thiếu cột", column=c) for c in missing])


def _counts(df: pd.DataFrame, segment_cols: list[str], k: str, n: str, what: str) -> pd.DataFrame:
    _require(df, segment_cols + [k, n], what)
    kk = pd.to_numeric(df[k], errors="coerce")
    nn = pd.to_numeric(df[n], errors="coerce")
    bad = kk.isna() | nn.isna() | (kk < 0) | (nn < 0) | (kk > nn)
    if bad.any():
        raise StructuralError(
            f"Số liệu k, n không hợp lệ trong {what} (cần 0 ≤ k ≤ n).",
            [
                Problem(f"k = {df[k].iloc[i]}, n = {df[n].iloc[i]}", row=int(i) + 1)
                for i in np.flatnonzero(bad)
            ],
        )
    g = df[segment_cols].assign(_k=kk.astype(float), _n=nn.astype(float))
    return g.groupby(segment_cols, sort=True, dropna=False)[["_k", "_n"]].sum()


def decompose_rate_change(
    base: pd.DataFrame,
    target: pd.DataFrame,
    segment_cols: list[str] | str,
    *,
    k: str = "k",
    n: str = "n",
    alpha: float = 0.05,
    dominance: float = DOMINANCE,
) -> RateDecomposition:
    """Split ``R1 − R0`` into mix and performance parts per segment (rules: module docstring).

    ``base`` / ``target``: one or more rows per segment with counts ``k`` (events counted by
    the rate, e.g. on-time dossiers) and ``n`` (denominator); rows of the same segment are
    summed. ``segment_cols``: one column or a list (e.g. ``["office_name", "procedure_code"]``
    for a two-level split; use :func:`rollup` to sum it back to offices).

    Returns a :class:`RateDecomposition`. ``table`` columns: the segment columns, n0, n1, k0,
    k1 (float counts), r0, r1 (0–1, NaN where n = 0), w0, w1 (shares), mix, performance,
    total (= mix + performance), share_of_change (total ÷ ΔR; NaN when ΔR = 0), rank (1 = largest
    |total|). ``summary`` keys: status, n0, n1, k0, k1, base_rate, target_rate, delta,
    mix_total, performance_total, performance_se, performance_p, delta_p, verdict,
    verdict_text (Vietnamese), dominance, alpha.
    Raises StructuralError for missing columns or counts with k > n or negative/non-numeric.
    """
    cols = [segment_cols] if isinstance(segment_cols, str) else list(segment_cols)
    c0 = _counts(base, cols, k, n, "dữ liệu kỳ gốc")
    c1 = _counts(target, cols, k, n, "dữ liệu kỳ so sánh")
    t = c0.add_suffix("0").join(c1.add_suffix("1"), how="outer").fillna(0.0).sort_index()
    n0, n1, k0, k1 = (t[c].to_numpy(dtype=float) for c in ("_n0", "_n1", "_k0", "_k1"))
    N0, N1, K0, K1 = n0.sum(), n1.sum(), k0.sum(), k1.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        r0 = np.where(n0 > 0, k0 / np.where(n0 > 0, n0, 1), np.nan)
        r1 = np.where(n1 > 0, k1 / np.where(n1 > 0, n1, 1), np.nan)
    out = t.index.to_frame(index=False)
    ok = N0 > 0 and N1 > 0
    if ok:
        w0, w1 = n0 / N0, n1 / N1
        # a segment missing in one period borrows the other period's rate (its weight there is 0)
        f0 = np.where(np.isnan(r0), r1, r0)
        f1 = np.where(np.isnan(r1), r0, r1)
        f0, f1 = np.nan_to_num(f0), np.nan_to_num(f1)
        mix = (w1 - w0) * (f0 + f1) / 2
        perf = (f1 - f0) * (w0 + w1) / 2
        delta = K1 / N1 - K0 / N0
    else:
        w0 = n0 / N0 if N0 > 0 else np.full(len(t), np.nan)
        w1 = n1 / N1 if N1 > 0 else np.full(len(t), np.nan)
        mix = perf = np.full(len(t), np.nan)
        delta = np.nan
    out = out.assign(
        n0=n0, n1=n1, k0=k0, k1=k1, r0=r0, r1=r1, w0=w0, w1=w1, mix=mix, performance=perf, total=mix + perf
    )
    out["share_of_change"] = out["total"] / delta if ok and delta != 0 else np.nan
    out["rank"] = out["total"].abs().rank(ascending=False, method="first").astype("Int64")
    out = out.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)
    summary = _summary(out, N0, N1, K0, K1, delta, ok, alpha, dominance)
    return RateDecomposition(out, summary)


def _summary(t: pd.DataFrame, N0, N1, K0, K1, delta, ok, alpha, dominance) -> dict:
    N0, N1, K0, K1 = float(N0), float(N1), float(K0), float(K1)
    s = {
        "status": STATUS_OK if ok else STATUS_NO_DATA,
        "n0": N0,
        "n1": N1,
        "k0": K0,
        "k1": K1,
        "base_rate": K0 / N0 if N0 > 0 else np.nan,
        "target_rate": K1 / N1 if N1 > 0 else np.nan,
        "delta": float(delta),
        "mix_total": np.nan,
        "performance_total": np.nan,
        "performance_se": np.nan,
        "performance_p": np.nan,
        "delta_p": np.nan,
        "verdict": "no_data",
        "dominance": dominance,
        "alpha": alpha,
    }
    if not ok:
        s["verdict_text"] = VERDICT_VI["no_data"]
        return s
    both = (t["n0"] > 0) & (t["n1"] > 0)
    wbar = ((t["w0"] + t["w1"]) / 2)[both].to_numpy()
    r0, r1 = t.loc[both, "r0"].to_numpy(), t.loc[both, "r1"].to_numpy()
    var = np.sum(
        wbar**2
        * (r0 * (1 - r0) / t.loc[both, "n0"].to_numpy() + r1 * (1 - r1) / t.loc[both, "n1"].to_numpy())
    )
    mix_total, perf_total = float(t["mix"].sum()), float(t["performance"].sum())
    se = math.sqrt(var)
    if se > 0:
        perf_p = float(2 * norm.sf(abs(perf_total) / se))
    else:
        perf_p = np.nan if perf_total == 0 else 0.0
    _, dp = two_proportion_test(K0, N0, K1, N1)
    s.update(
        mix_total=mix_total,
        performance_total=perf_total,
        performance_se=se,
        performance_p=perf_p,
        delta_p=float(dp[0]),
    )
    perf_sig = bool(perf_p < alpha) if not np.isnan(perf_p) else False
    delta_sig = bool(s["delta_p"] < alpha) if not np.isnan(s["delta_p"]) else delta != 0
    if not delta_sig and not perf_sig:
        verdict = "noise"
    elif delta != 0 and abs(mix_total) >= dominance * abs(delta) and not perf_sig:
        verdict = "mix"
    elif delta != 0 and abs(perf_total) >= dominance * abs(delta) and perf_sig:
        verdict = "performance"
    else:
        verdict = "both"
    s["verdict"], s["verdict_text"] = verdict, VERDICT_VI[verdict]
    return s


def rollup(table: pd.DataFrame, by: list[str] | str) -> pd.DataFrame:
    """Sum a decomposition table to coarser segments (e.g. office from office × procedure).

    Sums of exact contributions stay exact. Returns ``by`` + n0, n1, k0, k1, r0, r1, w0, w1,
    mix, performance, total, share_of_change (re-summed), rank (by |total|).
    """
    by = [by] if isinstance(by, str) else list(by)
    _require(
        table, by + ["n0", "n1", "k0", "k1", "w0", "w1", "mix", "performance", "total"], "bảng phân tách"
    )
    g = table.groupby(by, sort=True, dropna=False)[
        ["n0", "n1", "k0", "k1", "w0", "w1", "mix", "performance", "total", "share_of_change"]
    ].sum(min_count=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g["r0"] = np.where(g["n0"] > 0, g["k0"] / g["n0"].where(g["n0"] > 0), np.nan)
        g["r1"] = np.where(g["n1"] > 0, g["k1"] / g["n1"].where(g["n1"] > 0), np.nan)
    g = g.reset_index()
    g["rank"] = g["total"].abs().rank(ascending=False, method="first").astype("Int64")
    cols = by + TABLE_NUMERIC
    return g.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)[cols]


def explain_in_dossiers(table: pd.DataFrame, *, higher_is_better: bool = True) -> pd.DataFrame:
    """How many dossiers the performance part is worth, per segment.

    ``dossiers_to_cancel_performance``: dossiers of the target period that would have had to
    turn out well (on time, if the rate is an on-time rate; ``higher_is_better=False`` for a
    late rate) to cancel the segment's *adverse* performance part: ``ceil(|perf_i| × N1)`` when
    the part is adverse, else 0 (adding x good outcomes raises R1 by x / N1).
    ``dossiers_to_base_rate``: dossiers to bring the segment's own rate back to its base rate at
    the target volume: ``ceil(|r1 − r0| × n1)`` when the rate worsened, else 0.
    Returns a copy of ``table`` with both columns (Int64; <NA> where the part is NaN); the sum
    of the first over segments is the total for the department (up to rounding up per segment).
    """
    _require(table, ["performance", "n1", "r0", "r1"], "bảng phân tách")
    N1 = float(table["n1"].sum())
    sign = 1.0 if higher_is_better else -1.0
    adverse = np.clip(-sign * table["performance"].to_numpy(dtype=float), 0, None)
    worse = np.clip(-sign * (table["r1"] - table["r0"]).to_numpy(dtype=float), 0, None)
    out = table.copy()
    out["dossiers_to_cancel_performance"] = pd.array(_ceil(adverse * N1), dtype="Int64")
    out["dossiers_to_base_rate"] = pd.array(_ceil(worse * table["n1"].to_numpy(dtype=float)), dtype="Int64")
    return out


def _ceil(x: np.ndarray) -> list:
    # 1e-9 absorbs floating error so that 0.036 × 1000 = 36.000000000000004 stays 36
    return [None if np.isnan(v) else int(math.ceil(v - 1e-9)) for v in x]
