"""The leader list: the few causes a director acts on first, from the ranked cause table."""

from __future__ import annotations

import pandas as pd

LEADER_LINES = 7


def leader_causes(table: pd.DataFrame, n: int = LEADER_LINES) -> pd.DataFrame:
    """The first ``n`` causes of a ranked table, one per sub-criterion and measure — at its
    best rank — plus, for a sub-criterion, a further line for another office or channel whose
    deterioration is significant (two offices failing the same sub-criterion are two actions)."""
    if table.empty:
        return table
    measure = table["code"].astype(str) + "|" + table["measure"].fillna("").astype(str)
    seg = measure + "|" + table["segment"].fillna("").astype(str)
    first = ~measure.duplicated()
    extra = ~seg.duplicated() & table["is_significant"].fillna(False).astype(bool)
    return table.loc[first | extra].head(n)
