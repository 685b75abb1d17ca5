"""Did the mix of dossiers shift between two periods? One test per segment (office, field,
channel) of the change of its share, Holm-adjusted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.outcome_model import aggregate_outcomes
from parlib.analysis.stats import adjust_pvalues, two_proportion_test
from parlib.core.numbers import SMALL_SAMPLE_N

SHIFT_COLUMNS = [
    "k0",
    "n0",
    "k1",
    "n1",
    "rate0",
    "rate1",
    "diff_pp",
    "excess",
    "z",
    "p_value",
    "p_adjusted",
    "is_significant",
    "is_small_sample",
    "verdict",
]


# ---------------------------------------------------------------- segment shifts


def segment_shift_tests(
    classified_base: pd.DataFrame,
    classified_target: pd.DataFrame,
    segment_cols: list[str] | str,
    outcome: str = "is_late",
    *,
    alpha: float = 0.05,
    small_n: int = SMALL_SAMPLE_N,
) -> pd.DataFrame:
    """Which segments' outcome rate changed beyond noise between two periods.

    Rows counted as in :func:`aggregate_outcomes`. Per segment: two-sided two-proportion
    z-test (``parlib.stats.two_proportion_test``), Holm-adjusted across the segments tested.
    Returns the segment columns + SHIFT_COLUMNS: k0, n0, k1, n1, rate0, rate1 (0–1, NaN when
    n = 0), diff_pp (percentage points), excess ((rate1 − rate0) × n1: events more than at the
    base rate, at the target volume), z, p_value, p_adjusted, is_significant, is_small_sample
    (either n below ``small_n``), verdict (Vietnamese). Sorted: significant first, then by
    excess, largest increase first.
    """
    cols = [segment_cols] if isinstance(segment_cols, str) else list(segment_cols)
    c0 = aggregate_outcomes(classified_base, cols, outcome)[cols + ["k", "n"]]
    c1 = aggregate_outcomes(classified_target, cols, outcome)[cols + ["k", "n"]]
    t = c0.merge(c1, on=cols, how="outer", suffixes=("0", "1"))
    for c in ("k0", "n0", "k1", "n1"):
        t[c] = t[c].fillna(0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        t["rate0"] = np.where(t["n0"] > 0, t["k0"] / t["n0"].where(t["n0"] > 0), np.nan)
        t["rate1"] = np.where(t["n1"] > 0, t["k1"] / t["n1"].where(t["n1"] > 0), np.nan)
    t["diff_pp"] = 100 * (t["rate1"] - t["rate0"])
    t["excess"] = (t["rate1"] - t["rate0"]) * t["n1"]
    z, p = two_proportion_test(t["k1"], t["n1"], t["k0"], t["n0"])
    t["z"], t["p_value"] = z, p
    t["p_adjusted"] = adjust_pvalues(p, "holm")
    t["is_significant"] = (t["p_adjusted"] < alpha).fillna(False).astype(bool)
    t["is_small_sample"] = ((t["n0"] < small_n) | (t["n1"] < small_n)).astype(bool)
    t["verdict"] = [_shift_verdict(r) for r in t.itertuples()]
    t = t.sort_values(
        ["is_significant", "excess"], ascending=[False, False], kind="stable", na_position="last"
    )
    return t[cols + SHIFT_COLUMNS].reset_index(drop=True)


def _shift_verdict(r) -> str:
    if r.n0 == 0 or r.n1 == 0:
        return "không đủ dữ liệu (không có hồ sơ ở một trong hai kỳ)"
    if np.isnan(r.p_value):
        return "không thay đổi"
    if not r.is_significant:
        return "chưa phân biệt được với dao động ngẫu nhiên"
    return "tăng có ý nghĩa thống kê" if r.rate1 > r.rate0 else "giảm có ý nghĩa thống kê"
