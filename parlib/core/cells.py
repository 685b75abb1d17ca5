"""Parsing cell values: numbers (decimal comma or point, thousands separators) and date-times
(Excel serials and Vietnamese text styles), vectorised.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from parlib.core.text import normalise_text

# ---------------------------------------------------------------- values

_NUM_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_PLAIN_DIGITS = r"^[+-]?[0-9]{1,15}$"
MAX_ABS_NUMBER = 1e15  # Excel keeps 15 significant digits; anything larger is a typo or garbage


def arrow_strings(values: pd.Series):
    """The Arrow string array behind an Arrow-backed text Series (the CSV reader's cells with
    ``text_arrays=True``, or a ``str`` column) as one array, blank cells null; None for any
    other Series."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        strings = pa.array(values.array)
        if isinstance(strings, pa.ChunkedArray):  # one chunk: its array, no copy
            return strings.chunk(0) if strings.num_chunks == 1 else strings.combine_chunks()
        return strings
    return None


def as_objects(values: pd.Series) -> pd.Series:
    """An Arrow-backed text Series as the cells of an object grid hold them (Python str, None
    for a blank); any other Series unchanged. For the rare values the vectorised paths leave
    to the per-cell readers, which expect None, not ``pd.NA``."""
    if arrow_strings(values) is None:
        return values
    return values.astype(object).where(values.notna(), None)


def _ints_as_float(a: np.ndarray) -> np.ndarray:
    """Python ints to float; an int too large for float becomes inf (then judged bad)."""
    try:
        return a.astype(np.float64)
    except OverflowError:
        return np.array([float(v) if abs(v) < MAX_ABS_NUMBER else np.inf for v in a], dtype=np.float64)


def _plain_digits(texts: np.ndarray) -> np.ndarray:
    """Bool per text: the whole text is ``[+-]?[0-9]{1,15}`` (Arrow's regex over the array:
    Python's re per cell cost 0,3 s a column of a million)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.match_substring_regex(pa.array(texts, type=pa.string()), _PLAIN_DIGITS)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _fast_numbers(raw: np.ndarray, out: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Python floats and ints, and texts of plain ASCII digits (what a clean export holds),
    written to ``out``/``bad``; returns the mask of the cells done (the rest, and any doubt,
    go through parse_numbers' loop)."""
    types = np.array([type(v) for v in raw], dtype=object)
    done = np.zeros(len(raw), dtype=bool)
    for t in (float, int):
        m = types == t
        if m.any():
            x = raw[m].astype(np.float64) if t is float else _ints_as_float(raw[m])
            ok = np.isfinite(x) & (np.abs(x) < MAX_ABS_NUMBER)
            out[np.flatnonzero(m)[ok]] = x[ok]
            bad[np.flatnonzero(m)[~ok & ~np.isnan(x)]] = True
            done |= m
    m = types == str  # noqa: E721 (element-wise over an array of types)
    if m.any():
        idx = np.flatnonzero(m)
        digits = _plain_digits(raw[idx])
        out[idx[digits]] = raw[idx[digits]].astype(np.float64)
        done[idx[digits]] = True
    return done


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(float Series, bad mask). Blank -> NaN (not bad); '1,5' and '1.5' -> 1.5;
    '1.234,5' (thousands dot + decimal comma) -> 1234.5; other text -> NaN and bad=True.
    Infinite numbers and magnitudes >= MAX_ABS_NUMBER (1e15) are bad too: they cannot be a
    score, a count or a fee, and would overflow integer columns and number formatting."""
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    strings = arrow_strings(values)
    if strings is not None:  # Arrow text (a CSV's cells): digits and blanks found by Arrow
        import pyarrow.compute as pc

        digits = pc.fill_null(pc.match_substring_regex(strings, _PLAIN_DIGITS), False)
        idx = np.flatnonzero(digits.to_numpy(zero_copy_only=False))
        out[idx] = pc.filter(strings, digits).to_numpy(zero_copy_only=False).astype(np.float64)
        done = pc.or_kleene(digits, pc.is_null(strings)).to_numpy(zero_copy_only=False)
        rest = np.flatnonzero(~done)
        raw = np.empty(len(values), dtype=object)
        raw[rest] = strings.take(rest).to_pylist()
    else:
        raw = values.to_numpy(dtype=object)
        done = _fast_numbers(raw, out, bad)
    for i in np.flatnonzero(~done):
        v = raw[i]
        if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)):
            continue
        if isinstance(v, bool):
            bad[i] = True
            continue
        if isinstance(v, (int, float, np.integer, np.floating)):
            x = float(v) if abs(v) < MAX_ABS_NUMBER else np.inf
        else:
            s = (normalise_text(v) or "").replace(" ", "")
            if s == "":
                continue
            if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", s):
                s = s.replace(".", "")
            if not _NUM_RE.match(s):
                bad[i] = True
                continue
            x = float(s.replace(",", "."))
        if np.isfinite(x) and abs(x) < MAX_ABS_NUMBER:
            out[i] = x
        else:
            bad[i] = True
    return pd.Series(out, index=values.index, dtype="float64"), pd.Series(bad, index=values.index)


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_DT_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
)


def parse_datetimes(
    values: pd.Series, *, min_year: int = 2000, max_year: int = 2100
) -> tuple[pd.Series, pd.Series]:
    """(datetime64 Series, bad mask). Accepts datetime cells, Excel serial numbers and text
    in day-first formats (dd/mm/yyyy[ HH:MM[:SS]]) or ISO. Blank -> NaT (not bad).
    Dates outside [min_year, max_year] are bad (a typo like 20266 or 1900)."""
    s = values.astype(object)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    bad = pd.Series(False, index=s.index)
    is_blank = s.map(
        lambda v: (
            v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())
        )
    )
    is_dt = s.map(
        lambda v: (
            isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year") and not isinstance(v, str)
        )
    )
    is_num = (
        s.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
        & ~is_blank
    )
    if is_dt.any():
        out.loc[is_dt] = pd.to_datetime(s[is_dt].map(pd.Timestamp), errors="coerce")
    if is_num.any():
        nums = pd.to_numeric(s[is_num], errors="coerce")
        # serials of the accepted years only (a larger one is a typo, and beyond ~106 000 days
        # it would overflow the nanosecond timedelta)
        lo = (pd.Timestamp(min_year, 1, 1) - _EXCEL_EPOCH).days
        hi = (pd.Timestamp(max_year + 1, 1, 1) - _EXCEL_EPOCH).days
        ok = nums.between(max(1, lo), hi, inclusive="left")
        out.loc[nums[ok].index] = (_EXCEL_EPOCH + pd.to_timedelta(nums[ok], unit="D")).dt.round("s")
        bad.loc[nums[~ok].index] = True
    is_txt = ~(is_blank | is_dt | is_num)
    if is_txt.any():
        txt = s[is_txt].map(lambda v: normalise_text(v))
        parsed = pd.Series(pd.NaT, index=txt.index, dtype="datetime64[us]")
        remaining = txt.copy()
        for fmt in _DT_FORMATS:
            if remaining.empty:
                break
            got = pd.to_datetime(remaining, format=fmt, errors="coerce")
            hit = got.notna()
            parsed.loc[got[hit].index] = got[hit]
            remaining = remaining[~hit]
        out.loc[parsed.index] = parsed
        bad.loc[remaining.index] = True
    years = out.dt.year
    out_of_range = out.notna() & ((years < min_year) | (years > max_year))
    out.loc[out_of_range] = pd.NaT
    bad = bad | out_of_range
    return out, bad
