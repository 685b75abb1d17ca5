"""Shared numeric rules: missing and blank values, rounding half up, small-sample size.

* :func:`is_missing` — None, NA, NaT and NaN (shown as an en dash, never as 0).
* :func:`is_blank` — missing, or text with nothing in it (also the literal ``nan``/``None``
  that a CSV round trip leaves behind).
* :func:`round_half_up` — the rounding of printed scoresheets (0,005 goes up), on the decimal
  value of the float as it prints (so 2.675 becomes 2.68, not 2.67).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

SMALL_SAMPLE_N = 30


def is_missing(x) -> bool:
    """True for None, NA, NaT and NaN (the values shown as an en dash)."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(math.isnan(x))
    except (TypeError, ValueError):
        return False


def is_blank(x) -> bool:
    """Missing, or a text that is empty, whitespace, ``nan`` or ``None``."""
    return is_missing(x) or (isinstance(x, str) and x.strip() in ("", "nan", "None"))


def round_half_up_decimal(x, decimals: int = 2) -> Decimal:
    """``x`` rounded half up to ``decimals`` places, as a Decimal (exact for display)."""
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def round_half_up(x, decimals: int = 2) -> float:
    """``x`` rounded half up to ``decimals`` places (``-0.0`` becomes ``0.0``)."""
    return float(round_half_up_decimal(x, decimals)) + 0.0
