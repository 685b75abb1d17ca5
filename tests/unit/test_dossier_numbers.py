"""ingest.dossier_merge.repeated_numbers: repeats found from neighbours in number order equal
pandas' duplicated(keep=False) (the straightforward definition), missing numbers included."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.ingest.dossier_merge import repeated_numbers

_IDS = st.lists(
    st.one_of(st.none(), st.sampled_from(["000.01", "000.02", "H.1", "h.1", "Hồ sơ 7", ""])), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(_IDS, st.sampled_from(["str", "string", object]))
def test_repeated_numbers_equal_duplicated_keep_false(ids, dtype):
    s = pd.Series(ids, dtype=dtype)
    expected = s.duplicated(keep=False).to_numpy()
    got = repeated_numbers(s, s.argsort(kind="stable").to_numpy())
    assert got.dtype == bool
    np.testing.assert_array_equal(got, expected)


def test_repeated_numbers_by_hand():
    s = pd.Series(["B", "A", None, "B", "C", None, "a"], dtype="str")
    got = repeated_numbers(s, s.argsort(kind="stable").to_numpy())
    # B twice, the two missing numbers together; A, C and a once (case matters)
    assert got.tolist() == [True, False, True, True, False, True, False]
