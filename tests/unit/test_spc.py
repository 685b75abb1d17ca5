"""Hand-worked checks of p-charts, run rules and funnel limits (parlib.spc)."""

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.spc import funnel, funnel_limits, p_chart, run_rules, signal_episodes


def _months(m, start_year=2025):
    return [f"{start_year + i // 12}-{i % 12 + 1:02d}" for i in range(m)]


def test_p_chart_limits_follow_each_months_n():
    df = pd.DataFrame({"period": _months(3), "k": [10, 20, 30], "n": [100, 200, 100]})
    c = p_chart(df)
    # p̄ = (10+20+30)/(100+200+100) = 60/400 = 0.15
    assert c["center_pct"].tolist() == pytest.approx([15.0] * 3)
    # n=100: σ = sqrt(.15*.85/100) = sqrt(0.001275) = 0.0357071; 3σ = 0.1071214
    #   UCL = 0.2571214, LCL = 0.0428786
    # n=200: σ = sqrt(.1275/200) = sqrt(0.0006375) = 0.0252488; 3σ = 0.0757463
    #   UCL = 0.2257463, LCL = 0.0742537
    assert c["ucl_pct"].tolist() == pytest.approx([25.71214, 22.57463, 25.71214], abs=1e-4)
    assert c["lcl_pct"].tolist() == pytest.approx([4.28786, 7.42537, 4.28786], abs=1e-4)
    # month 3: p = 0.30, z = (0.30 - 0.15)/0.0357071 = 4.2008 -> beyond 3σ, dated itself
    assert c.loc[2, "z"] == pytest.approx(4.2008, abs=1e-3)
    assert c.loc[2, "signal"] and c.loc[2, "rules"] == "beyond_3sigma" and c.loc[2, "run_start"] == "2025-03"
    assert not c.loc[0, "signal"] and not c.loc[1, "signal"]


def test_baseline_sets_centre_line_and_planted_shift_is_dated_by_8_in_a_row():
    # 12 baseline months alternating 88 %, 92 % (p̄ = 0.90, no run, no trend), then a shift
    # to 86 %: z = (0.86-0.90)/sqrt(.9*.1/100) = -0.04/0.03 = -1.33 (inside 2σ), so only
    # the 8-in-a-row rule can see it.
    k = [88, 92] * 6 + [86] * 8
    df = pd.DataFrame({"period": _months(20), "k": k, "n": [100] * 20})
    c = p_chart(df, baseline=_months(12))
    assert c["center_pct"].iloc[0] == pytest.approx(90.0)
    assert c.loc[12:, "z"].tolist() == pytest.approx([-4 / 3] * 8)
    assert not c.loc[:11, "signal"].any()
    assert c.loc[12:, "signal"].all()
    assert set(c.loc[12:, "rules"]) == {"run_8_same_side"}
    assert set(c.loc[12:, "run_start"]) == {"2026-01"}  # the month the shift began
    ep = signal_episodes(c)
    assert ep[["run_start", "first_flagged", "last_flagged", "months"]].values.tolist() == [
        ["2026-01", "2026-01", "2026-08", 8]
    ]


def test_seven_in_a_row_is_not_a_signal():
    k = [88, 92] * 6 + [86] * 7
    c = p_chart(pd.DataFrame({"period": _months(19), "k": k, "n": [100] * 19}), baseline=_months(12))
    assert not c["signal"].any()


def test_default_baseline_is_all_months():
    k = [88, 92] * 6 + [86] * 8
    c = p_chart(pd.DataFrame({"period": _months(20), "k": k, "n": [100] * 20}))
    # p̄ = (12*90 + 8*86)/2000 = (1080 + 688)/2000 = 0.884
    assert c["center_pct"].iloc[0] == pytest.approx(88.4)


def test_no_signal_on_pure_binomial_noise_fixed_seed():
    rng = np.random.default_rng(20260101)
    n = rng.integers(150, 400, size=36)
    k = rng.binomial(n, 0.93)
    c = p_chart(pd.DataFrame({"period": _months(36), "k": k, "n": n}))
    assert not c["signal"].any()


def test_trend_6_and_two_of_three_beyond_2sigma():
    p = np.array([0.50, 0.51, 0.52, 0.53, 0.54, 0.55, 0.50])  # 6 rising points (5 rises)
    out = run_rules(np.zeros(7), p)  # z = 0: no side rules
    assert out["rules"].tolist()[:6] == ["trend_6"] * 6 and out["rules"].iloc[6] == ""
    assert out["run_start_pos"].tolist() == [0, 0, 0, 0, 0, 0, -1]
    p5 = p.copy()
    p5[5] = 0.53  # only 4 rises then a fall: no trend
    assert not run_rules(np.zeros(7), p5)["signal"].any()
    z = np.array([0.5, 2.5, -1.0, 2.2, 0.1, -2.5, 1.0, -2.1])
    out = run_rules(z, np.full(8, 0.5))
    # window (1,2,3): z 2.5 and 2.2 above 2σ -> months 1 and 3 flagged, run starts at 1;
    # -2.5 and -2.1 are 3 apart (positions 5 and 7, window 5..7) -> flagged, starts at 5
    assert out["signal"].tolist() == [False, True, False, True, False, True, False, True]
    assert out["run_start_pos"].tolist() == [-1, 1, -1, 1, -1, 5, -1, 5]


def test_zero_denominator_month_breaks_runs_and_bad_baseline():
    k = [86] * 4 + [0] + [86] * 4
    n = [100] * 4 + [0] + [100] * 4
    df = pd.DataFrame({"period": _months(9), "k": k, "n": n})
    c = p_chart(df, baseline=None)
    assert np.isnan(c.loc[4, "pct"]) and np.isnan(c.loc[4, "ucl_pct"])
    c2 = p_chart(pd.DataFrame({"period": _months(9), "k": [90] * 9, "n": [100] * 9}))
    assert not c2["signal"].any()
    with pytest.raises(ValueError):
        p_chart(df, baseline=["2030-01"])
    with pytest.raises(ValueError):
        p_chart(df, baseline=["2025-05"])  # n = 0 in the baseline


def test_funnel_limits_by_hand_and_flags():
    # p0 = 0.9, n = 100: se = sqrt(.9*.1/100) = 0.03
    # 95 %: 1.959964*0.03 = 0.0587989 -> [84.12011, 95.87989]
    # 99.8 %: 3.090232*0.03 = 0.0927070 -> [80.72930, 99.27070]
    lim = funnel_limits(0.9, [100])
    assert lim.loc[0, ["lo998_pct", "lo95_pct", "hi95_pct", "hi998_pct"]].tolist() == pytest.approx(
        [80.72930, 84.12011, 95.87989, 99.27070], abs=1e-4
    )
    g = pd.DataFrame(
        {
            "group": ["A", "B", "C", "D", "E", "F"],
            "k": [83, 80, 90, 96, 100, 0],
            "n": [100, 100, 100, 100, 100, 0],
        }
    )
    f = funnel(g, 0.9)
    # 83 % is between 80.73 and 84.12; 80 % below 80.73; 96 % above 95.88; 100 % above 99.27
    assert f["flag"].tolist()[:5] == ["below_95", "below_998", "within", "above_95", "above_998"]
    assert pd.isna(f.loc[5, "flag"]) and np.isnan(f.loc[5, "pct"])
    assert f.loc[0, "flag_vi"] == "Thấp hơn giới hạn 95 %"
    # pooled default: (83+80+90+96+100)/500 = 449/500 = 0.898
    assert funnel(g)["overall_pct"].iloc[0] == pytest.approx(89.8)
    with pytest.raises(ValueError):
        funnel(g, 90)  # percent given instead of a 0–1 rate


def test_laney_widens_limits_by_the_moving_range_of_z():
    # p̄ = (90+80+90+80)/400 = 0.85; σ_i = sqrt(.85·.15/100) = 0.0357071; z = ±1.40028
    # moving ranges |Δz| = 2.80056 each → σ_z = 2.80056 / 1.128 = 2.48277
    # Laney limits: 0.85 ± 3·0.0357071·2.48277 → UCL 1.115 clipped to 100 %, LCL 58,40 %
    from parlib.analysis.spc import p_chart

    df = pd.DataFrame({"period": ["a", "b", "c", "d"], "k": [90, 80, 90, 80], "n": [100] * 4})
    plain = p_chart(df)
    lan = p_chart(df, laney=True)
    assert abs(lan["sigma_z"].iloc[0] - 2.48277) < 1e-4
    assert abs(lan["lcl_pct"].iloc[0] - (0.85 - 3 * 0.0357071 * 2.48277) * 100) < 1e-3
    assert plain["sigma_z"].iloc[0] == 1.0
    assert abs(lan["z"].iloc[0] - 1.40028 / 2.48277) < 1e-4


def test_laney_never_narrows_limits():
    # identical months: moving range 0 → σ_z would be 0; it is floored at 1 (plain p-chart)
    from parlib.analysis.spc import p_chart

    df = pd.DataFrame({"period": list("abcd"), "k": [85] * 4, "n": [100] * 4})
    assert p_chart(df, laney=True)["sigma_z"].iloc[0] == 1.0
