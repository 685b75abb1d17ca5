"""Respondent factor means on integer codes (issue 19) equal pandas' grouping on the text keys."""

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
