"""core.numbers: the one definition of missing, blank and rounding half up."""

import math

import numpy as np
import pandas as pd
import pytest

from parlib.core.numbers import is_blank, is_missing, round_half_up, round_half_up_decimal


@pytest.mark.parametrize("x", [None, pd.NA, pd.NaT, float("nan"), np.nan, np.float64("nan")])
def test_missing_values(x):
    assert is_missing(x) and is_blank(x)


@pytest.mark.parametrize("x", [0, 0.0, "", " ", "0", "abc", False])
def test_not_missing(x):
    assert not is_missing(x)


@pytest.mark.parametrize(
    "x,blank",
    [
        ("", True),
        ("  ", True),
        ("nan", True),
        ("None", True),
        ("0", False),
        ("x", False),
        (0, False),
        (0.0, False),
    ],
)
def test_blank(x, blank):
    assert is_blank(x) is blank


@pytest.mark.parametrize(
    "x,decimals,expected",
    [
        (2.675, 2, 2.68),  # binary 2.67499999… but printed 2.675: half up on the printed value
        (1.125, 2, 1.13),
        (0.005, 2, 0.01),
        (-0.005, 2, -0.01),  # half away from zero
        (-0.001, 2, 0.0),  # and never -0.0
        (2.5, 0, 3.0),
        (85.2549, 2, 85.25),
    ],
)
def test_round_half_up(x, decimals, expected):
    got = round_half_up(x, decimals)
    assert got == expected and math.copysign(1, got) == math.copysign(1, expected)
    assert float(round_half_up_decimal(x, decimals)) == expected
