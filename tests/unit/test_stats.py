import numpy as np
import pandas as pd

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
