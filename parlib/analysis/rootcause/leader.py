"""The leader list: the few causes a director acts on first, from the ranked cause table."""

from __future__ import annotations

import pandas as pd

LEADER_LINES = 7


def leader_causes(table: pd.DataFrame, n: int = LEADER_LINES) -> pd.DataFrame:
    """The first ``n`` causes of a ranked table, one per sub-criterion and measure — at its
    best rank — plus, for a sub-criterion, a further line for another office or channel whose
    deterioration is significant (two offices failing the same sub-criterion are two actions).
    Rows of a quarter before the latest one are past problems: not in the list (they stay in
    the cause table with their quarter)."""
    if table.empty:
        return table
    period = table["period"].fillna("").astype(str)
    quarters = period[period.str.fullmatch(r"\d{4}-Q[1-4]")]
    if not quarters.empty:  # an earlier quarter's problem is past: no action line for it
        latest = quarters.max()
        table = table.loc[~period.isin(set(quarters) - {latest})]
        # the same cause found in the latest quarter and over the year to date: the quarter says
        # when it happened, so its row stands for both
        key = (
            table["code"].astype(str)
            + "|"
            + table["measure"].fillna("").astype(str)
            + "|"
            + table["segment"].fillna("").astype(str)
        )
        now = table["period"].astype(str).eq(latest) & table["is_significant"].fillna(False).astype(bool)
        table = table.loc[~(key.isin(set(key[now])) & ~table["period"].astype(str).eq(latest))]
    measure = table["code"].astype(str) + "|" + table["measure"].fillna("").astype(str)
    seg = measure + "|" + table["segment"].fillna("").astype(str)
    first = ~measure.duplicated()
    extra = ~seg.duplicated() & table["is_significant"].fillna(False).astype(bool)
    return table.loc[first | extra].head(n)
