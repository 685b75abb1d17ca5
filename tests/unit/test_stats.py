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
