"""Vietnamese number formatting, worked by hand."""

import math

import pandas as pd

from parlib.core.vnformat import fmt_date, fmt_int, fmt_num, fmt_pct, fmt_points, fmt_pp, quarter_label


def test_decimal_comma_and_thousands_dot():
    assert fmt_num(85.25) == "85,25"
    assert fmt_num(1234567.891) == "1.234.567,89"
    assert fmt_int(15234) == "15.234"
    assert fmt_num(0.5, 1) == "0,5"


def test_rounding_is_half_up_on_the_written_decimal():
    # 0.125 is stored as 0.125 exactly; 2.675 is stored as 2.67499999…, but an analyst
    # rounding the written value expects 2,68
    assert fmt_num(0.125) == "0,13"
    assert fmt_num(2.675) == "2,68"
    assert fmt_num(-0.001) == "0,00"  # never '-0,00'


def test_units_and_signs():
    assert fmt_pct(98.3) == "98,3 %"
    assert fmt_pct(100, 0) == "100 %"
    assert fmt_points(85.25) == "85,25 điểm"
    assert fmt_num(-3.456, 2, sign=True) == "-3,46"
    assert fmt_num(0.75, 2, sign=True) == "+0,75"
    assert fmt_pp(-2.5) == "-2,5 điểm %"


def test_missing_is_a_dash_never_zero():
    for x in (None, math.nan, pd.NA, pd.NaT):
        assert fmt_num(x) == "–" and fmt_pct(x) == "–" and fmt_points(x) == "–"
    assert fmt_date(None) == "–"
    assert fmt_date(pd.Timestamp("2026-02-16")) == "16/02/2026"


def test_quarter_label():
    assert quarter_label(2026, 3) == "Quý III/2026"
    assert quarter_label(2025, 4) == "Quý IV/2025"


def test_fmt_probability():
    from parlib.core.vnformat import fmt_probability

    assert [fmt_probability(p) for p in (0.0, 1e-9, 0.004, 0.37, 0.996, 1.0, None)] == [
        "0 %", "dưới 1 %", "dưới 1 %", "37 %", "trên 99 %", "100 %", "chưa tính được",
    ]  # fmt: skip


def test_month_label_is_vietnamese_not_iso():
    from parlib.core.vnformat import month_label

    assert month_label("2026-07") == "tháng 7/2026"
    assert month_label(pd.Timestamp("2025-12-15")) == "tháng 12/2025"
    assert month_label(None) == "–" and month_label("") == "–"


def test_fmt_pcts_gives_fmt_pcts_text_for_every_value():
    """Every rate k/n of up to 300 dossiers, ties of the decimal text (0,15; 2,675; 12,25 …),
    negatives, values past the fast path's bound and random ones: the same texts as fmt_pct."""
    import numpy as np

    from parlib.core.vnformat import fmt_pct, fmt_pcts

    values = [100 * k / n for n in range(1, 301) for k in range(n + 1)]
    values += [k / 100 for k in range(-2000, 2001)] + [k / 1000 for k in range(-1500, 1500)]
    values += [0.15, 0.25, 2.675, 12.25, 99.95, -0.04, -0.05, -0.15, 1e6, 1e6 + 0.05, 123456.75, 1e-9]
    values += list(np.random.default_rng(7).uniform(-150, 150, 5000))
    for decimals in (0, 1, 2):
        assert fmt_pcts(values, decimals) == [fmt_pct(v, decimals) for v in values]
    assert fmt_pcts([12.25, 0.15, -0.04]) == ["12,3 %", "0,2 %", "0,0 %"]  # half up on the text
    assert fmt_pcts([]) == []
