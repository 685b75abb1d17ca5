"""The annual cause list adds up to the total change (hand-worked figures)."""

from __future__ import annotations

import pandas as pd
import pytest

from parlib.analysis.rootcause.reconcile import cause_drops, persistent_shortfalls, reconciliation


def _dec() -> pd.DataFrame:
    cols = ["code", "name", "owner_office", "relation", "target_max", "target_points", "base_restated_points"]
    rows = [
        # A fell by 0,504 (printed 0,50) and was short both years: a cause, not "persistent"
        ("A", "a", "P1", "same", 1.0, 0.2, 0.704, -0.504),
        # B fell by 0,004: rounds to 0,00 -> not a cause row (it is in the rounding line)
        ("B", "b", "P1", "same", 1.0, 0.996, 1.0, -0.004),
        ("C", "c", "P2", "same", 1.0, 1.0, 0.7, 0.30),  # rose
        ("D", "d", "P2", "new", 0.25, 0.25, float("nan"), 0.0),  # new: framework effect
        ("E", "e", "P3", "same", 1.0, 0.5, 0.5, 0.0),  # short by 0,50 in both years
    ]
    df = pd.DataFrame([r[:-1] for r in rows], columns=cols)
    df["performance_points"] = [r[-1] for r in rows]
    return df


def test_parts_add_up_to_the_printed_total_change():
    d = _dec()
    # true change: -0,504 - 0,004 + 0,30 + 0,25 (new) - 0,10 (penalty) = -0,058
    summary = {
        "framework_effect": 0.25,
        "bonus_penalty_change": -0.10,
        "base_total": 80.0,
        "target_total": 79.942,
    }
    r = reconciliation(d, summary)
    assert list(cause_drops(d)["code"]) == ["A"]
    assert r["total_change"] == pytest.approx(-0.06)  # 79,94 - 80,00 as printed
    assert (r["decreases"], r["n_decreases"], r["increases"], r["n_increases"]) == (-0.50, 1, 0.30, 1)
    assert (r["framework_effect"], r["bonus_penalty_change"]) == (0.25, -0.10)
    # printed parts: -0,50 + 0,30 + 0,25 - 0,10 = -0,05; the printed total is -0,06 -> rounding -0,01
    assert r["rounding"] == pytest.approx(-0.01)
    parts = (
        r["decreases"] + r["increases"] + r["framework_effect"] + r["bonus_penalty_change"] + r["rounding"]
    )
    assert round(parts, 2) == round(r["total_change"], 2)


def test_persistent_shortfalls_are_short_both_years_without_a_fall():
    p = persistent_shortfalls(_dec())
    assert list(p["code"]) == ["E"]
    assert (p["lost_base"].iloc[0], p["lost_target"].iloc[0]) == (0.5, 0.5)
