import numpy as np
import pandas as pd
import pytest

from parlib.analysis.stats import add_rate, adjust_pvalues, two_proportion_test, wilson_ci


def test_wilson_by_hand():
    # k=8, n=10, z=1.959964: centre=(0.8+z²/20)/(1+z²/10)=0.9920729/1.3841459=0.716743,
    # half=z*sqrt(0.8*0.2/10+z²/400)/(1+z²/10)=1.959964*0.15182/1.3841459=0.216969
    low, high = wilson_ci([8], [10])
    assert abs(low[0] - 0.49016) < 1e-4 and abs(high[0] - 0.94329) < 1e-4


def test_zero_denominator_is_not_applicable():
    df = add_rate(pd.DataFrame({"k": [0, 5], "n": [0, 10]}))
    assert np.isnan(df.loc[0, "pct"]) and df.loc[1, "pct"] == 50.0
    assert not df.loc[0, "is_small_sample"] and df.loc[1, "is_small_sample"]


def test_two_proportion_and_holm():
    z, p = two_proportion_test([90], [100], [80], [100])
    # pooled 0.85, se = sqrt(.85*.15*(2/100)) = 0.050498, z = 0.1/0.050498 = 1.9803
    assert abs(z[0] - 1.9803) < 1e-3 and abs(p[0] - 0.04767) < 1e-3
    adj = adjust_pvalues([0.01, 0.04, np.nan])
    assert abs(adj[0] - 0.02) < 1e-12 and abs(adj[1] - 0.04) < 1e-12 and np.isnan(adj[2])


def test_holm_by_hand_and_against_statsmodels():
    """p = 0,01 / 0,04 / 0,03 / 0,005 (m = 4): sorted 0,005·4 = 0,02; 0,01·3 = 0,03; 0,03·2 = 0,06;
    0,04·1 = 0,04 → running max 0,06. In input order: 0,03 / 0,06 / 0,06 / 0,02."""
    import numpy as np
    from statsmodels.stats.multitest import multipletests

    from parlib.analysis.stats import adjust_pvalues, holm

    assert np.allclose(holm(np.array([0.01, 0.04, 0.03, 0.005])), [0.03, 0.06, 0.06, 0.02])
    assert np.allclose(holm(np.array([0.6, 0.9])), [1.0, 1.0])  # capped at 1
    rng = np.random.default_rng(3)
    for m in (1, 2, 7, 40):
        p = rng.random(m) ** 3
        p[rng.random(m) < 0.2] = p[0]  # ties
        assert np.allclose(holm(p), multipletests(p, method="holm")[1])
    got = adjust_pvalues([0.01, np.nan, 0.04])
    assert np.isnan(got[1]) and np.allclose(got[[0, 2]], [0.02, 0.04])


def test_fisher_two_sided_is_scipys_test_bit_for_bit():
    """Every table's p-value equals scipy.stats.fisher_exact's exactly (not approximately): the
    same algorithm, run on all tables at once. Small and large offices, ties at the mode, empty
    rows and columns, and the shapes where the other tail is empty."""
    from scipy.stats import fisher_exact

    from parlib.analysis.stats import fisher_two_sided

    rng = np.random.default_rng(20261204)
    m = 1500
    n1 = rng.integers(0, 400, m)
    n0 = rng.integers(0, 4000, m)
    n1[:400], n0[:400] = rng.integers(0, 12, 400), rng.integers(0, 12, 400)
    p1 = rng.uniform(0, 1, m)
    k1 = rng.binomial(n1, p1)
    k0 = rng.binomial(n0, np.clip(p1 + rng.normal(0, 0.05, m), 0, 1))
    k1[400:450], k0[450:500] = n1[400:450], 0  # a full and an empty cell
    k1[500:520], n1[500:520], k0[500:520], n0[500:520] = 5, 10, 50, 100  # exactly the same rate
    k1[520:530], n1[520:530], k0[520:530], n0[520:530] = 0, 7, 0, 9  # an all-zero column
    got = fisher_two_sided(k1, n1, k0, n0)
    want = np.array(
        [
            np.nan if b <= 0 or d <= 0 else fisher_exact([[a, b - a], [c, d - c]]).pvalue
            for a, b, c, d in zip(k1, n1, k0, n0)
        ]
    )
    np.testing.assert_array_equal(got, want)  # NaN where NaN, every other value identical
    assert np.isnan(got).sum() == ((n1 <= 0) | (n0 <= 0)).sum() > 0
    assert (got[500:530] == 1.0).all()
    assert (got < 0.05).sum() > 20 and (got > 0.5).sum() > 100


def test_fisher_two_sided_by_hand():
    from parlib.analysis.stats import fisher_two_sided

    # [[3, 1], [1, 3]]: hypergeometric N=8, K=4, n=4; P(X=x) = C(4,x)C(4,4-x)/70 = 1,16,36,16,1 /70.
    # Tables as unlikely as x=3 or less: x = 0, 1, 3, 4 -> (1 + 16 + 16 + 1) / 70
    assert fisher_two_sided(3, 4, 1, 4)[0] == pytest.approx(34 / 70, rel=1e-12)
    # [[4, 0], [0, 4]]: only x = 0 and 4 -> 2/70
    assert fisher_two_sided([4], [4], [0], [4])[0] == pytest.approx(2 / 70, rel=1e-12)
    assert np.isnan(fisher_two_sided(1, 0, 1, 4)[0])
