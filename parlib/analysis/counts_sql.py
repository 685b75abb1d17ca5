"""Dossier KPI counts by window on DuckDB: the same counts as :class:`parlib.analysis.offices.Counter`
(``dossier_kpis(classify_dossiers(dossiers, calendar, end, period_start=start), by)``) without
classifying any dossier in pandas.

Every window asked for is classified in SQL (:func:`parlib.analysis.kpi_sql.period_sums`, the
classification rule of ``classify_dossiers``: ``scope="rule"``) and the twelve indicators are
summed per office × procedure; a count by office, by procedure or in total is a sum of those
few thousand rows. Windows known in advance are computed in one scan (:meth:`SqlCounter.prefetch`).
The pandas Counter stays the reference (tests/integration/test_counts_sql.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.dossier_sql import KPIS
from parlib.analysis.kpi_sql import period_sums
from parlib.model.dossier_rules import KpiRules

FINE = ["office_name", "procedure_code"]


class SqlCounter:
    """``counts(window, by, kpi)`` with ``by`` ⊆ office_name, procedure_code, as
    :meth:`parlib.analysis.offices.Counter.counts` returns it (same columns, dtypes and order).

    ``dossiers``: the dossier frame, an Arrow table of it (``kpi_sql.dossier_arrow``) or the path
    of a Parquet file of it."""

    def __init__(self, dossiers, calendar, rules: KpiRules | None = None):
        self.dossiers, self.calendar, self.rules = dossiers, calendar, rules or KpiRules()
        self.sums: dict[tuple, pd.DataFrame] = {}
        self.dtypes: dict[str, object] = {}

    def prefetch(self, windows) -> None:
        """Classify every window not yet counted, all in one scan of the dossiers."""
        todo = list(dict.fromkeys(_key(w) for w in windows if _key(w) not in self.sums))
        if not todo:
            return
        periods = [(None, None, None, start, end) for start, end in todo]
        sums, frame = period_sums(self.dossiers, self.calendar, periods, FINE, self.rules, scope="rule")
        self.dtypes = {c: frame[c].dtype for c in FINE}
        sums = sums.astype(self.dtypes)
        for pid, key in enumerate(todo):
            self.sums[key] = sums.loc[sums["pid"] == pid].drop(columns=["pid", "gid"])

    def load(self, counted: dict) -> None:
        """Windows already counted in another scan by the same rule
        (:func:`parlib.analysis.kpi_sql.kpi_table_and_windows`: ``{(start, end): sums}`` by finer
        groups that include office and procedure): summed by office × procedure and kept, so
        that :meth:`prefetch` does not scan the dossiers for them again."""
        for window, sums in counted.items():
            cols = [f"{kn}{i}" for kn in "kn" for i in range(len(KPIS))]
            self.sums[_key(window)] = sums.groupby(FINE, dropna=False, sort=False)[cols].sum().reset_index()

    def counts(self, window: tuple, by: list[str], kpi: str) -> pd.DataFrame:
        key = _key(window)
        self.prefetch([key])
        i = KPIS.index(kpi)
        part = self.sums[key][[*FINE, f"k{i}", f"n{i}"]].rename(columns={f"k{i}": "k", f"n{i}": "n"})
        if not by:
            k, n = int(part["k"].sum()), int(part["n"].sum())
            return pd.DataFrame({"k": [max(k, 0)], "n": [n]}, dtype=np.int64)
        out = part.groupby(by, dropna=False, sort=True)[["k", "n"]].sum().reset_index()
        out["k"] = np.maximum(out["k"].to_numpy(dtype=np.int64), 0)
        out["n"] = out["n"].astype(np.int64)
        return out[[*by, "k", "n"]]


def _key(window: tuple) -> tuple:
    return (pd.Timestamp(window[0]), pd.Timestamp(window[1]))
