"""Respondent × factor groups on integer codes (issue 19) equal pandas' grouping on the text keys,
also when a respondent key is not unique to one quarter or channel."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.analysis.satisfaction import _factor_means

KEYS = ["respondent_key", "year", "quarter", "channel", "field_name"]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.integers(1, 200), st.integers(0, 2**31 - 1))
def test_factor_means_same_as_groupby(n_respondents, n_answers, seed):
    rng = np.random.default_rng(seed)
    resp = pd.DataFrame(
        {
            "respondent_key": [f"khao_sat.xlsx:{i + 3}" for i in range(n_respondents)],
            "year": 2026,
            "quarter": rng.integers(1, 5, n_respondents),
            "channel": rng.choice(["Trực tiếp", "Trực tuyến", None], n_respondents),
            "field_name": rng.choice(["Xây dựng", "Nhà ở", None], n_respondents),
        }
    )
    a = resp.iloc[rng.integers(0, n_respondents, n_answers)].reset_index(drop=True)
    a = a.assign(
        factor_code=rng.choice(["F1", "F2", "F3", None], n_answers),
        answer=rng.integers(1, 6, n_answers) * 1.0,
    )
    # a key reused across quarters (two files of the same name, hand-built data): the other keys
    # are not the respondent's alone, and the grouping must still follow every key
    a["quarter"] = np.where(rng.random(n_answers) < 0.2, rng.integers(1, 5, n_answers), a["quarter"])
    for c in ("respondent_key", "channel", "field_name", "factor_code"):
        a[c] = a[c].astype("str")
    expected = (
        a.groupby([*KEYS, "factor_code"], dropna=False, sort=False)["answer"]
        .mean()
        .reset_index()
        .rename(columns={"factor_code": "code", "answer": "score"})
    )
    got = _factor_means(a, KEYS)
    assert list(got["level"].unique()) == ["factor"]
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(1, 200), st.integers(0, 2**31 - 1))
def test_respondent_moments_same_as_groupby(n_respondents, n_answers, seed):
    """k_r and n_r per respondent × factor (the cluster interval's moments) as pandas groups them."""
    from parlib.analysis.satisfaction import _respondent_factor_moments
    from parlib.model.survey import SurveyConfig

    rng = np.random.default_rng(seed)
    resp = pd.DataFrame(
        {
            "respondent_key": [f"k.xlsx:{i + 3}" for i in range(n_respondents)],
            "year": 2026,
            "quarter": rng.integers(1, 5, n_respondents),
            "channel": rng.choice(["1", "2", None], n_respondents),
            "field_name": rng.choice(["A", None], n_respondents),
        }
    )
    a = resp.iloc[rng.integers(0, n_respondents, n_answers)].reset_index(drop=True)
    a = a.assign(
        factor_code=rng.choice(["F1", "F2", None], n_answers), answer=rng.integers(1, 6, n_answers) * 1.0
    )
    a["channel"] = np.where(rng.random(n_answers) < 0.2, "3", a["channel"].astype(object))
    for c in ("respondent_key", "channel", "field_name", "factor_code"):
        a[c] = a[c].astype("str")
    segments = ("channel", "field_name")
    keys = ["respondent_key", "year", "quarter", *segments, "factor_code"]
    r = (
        a.assign(_sat=(a["answer"] >= 4).astype("int64"))
        .groupby(keys, dropna=False, sort=False)["_sat"]
        .agg(["sum", "count"])
        .reset_index()
    )
    got = _respondent_factor_moments(a, SurveyConfig(), segments)
    kr, nr = r["sum"].to_numpy(dtype=float), r["count"].to_numpy(dtype=float)
    assert list(got["code"].fillna("∅")) == list(r["factor_code"].fillna("∅"))
    assert np.array_equal(got["sum_k2"].to_numpy(), kr**2)
    assert np.array_equal(got["sum_n2"].to_numpy(), nr**2)
    assert np.array_equal(got["sum_kn"].to_numpy(), kr * nr)
    assert list(got["quarter"]) == list(r["quarter"])
