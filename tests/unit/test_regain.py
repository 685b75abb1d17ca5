"""Points an office's action wins back, by the sub-criterion's scoring rule (hand-worked)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from parlib.analysis.rootcause.regain import regained_points
from parlib.core.periods import Period

NODE = pd.DataFrame(
    [
        {
            "code": "3.3.3",
            "kpi": "apology_pct",
            "rule": "bands",
            "rule_params": "100:1|95:0.5|0:0",
            "max_points": 1.0,
        }
    ]
)


def kpis(unit, offices):
    rows = [
        {
            "period": "2026-YTD",
            "kpi": "apology_pct",
            "dimension": "all",
            "group": "Tất cả",
            "k": unit[0],
            "n": unit[1],
        }
    ]
    rows += [
        {"period": "2026-YTD", "kpi": "apology_pct", "dimension": "office_name", "group": o, "k": k, "n": n}
        for o, (k, n) in offices.items()
    ]
    return pd.DataFrame(rows)


def q_of(unit, offices):
    return SimpleNamespace(
        framework=SimpleNamespace(nodes=NODE), kpis=kpis(unit, offices), period=Period(2026, 3)
    )


ROW = {"code": "3.3.3", "measure": "apology_pct", "segment_dimension": "office_name"}


def test_steps_of_the_rule_not_proportional_shares():
    """Unit 448/485 = 92,4 % → 0 points. Office A 37/61 (24 letters missing): 472/485 = 97,3 % →
    0,5, so 0,50 won back. Office B 30/36 (6 missing): 454/485 = 93,6 % → still 0: nothing alone.
    Office C alone with 31/60: 29 missing → 477/485 = 98,4 % → 0,5."""
    q = q_of((448, 485), {"A": (37, 61), "B": (30, 36), "C": (31, 60)})
    assert regained_points({**ROW, "segment": "A"}, q) == 0.5
    assert regained_points({**ROW, "segment": "B"}, q) == 0.0
    assert regained_points({**ROW, "segment": "C"}, q) == 0.5
    # the unit at 479/485 = 98,8 % (0,5); the office's 6 missing make it 485/485 = 100 % → 1: 0,50
    assert regained_points({**ROW, "segment": "B"}, q_of((479, 485), {"B": (30, 36)})) == 0.5


def test_not_computable_says_none():
    q = q_of((448, 485), {"A": (37, 61)})
    assert regained_points({**ROW, "segment": "Z"}, q) is None  # no counts for the office
    assert regained_points({**ROW, "segment": "A", "segment_dimension": "channel"}, q) is None
    assert regained_points({**ROW, "segment": "A", "measure": "feedback_on_time_pct"}, q) is None
    assert regained_points({**ROW, "segment": "A", "code": "9.9"}, q) is None


def test_the_row_counts_its_text_quotes():
    """A quarter's row for office A says 16 letters are missing (44/60): sending them brings the
    unit's year to date 448/485 to 464/485 = 95,7 % → 0,5 (and not the 24 of its year to date)."""
    q = q_of((448, 485), {"A": (37, 61)})
    assert regained_points({**ROW, "segment": "A", "k_after": 44, "n_after": 60}, q) == 0.5
    # only 2 missing in the quarter: 450/485 = 92,8 % → 0: nothing alone
    assert regained_points({**ROW, "segment": "A", "k_after": 58, "n_after": 60}, q) == 0.0
