"""Year-end outlook (parlib.analysis.outlook): hand-worked cases and calibration on simulated years."""

import math

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.outlook import kpi_outlook, outlook_inputs, outlook_table, remaining_volume


def test_target_already_met_for_good():
    # 995 of 1000 on time, 10 dossiers left: even 0 of 10 gives 995/1010 = 98,51 % >= 98 %
    o = kpi_outlook(995, 1000, 10, 98.0)
    assert o["probability_met"] == 1.0 and o["is_met_for_good"] and o["is_still_achievable"]
    assert o["required_pct_remaining"] == 0.0
    assert o["interval_pct"][0] >= 995 / 1010 * 100 - 1e-9


def test_target_that_can_no_longer_be_met():
    # apologies: 45 of 50 owed letters sent; target 100 %: the 5 missing can never be undone
    o = kpi_outlook(45, 50, 20, 100.0)
    assert o["probability_met"] == 0.0 and not o["is_still_achievable"] and not o["is_met_for_good"]
    assert o["required_pct_remaining"] == pytest.approx(125.0)  # 25 of 20 needed: impossible


def test_small_case_probability_is_exact():
    """9 of 10 on time, 2 left, target 90 %: the year needs 0,9 × 12 = 10,8 -> 11 on time, so both
    remaining must be on time. Posterior Beta(9,5; 1,5); P(both) = 9,5/11 × 10,5/12 = 99,75/132."""
    o = kpi_outlook(9, 10, 2, 90.0)
    assert o["probability_met"] == pytest.approx(99.75 / 132, rel=1e-12)
    assert o["required_pct_remaining"] == 100.0 and o["is_still_achievable"]
    # expected year-end: (9 + 2 × 9,5/11) / 12
    assert o["expected_year_end_pct"] == pytest.approx(100 * (9 + 2 * 9.5 / 11) / 12, rel=1e-12)


def test_at_most_targets_and_no_data():
    # late share at most 2 %: 10 late of 500, 100 left: the year allows floor(0,02 × 600) = 12 late,
    # so at most 2 more; P(K <= 2) for K ~ BetaBinom(100, 10,5; 490,5)
    from scipy.stats import betabinom

    o = kpi_outlook(10, 500, 100, 2.0, "<=")
    assert o["probability_met"] == pytest.approx(float(betabinom(100, 10.5, 490.5).cdf(2)))
    assert o["required_pct_remaining"] == pytest.approx(2.0)  # at most 2 of the 100
    none = kpi_outlook(0, 0, 0, 98.0)
    assert none["probability_met"] is None and none["expected_year_end_pct"] is None


def test_remaining_volume_uses_last_years_season_scaled_to_this_year():
    ly = pd.Series([100] * 9 + [150] * 3, index=range(1, 13))  # last year: Q4 busier
    # this year 900 in 9 months; last year 900 then 450 -> ratio 0,5 -> 450
    assert remaining_volume(900, 9, ly) == 450
    assert remaining_volume(1800, 9, ly) == 900  # this year's level doubles the volume
    assert remaining_volume(900, 9) == 300  # no last year: by the calendar, 900 × 3/9
    assert remaining_volume(900, 12, ly) == 0 and remaining_volume(0, 9, ly) == 0


def test_outlook_table_by_office():
    rows = pd.DataFrame(
        {"kpi": ["on_time_pct"] * 2, "group": ["", "Phòng A"], "k": [1960, 470], "n": [2000, 500],
         "target_pct": [98.0, 98.0], "comparison": [">=", ">="]}
    )  # fmt: skip
    t = outlook_table(rows, 9).set_index("group")
    # Phòng A: 470/500 = 94 %; 167 left (500 × 3/9 = 166,7 -> 167); needs 0,98 × 667 = 653,66 -> 654,
    # i.e. 184 of 167: impossible
    assert t.loc["Phòng A", "n_remaining"] == 167 and not t.loc["Phòng A", "is_still_achievable"]
    # the unit: 1960/2000 = 98 %; 667 left; needs ceil(0,98 × 2667 − 1960) = ceil(653,66) = 654 of 667
    assert t.loc["", "required_pct_remaining"] == pytest.approx(100 * 654 / 667)


def test_outlook_table_uses_each_groups_own_last_year():
    rows = pd.DataFrame(
        {"kpi": ["on_time_pct"] * 3, "group": ["", "Phòng A", "Phòng B"], "k": [1960, 470, 90],
         "n": [2000, 500, 100], "target_pct": [98.0] * 3, "comparison": [">="] * 3}
    )  # fmt: skip
    months = list(range(1, 13))
    monthly = pd.concat(
        [
            # Phòng A last year: 50 a month to September, 100 a month after (twice as busy)
            pd.DataFrame({"kpi": "on_time_pct", "group": "Phòng A", "month": months,
                          "n": [50] * 9 + [100] * 3}),
            # Phòng B last year: 10 a month all year; another KPI of Phòng B must not count
            pd.DataFrame({"kpi": "on_time_pct", "group": "Phòng B", "month": months, "n": [10] * 12}),
            pd.DataFrame({"kpi": "feedback_pct", "group": "Phòng B", "month": months, "n": [999] * 12}),
        ],
        ignore_index=True,
    )  # fmt: skip
    t = outlook_table(rows, 9, monthly).set_index("group")
    # Phòng A: 500 × 300/450 = 333,3 -> 333; Phòng B: 100 × 30/90 = 33,3 -> 33;
    # the unit has no last year of its own: 2000 × 3/9 = 666,7 -> 667
    assert t["n_remaining"].to_dict() == {"": 667, "Phòng A": 333, "Phòng B": 33}


def test_probabilities_are_calibrated_on_simulated_years():
    """2 000 simulated years: a true on-time rate drawn in [96 %, 99,5 %], ~100 dossiers a month;
    after September, the predicted probability of ending the year at >= 98 % against what the
    year then did. Brier score and calibration bins within a stated tolerance."""
    rng = np.random.default_rng(31122026)
    preds, outcomes = [], []
    for _ in range(2000):
        p = rng.uniform(0.96, 0.995)
        vol = rng.poisson(100, size=12)
        ok = rng.binomial(vol, p)
        k9, n9 = ok[:9].sum(), vol[:9].sum()
        o = kpi_outlook(k9, n9, remaining_volume(n9, 9), 98.0)
        preds.append(o["probability_met"])
        outcomes.append(ok.sum() / vol.sum() >= 0.98)
    preds, outcomes = np.array(preds), np.array(outcomes, dtype=float)
    brier = float(np.mean((preds - outcomes) ** 2))
    assert brier < 0.12  # uninformative (always 0,5) would score 0,25
    bins = np.clip((preds * 10).astype(int), 0, 9)
    for b in range(10):
        sel = bins == b
        if sel.sum() >= 60:  # bins with enough years to judge
            assert abs(preds[sel].mean() - outcomes[sel].mean()) <= 0.08, (
                b,
                preds[sel].mean(),
                outcomes[sel].mean(),
            )
    assert math.isclose(preds.mean(), outcomes.mean(), abs_tol=0.03)


@pytest.mark.parametrize(
    ("k", "n", "big_n", "target"),
    [(9, 10, 2, 90.0), (950, 1000, 5000, 96.0), (30, 40, 7, 50.0), (29_000, 30_000, 10_000, 97.0)],
)
def test_outlook_matches_scipy_distribution(k, n, big_n, target):
    """The one-pass pmf/cdf gives scipy's own answers (the straightforward implementation):
    survival probability and the 2.5 % / 97.5 % quantiles of the beta-binomial."""
    from scipy.stats import betabinom

    o = kpi_outlook(k, n, big_n, target)
    dist = betabinom(big_n, k + 0.5, n - k + 0.5)
    import math

    need = max(0, math.ceil(target / 100 * (n + big_n) - k - 1e-9))
    expected = 1.0 if need <= 0 else float(dist.sf(need - 1))
    assert o["probability_met"] == pytest.approx(expected, rel=1e-9, abs=1e-9)  # scipy: 1 − cdf
    lo, hi = dist.ppf(0.025), dist.ppf(0.975)
    assert o["interval_pct"] == pytest.approx([100 * (k + lo) / (n + big_n), 100 * (k + hi) / (n + big_n)])


@pytest.mark.parametrize(
    ("k", "n", "big_n", "target", "comparison"),
    [
        (6_790_000, 7_000_000, 3_000_000, 97.0, ">="),  # a province's year: N in millions
        (6_790_000, 7_000_000, 3_000_000, 97.02, ">="),  # the target near the expected rate
        (0, 200, 500_000, 0.5, ">="),  # skewed: nothing on time yet (mass against 0)
        (150_000, 150_000, 200_000, 99.99, ">="),  # skewed the other way
        (21_000, 7_000_000, 3_000_000, 0.31, "<="),  # a "at most" target
    ],
)
def test_large_volume_outlook_matches_scipy_on_the_whole_support(k, n, big_n, target, comparison):
    """Beyond WHOLE_SUPPORT the pmf is taken on a window around the mean: the same pmf values,
    at most TAIL of the mass left out on each side, so the probability equals the whole
    support's sum (the implementation before) to 1e-11 and the quantiles are scipy's ppf.
    (scipy's own sf/cdf at such N differ from the pmf sums by up to ~1e-8: its pmf sums to
    1 − 7e-9 at 3 million; checked to 1e-7.)"""
    from scipy.stats import betabinom

    from parlib.analysis.outlook import TAIL, WHOLE_SUPPORT, _predictive

    a, b = k + 0.5, n - k + 0.5
    dist = betabinom(big_n, a, b)
    first, pmf = _predictive(big_n, a, b)
    assert big_n > WHOLE_SUPPORT and len(pmf) < big_n / 5  # the window is used
    whole = dist.pmf(np.arange(big_n + 1))
    np.testing.assert_array_equal(pmf, whole[first : first + len(pmf)])  # the same values
    assert whole[:first].sum() <= TAIL and whole[first + len(pmf) :].sum() <= TAIL  # left out
    o = kpi_outlook(k, n, big_n, target, comparison)
    goal = target / 100 * (n + big_n) - k
    if comparison == ">=":
        need = max(0, math.ceil(goal - 1e-9))
        by_sum, by_scipy = float(whole[need:].sum()), float(dist.sf(need - 1))
    else:
        allow = math.floor(goal + 1e-9)
        by_sum, by_scipy = float(whole[: allow + 1].sum()), float(dist.cdf(allow))
    assert 1e-12 < by_sum < 1 - 1e-12  # not a trivial case
    assert o["probability_met"] == pytest.approx(by_sum, rel=1e-11, abs=1e-11)
    assert o["probability_met"] == pytest.approx(by_scipy, abs=1e-7)
    lo, hi = dist.ppf(0.025), dist.ppf(0.975)
    assert o["interval_pct"] == pytest.approx([100 * (k + lo) / (n + big_n), 100 * (k + hi) / (n + big_n)])


def test_pmf_is_scipys_bit_for_bit():
    """outlook._pmf is scipy's betabinom pmf by its own formula: the same floats, on supports
    small and large, near the ends and around the mean."""
    from scipy.stats import betabinom

    from parlib.analysis.outlook import _pmf

    rng = np.random.default_rng(3122026)
    for _ in range(200):
        n = int(rng.integers(1, 5_000_000))
        a, b = float(rng.integers(0, 10**6)) + 0.5, float(rng.integers(0, 10**5)) + 0.5
        start = int(rng.integers(0, n + 1))
        x = np.arange(start, min(n, start + 3000) + 1)
        np.testing.assert_array_equal(_pmf(x, n, a, b), betabinom(n, a, b).pmf(x))
    x = np.arange(0, 11)
    np.testing.assert_array_equal(_pmf(x, 10, 0.5, 3.5), betabinom(10, 0.5, 3.5).pmf(x))


@pytest.mark.parametrize("big_n", [100, 3000])
def test_impossible_counts_are_undefined_on_every_support(big_n, monkeypatch):
    """More on time than handled (k > n) has no beta posterior: the window path (from 2,000
    remaining) answers as the whole support does (scipy's undefined pmf), instead of failing
    on the square root of a negative variance (found by review)."""
    from scipy.stats import betabinom

    from parlib.analysis import outlook

    assert np.isnan(betabinom(big_n, 11.5, -0.5).pmf(np.arange(big_n + 1))).all()  # scipy's answer
    got = kpi_outlook(11, 10, big_n, 90.0)
    monkeypatch.setattr(outlook, "WHOLE_SUPPORT", 10**9)
    assert got == kpi_outlook(11, 10, big_n, 90.0)


def test_dossiers_without_an_office_stay_in_the_units_row_only():
    # kpi_table writes a missing office as the group ""; the unit's own rows use "" too
    status = pd.DataFrame(
        [
            dict(
                period_kind="ytd",
                dimension="all",
                kpi="on_time_pct",
                k=90,
                n=100,
                target_pct=95.0,
                comparison=">=",
            )
        ]
    )
    kpis = pd.DataFrame(
        [
            dict(period_kind="ytd", period="2026-YTD", dimension="office_name", group="Phòng A", kpi="on_time_pct", k=80, n=85),
            dict(period_kind="ytd", period="2026-YTD", dimension="office_name", group="", kpi="on_time_pct", k=10, n=15),
            dict(period_kind="month", period="2025-01", dimension="all", group="Tất cả", kpi="on_time_pct", k=9, n=10),
            dict(period_kind="month", period="2025-01", dimension="office_name", group="Phòng A", kpi="on_time_pct", k=7, n=8),
            dict(period_kind="month", period="2025-01", dimension="office_name", group="", kpi="on_time_pct", k=2, n=2),
        ]
    )  # fmt: skip
    rows, monthly = outlook_inputs(status, kpis, 2026)
    assert rows[["group", "k", "n"]].values.tolist() == [["", 90, 100], ["Phòng A", 80, 85]]
    # last January: the unit's 10 dossiers once, Phòng A's 8; the 2 without an office not added again
    assert sorted(monthly[["group", "n"]].values.tolist()) == [["", 10], ["Phòng A", 8]]
    table = outlook_table(rows, 9, monthly)
    assert table.loc[table["group"] == "", "kpi"].tolist() == ["on_time_pct"]  # one unit row
