"""Vietnamese number and date formatting for report text and tables.

Vietnamese style: decimal comma, dot as thousands separator, a space before %:
``fmt_num(85.25) == '85,25'``, ``fmt_num(15234, 0) == '15.234'``,
``fmt_pct(98.3, 1) == '98,3 %'``, ``fmt_points(0.75) == '0,75 điểm'``.
Missing values (None, NaN) are shown as an en dash, never as 0.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from parlib.core.labels import QUARTER_ROMAN, quarter_label  # noqa: F401  (re-exported: one place)
from parlib.core.numbers import is_missing, round_half_up_decimal

MISSING = "–"


def fmt_num(x, decimals: int = 2, *, sign: bool = False) -> str:
    """Format a number Vietnamese style with exactly ``decimals`` decimals.

    Rounding is half away from zero on the decimal value as written (0.125 -> '0,13'),
    which is what an analyst rounding by hand expects.
    """
    if is_missing(x):
        return MISSING
    d = round_half_up_decimal(x, max(decimals, 0))
    if d == 0:
        d = abs(d)  # never print '-0,00'
    s = f"{abs(d):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if d < 0:
        s = "-" + s
    elif sign and d > 0:
        s = "+" + s
    return s


def fmt_int(x) -> str:
    """Integer with dot thousands separator: ``fmt_int(15234) == '15.234'``."""
    return fmt_num(x, 0)


def fmt_pct(x, decimals: int = 1, *, sign: bool = False) -> str:
    """A percentage already on the 0–100 scale: ``fmt_pct(98.3) == '98,3 %'``."""
    if is_missing(x):
        return MISSING
    return f"{fmt_num(x, decimals, sign=sign)} %"


def fmt_pcts(values, decimals: int = 1) -> list[str]:
    """``[fmt_pct(v, decimals) for v in values]`` for many finite values, each text made once per
    rounded value (a KPI table has hundreds of thousands of rates and a thousand texts). A value
    more than 1e-6 (in units of the last decimal) from a rounding tie, and below 1e6, rounds to
    its nearest — as its decimal text rounds half up: the text differs from the float by far
    less —, then ``fmt_pct`` of that rounded value gives its text; the others are given to
    ``fmt_pct`` as they are."""
    x = np.asarray(values, dtype=float)
    scaled = x * 10.0**decimals
    clear = (np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6) & (np.abs(x) < 1e6)
    out = np.empty(len(x), dtype=object)
    units, at = np.unique(np.rint(scaled[clear]).astype(np.int64), return_inverse=True)
    out[clear] = np.array([fmt_pct(u / 10.0**decimals, decimals) for u in units.tolist()], dtype=object)[at]
    out[~clear] = [fmt_pct(v, decimals) for v in x[~clear].tolist()]
    return out.tolist()


def fmt_points(x, decimals: int = 2, *, sign: bool = False) -> str:
    """Points: ``fmt_points(85.25) == '85,25 điểm'``."""
    if is_missing(x):
        return MISSING
    return f"{fmt_num(x, decimals, sign=sign)} điểm"


def fmt_pp(x, decimals: int = 1) -> str:
    """A change in percentage points, signed: ``fmt_pp(-2.5) == '-2,5 điểm %'``."""
    if is_missing(x):
        return MISSING
    return f"{fmt_num(x, decimals, sign=True)} điểm %"


def fmt_date(d) -> str:
    """``dd/mm/yyyy``; missing -> en dash."""
    if is_missing(d):
        return MISSING
    if isinstance(d, (pd.Timestamp, datetime, date)):
        return d.strftime("%d/%m/%Y")
    return str(d)


ROMAN = {
    "I": 1,
    "II": 2,
    "III": 3,
    "IV": 4,
    "V": 5,
    "VI": 6,
    "VII": 7,
    "VIII": 8,
    "IX": 9,
    "X": 10,
    "XI": 11,
    "XII": 12,
}


def month_label(period) -> str:
    """'tháng 7/2026' for a month given as '2026-07' (or a date); MISSING when blank."""
    if is_missing(period) or str(period).strip() == "":
        return MISSING
    t = pd.Timestamp(str(period)[:7] + "-01") if isinstance(period, str) else pd.Timestamp(period)
    return f"tháng {t.month}/{t.year}"


def fmt_probability(p) -> str:
    """A probability (0–1) in words a reader can hold: '37 %'; 'dưới 1 %' / 'trên 99 %' near
    the ends (never '0 %' or '100 %' for what is unlikely but possible); missing: 'chưa tính được'."""
    if is_missing(p):
        return "chưa tính được"
    if 0 < p < 0.005:
        return "dưới 1 %"
    if 0.995 < p < 1:
        return "trên 99 %"
    return fmt_pct(100 * p, 0)
