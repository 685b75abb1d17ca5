"""The vectorised parse paths of issue 19 give what the general readers give.

* ``_dmy_hm`` (Arrow) reads zero-padded ``dd/mm/yyyy HH:MM`` texts; the reference is
  ``pd.to_datetime(format="%d/%m/%Y %H:%M")``, the reader's previous fast path. It must give the
  same instant wherever it gives one, and give one for every well-formed, possible date;
  impossible dates (31/02, 29/02 of a common year, 24:00) must be left to the general readers.
* ``_text`` on an all-text column (Arrow) equals ``_mixed_text``, the per-value path.
"""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.ingest.dossier_parse import _dmy_hm, _mixed_text, _text


def _reference(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.str.strip(), format="%d/%m/%Y %H:%M", errors="coerce").astype("datetime64[us]")


def test_impossible_and_other_styles_are_left_to_the_general_readers():
    texts = pd.Series(
        [
            "31/02/2026 10:00",  # Arrow's parser would roll it over to 03/03/2026
            "29/02/2025 08:00",
            "31/04/2026 08:00",
            "01/02/2026 24:00",
            "01/02/2026 10:60",
            "1/2/2026 10:00",  # not zero-padded: pandas reads it, the caller's next step does
            " 01/02/2026 10:00",
            "01/02/26 10:00",
            "01/02/2026",
            None,
        ],
        dtype=object,
    )
    assert _dmy_hm(texts).isna().all()


def test_possible_padded_dates_are_read():
    texts = pd.Series(["29/02/2024 23:59", "01/01/2026 00:00", "31/12/2025 17:30"], dtype=object)
    expected = pd.Series(pd.to_datetime(["2024-02-29 23:59", "2026-01-01 00:00", "2025-12-31 17:30"]))
    assert (_dmy_hm(texts) == expected.astype("datetime64[us]")).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 33),
            st.integers(0, 13),
            st.integers(1990, 2035),
            st.integers(0, 25),
            st.integers(0, 61),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_same_instant_as_pandas_wherever_one_is_read(parts):
    texts = pd.Series([f"{d:02d}/{m:02d}/{y} {h:02d}:{mi:02d}" for d, m, y, h, mi in parts], dtype=object)
    fast, ref = _dmy_hm(texts), _reference(texts)
    both = fast.notna()
    assert (fast[both] == ref[both]).all()
    # every text pandas reads in this padded style is read here too
    assert not (ref.notna() & fast.isna()).any()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(alphabet=st.sampled_from(list("ab 1-.ĐđÔôế\u00a0\t\u0301")), max_size=8),
            st.sampled_from(["000.00.17.H11-250217-0007", "  Sở   Xây ", "", "   "]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_text_column_same_as_per_value_path(values):
    s = pd.Series(values, index=np.arange(len(values)) + 7, dtype=object)
    fast, ref = _text(s), _mixed_text(s, s.to_numpy(dtype=object))
    assert fast.dtype == ref.dtype
    assert fast.equals(ref)


def test_text_column_with_numbers_takes_the_per_value_path():
    s = pd.Series(["  a  b ", 12.0, None, ""], dtype=object)
    assert _text(s).tolist()[0] == "a b" and pd.isna(_text(s).iloc[3])
