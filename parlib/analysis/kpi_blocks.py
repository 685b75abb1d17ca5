"""The KPI table's blocks from the engine's sums: :func:`blocks` turns the sums per period ×
combination of dimensions (:func:`parlib.analysis.kpi_sql.period_sums`) into the aggregated
blocks :func:`parlib.analysis.kpi_table._long_table` builds the long table from — per period
the total, then each dimension's groups, with the catalogue's groups without dossiers — as the
pandas implementation (:func:`parlib.analysis.kpi_table.kpi_table`) builds them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from parlib.analysis.dossier_sql import KPIS, WEIGHTS


def group_sums(counts: dict, pair_at: np.ndarray, weights: np.ndarray, kid, keys: list[str]) -> pd.DataFrame:
    """The sums per period and combination of the keys, from the evaluations' counts: ``counts``
    (arrays ``pid``, ``gid``, ``cnt``: how many evaluations of period pid, combination gid have
    the (outcome, bits) pair ``pair_at``), ``weights`` (one row per pair: what one evaluation
    adds to each column of :data:`parlib.analysis.dossier_sql.WEIGHTS`) and ``kid`` (the
    combinations, row gid − 1: gid 1, 2 …; None without ``keys``). Each (pid, gid) once, in that
    order: pid, gid, the keys' values, then the WEIGHTS columns (64-bit integers)."""
    pid, gid, cnt = (np.asarray(counts[c], dtype=np.int64) for c in ("pid", "gid", "cnt"))
    span = int(gid.max()) + 1 if len(gid) else 1
    pairs, at = np.unique(pid * span + gid, return_inverse=True)
    # how many evaluations of each (pid, gid) have each (outcome, bits), times the weights
    member = sparse.csr_matrix((cnt, (at, pair_at)), shape=(len(pairs), len(weights)))
    matrix = np.asarray(member @ weights, dtype=np.int64).reshape(len(pairs), len(WEIGHTS))
    head = {"pid": pairs // span, "gid": pairs % span}
    for c in keys:
        head[c] = kid[c].array.take(head["gid"] - 1)
    # the sums as one block (one frame of the matrix), not one column each
    return pd.concat([pd.DataFrame(head), pd.DataFrame(matrix, columns=WEIGHTS, copy=False)], axis=1)


def blocks(sums, periods, dossiers, procedures, dims, hist, year) -> list:
    """kpi_table's aggregated blocks (as parlib.analysis.kpi_table builds them) from the sums per
    period × combination of dimensions: per period the total, then each dimension's groups
    (pandas' group order; the catalogue's groups without dossiers added as the pandas
    implementation's ``Index.union`` adds them — see :class:`_DimGroups`)."""
    n_kpi = len(KPIS)
    cols = [f"k{i}" for i in range(n_kpi)] + [f"n{i}" for i in range(n_kpi)]
    pids = sums["pid"].to_numpy(dtype=np.int64)
    matrix = sums[cols].to_numpy(dtype=np.int64)
    totals = _sum_rows(matrix, pids, len(periods))
    # each combination of the dimensions once (by its number, gid): a dimension's groups are
    # ordered on these few rows, not on every period's
    _, first, combination = np.unique(sums["gid"].to_numpy(), return_index=True, return_inverse=True)
    combinations = sums.iloc[first]
    by_dim = {}
    for dim in dict.fromkeys([*dims, *hist]):
        catalogue = (
            pd.Index(procedures[dim].drop_duplicates(), name=dim)
            if procedures is not None and dim in procedures.columns
            else None
        )
        by_dim[dim] = _DimGroups(
            *_dim_sums(combinations[[dim]].astype({dim: dossiers[dim].dtype}), pids, combination, matrix),
            catalogue,
        )
    out = []
    for pid, (kind, key, label, start, end) in enumerate(periods):
        head = (kind, key, label, start, end)
        out.append((head, "all", np.array(["Tất cả"]), totals[[pid], :n_kpi], totals[[pid], n_kpi:]))
        for dim in dims if start.year == year else hist:
            shown, mat = by_dim[dim].block(pid)
            out.append((head, dim, shown, mat[:, :n_kpi], mat[:, n_kpi:]))
    return out


def _dim_sums(values: pd.DataFrame, pids, combination, matrix) -> tuple:
    """The sums of one dimension, as ``groupby(["pid", dim], dropna=False, sort=True).sum()``
    gives them: (the periods, the groups, the sums) of its rows. ``values``: the dimension's
    column (typed as the dossiers') of each combination; ``combination``: each row's
    combination. pandas orders the groups on the combinations (its order for two keys is the
    order of each key's own sorted groups); the rows' sums are added by (period, group)."""
    dim = values.columns[0]
    grouped = values.groupby(dim, dropna=False, sort=True)
    groups = grouped.size().index  # the dimension's groups in pandas' order
    key = pids * len(groups) + grouped.ngroup().to_numpy(dtype=np.int64)[combination]
    keys, row_key = np.unique(key, return_inverse=True)
    return (
        keys // max(len(groups), 1),
        groups[keys % max(len(groups), 1)],
        _sum_rows(matrix, row_key, len(keys)),
    )


def _sum_rows(matrix: np.ndarray, at: np.ndarray, n: int) -> np.ndarray:
    """``n`` rows: row i the sum of the rows of ``matrix`` whose ``at`` is i (zeros if none) —
    the product of the 0/1 matrix of that membership with ``matrix`` (integer arithmetic)."""
    member = sparse.csr_matrix(
        (np.ones(len(at), dtype=np.int64), (at, np.arange(len(at)))), shape=(n, len(at))
    )
    return np.asarray(member @ matrix, dtype=np.int64).reshape(n, matrix.shape[1])


class _DimGroups:
    """One dimension's sums per period and group (``pids``, ``values`` — the groups —, ``matrix``:
    one row each, in pandas' group order) and, per period, its block: the period's groups with the ``catalogue``'s groups without
    dossiers added (``period_groups.union(catalogue)``, as the pandas implementation), the groups
    shown as texts (missing: "").

    The texts are converted once for the dimension, not once per period. When the union of every
    period's groups with the catalogue is sorted, unique, without a missing value, and each
    period's groups come in its order, a period's union is that order restricted to its groups and
    the catalogue's (``Index.union`` sorts): it is taken by positions. Otherwise (and for a period
    without groups, whose union is the catalogue as it comes) ``Index.union`` itself is called."""

    def __init__(self, pids: np.ndarray, values: pd.Index, matrix: np.ndarray, catalogue: pd.Index | None):
        self.pids, self.values, self.matrix = pids, values, matrix
        self.shown = None  # the groups as texts, converted when a block needs them
        self.catalogue = catalogue
        self.universe = None
        if catalogue is None:
            return
        universe = self.values.unique().union(catalogue)
        if (
            isinstance(universe.dtype, pd.CategoricalDtype)
            or universe.hasnans
            or not (universe.is_unique and universe.is_monotonic_increasing)
        ):
            return
        at = universe.get_indexer(self.values)
        same_period = self.pids[1:] == self.pids[:-1]
        if (at < 0).any() or (np.diff(at)[same_period] <= 0).any():
            return
        self.universe, self.at = universe, at
        self.universe_shown = _texts(universe)
        self.catalogue_at = np.sort(universe.get_indexer(catalogue))

    def block(self, pid: int) -> tuple[np.ndarray, np.ndarray]:
        """(the groups shown, their sums: k0 … k11, n0 … n11) of period ``pid``."""
        lo, hi = np.searchsorted(self.pids, pid, "left"), np.searchsorted(self.pids, pid, "right")
        if self.catalogue is None:
            if self.shown is None:
                self.shown = _texts(self.values)
            return self.shown[lo:hi], self.matrix[lo:hi]
        if self.universe is not None and hi > lo:
            rows = np.union1d(self.at[lo:hi], self.catalogue_at)
            full = np.zeros((len(rows), self.matrix.shape[1]), dtype=np.int64)
            full[np.searchsorted(rows, self.at[lo:hi])] = self.matrix[lo:hi]
            return self.universe_shown[rows], full
        index = self.values[lo:hi]
        union = index.union(self.catalogue)
        full = np.zeros((len(union), self.matrix.shape[1]), dtype=np.int64)
        full[union.get_indexer(index)] = self.matrix[lo:hi]
        return _texts(union), full


def _texts(index: pd.Index) -> np.ndarray:
    """The groups of ``index`` as the KPI table shows them: texts, a missing group as ""."""
    return index.to_series().astype("string").fillna("").astype(str).to_numpy()
