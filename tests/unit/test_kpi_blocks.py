"""From the engine's counts to the KPI table's blocks (parlib.analysis.kpi_blocks): the sums per
period and combination worked out by hand, and the blocks equal to the straightforward
implementation kept here (one pandas grouping per dimension, ``Index.union`` with the catalogue
per period) on groups with missing values, unsorted categories, catalogues in file order and
periods without dossiers."""

import threading

import numpy as np
import pandas as pd
import pytest

from parlib.analysis import kpi_sql
from parlib.analysis.dossier_sql import KPIS, WEIGHTS
from parlib.analysis.kpi_blocks import blocks, group_sums
from parlib.core.memory import LARGE_ROWS

N = 2 * len(KPIS)
COLS = [f"k{i}" for i in range(len(KPIS))] + [f"n{i}" for i in range(len(KPIS))]


def test_group_sums_by_hand():
    # two (outcome, bits) pairs: pair 0 counts in k0; pair 1 in n0 and −1 in k11 (766 5.4)
    weights = np.zeros((2, len(WEIGHTS)), dtype=np.int64)
    weights[0, WEIGHTS.index("k0")] = 1
    weights[1, WEIGHTS.index("n0")] = 1
    weights[1, WEIGHTS.index("k11")] = -1
    counts = {
        "pid": np.array([0, 0, 1, 0, 0]),
        "gid": np.array([1, 1, 2, 2, 1]),
        "cnt": np.array([2, 3, 4, 5, 1]),
    }
    pair_at = np.array([0, 1, 0, 1, 0])
    kid = pd.DataFrame({"office_name": pd.array(["Phòng A", "Phòng B"], dtype="str"), "gid": [1, 2]})
    got = group_sums(counts, pair_at, weights, kid, ["office_name"])
    assert list(got.columns) == ["pid", "gid", "office_name", *WEIGHTS]
    # (0, 1): 2 + 1 of pair 0, 3 of pair 1; (0, 2): 5 of pair 1; (1, 2): 4 of pair 0
    assert got[["pid", "gid"]].values.tolist() == [[0, 1], [0, 2], [1, 2]]
    assert got["office_name"].tolist() == ["Phòng A", "Phòng B", "Phòng B"]
    assert got["k0"].tolist() == [3, 0, 4]
    assert got["n0"].tolist() == [3, 5, 0]
    assert got["k11"].tolist() == [-3, -5, 0]
    assert (got.drop(columns=["pid", "gid", "office_name", "k0", "n0", "k11"]).to_numpy() == 0).all()
    assert all(got[c].dtype == np.int64 for c in WEIGHTS)
    empty = group_sums(
        {c: np.array([], dtype=np.int64) for c in ("pid", "gid", "cnt")},
        np.array([], dtype=np.int64),
        np.zeros((0, len(WEIGHTS)), dtype=np.int64),
        kid.iloc[:0],
        ["office_name"],
    )
    assert empty.empty and list(empty.columns) == list(got.columns)


def reference_blocks(sums, periods, dossiers, procedures, dims, hist, year):
    """The straightforward blocks: per dimension one grouping of every row, per period its slice
    joined with the catalogue by ``Index.union``."""
    totals = sums.groupby("pid")[COLS].sum()
    by_dim = {}
    for dim in dict.fromkeys([*dims, *hist]):
        typed = sums[["pid", dim, *COLS]].astype({dim: dossiers[dim].dtype})
        g = typed.groupby(["pid", dim], dropna=False, sort=True)[COLS].sum()
        by_dim[dim] = (g.index.get_level_values(0).to_numpy(), g.index.get_level_values(1), g.to_numpy())
    out = []
    for pid, (kind, key, label, start, end) in enumerate(periods):
        head = (kind, key, label, start, end)
        total = totals.loc[[pid]].to_numpy() if pid in totals.index else np.zeros((1, N), dtype=np.int64)
        out.append((head, "all", np.array(["Tất cả"]), total))
        for dim in dims if start.year == year else hist:
            pids, values, matrix = by_dim[dim]
            lo, hi = np.searchsorted(pids, pid, "left"), np.searchsorted(pids, pid, "right")
            index, mat = values[lo:hi].rename(dim), matrix[lo:hi]
            if procedures is not None and dim in procedures.columns:
                union = index.union(pd.Index(procedures[dim].drop_duplicates(), name=dim))
                full = np.zeros((len(union), N), dtype=np.int64)
                full[union.get_indexer(index)] = mat
                index, mat = union, full
            shown = index.to_series().astype("string").fillna("").astype(str).to_numpy()
            out.append((head, dim, shown, mat))
    return out


PERIODS = [
    ("month", "2025-11", "tháng 11/2025", pd.Timestamp(2025, 11, 1), pd.Timestamp(2025, 11, 30)),
    ("month", "2025-12", "tháng 12/2025", pd.Timestamp(2025, 12, 1), pd.Timestamp(2025, 12, 31)),
    ("month", "2026-01", "tháng 1/2026", pd.Timestamp(2026, 1, 1), pd.Timestamp(2026, 1, 31)),
    ("month", "2026-02", "tháng 2/2026", pd.Timestamp(2026, 2, 1), pd.Timestamp(2026, 2, 28)),
    ("quarter", "2026-Q1", "Quý I/2026", pd.Timestamp(2026, 1, 1), pd.Timestamp(2026, 3, 31)),
]


def _sums(seed, offices, offices_dtype, fields_dtype, drop=None):
    rng = np.random.default_rng(seed)
    n = 300
    office = rng.choice(np.array(offices, dtype=object), n)
    field = rng.choice(["Xây dựng", "Nhà ở", "Quy hoạch"], n)
    channel = rng.choice([1, 2, 3], n)
    combos = pd.DataFrame({"office_name": office, "field_name": field, "channel": channel}).drop_duplicates()
    combos = combos.reset_index(drop=True).assign(gid=lambda d: np.arange(1, len(d) + 1))
    rows = combos.sample(n=len(combos) * 3, replace=True, random_state=seed)
    pids = rng.integers(0, len(PERIODS), len(rows))
    rows = rows.assign(pid=pids).drop_duplicates(["pid", "gid"])
    if drop is not None:  # (period, office): that office's rows of the period, or all of them
        pid, office = drop
        rows = rows[(rows["pid"] != pid) | ((rows["office_name"] != office) if office else False)]
    matrix = rng.integers(-1, 40, (len(rows), len(WEIGHTS)))
    sums = pd.concat(
        [rows[["pid", "gid", "office_name", "field_name", "channel"]].reset_index(drop=True),
         pd.DataFrame(matrix, columns=WEIGHTS)],
        axis=1,
    )  # fmt: skip
    sums["office_name"] = sums["office_name"].astype("str")
    sums["field_name"] = sums["field_name"].astype("str")
    dossiers = pd.DataFrame(
        {
            "office_name": pd.Series([], dtype=offices_dtype),
            "field_name": pd.Series([], dtype=fields_dtype),
            "channel": pd.Series([], dtype=np.int64),
        }
    )
    return sums.sample(frac=1, random_state=seed).reset_index(drop=True), dossiers


CASES = {
    # offices sorted, catalogue in file order with offices without dossiers
    "catalogue_unsorted": (
        ["Phòng B", "Phòng A", "Phòng C"],
        "str",
        "str",
        ["Phòng Z", "Phòng A", "Phòng D"],
        None,
    ),
    # a missing office (a NaN group): Index.union itself, not positions
    "missing_group": (["Phòng B", None, "Phòng A"], "str", "str", ["Phòng A", "Phòng E"], None),
    # categories in an order that is not the texts' (groupby follows the categories)
    "unsorted_categories": (
        ["Phòng A", "Phòng B"],
        "str",
        pd.CategoricalDtype(["Quy hoạch", "Xây dựng", "Nhà ở"]),
        ["Phòng A", "Phòng B"],
        None,
    ),
    # a period without any dossier: its union is the catalogue as it comes
    "empty_period": (["Phòng A", "Phòng B"], "str", "str", ["Phòng C", "Phòng A"], (3, None)),
    # the catalogue is exactly the groups
    "catalogue_equal": (["Phòng A", "Phòng B"], "str", "str", ["Phòng A", "Phòng B"], None),
    # ... in the categories' order, not the texts': Index.union returns the period's groups as
    # they come when they equal the catalogue (January: Phòng B, Phòng A), sorted otherwise
    "catalogue_equal_unsorted_categories": (
        ["Phòng B", "Phòng A", "Phòng C"],
        pd.CategoricalDtype(["Phòng B", "Phòng A", "Phòng C"]),
        "str",
        ["Phòng B", "Phòng A"],
        (2, "Phòng C"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_blocks_equal_the_straightforward_blocks(case, seed):
    offices, offices_dtype, fields_dtype, catalogue, drop = CASES[case]
    sums, dossiers = _sums(seed, offices, offices_dtype, fields_dtype, drop)
    procedures = pd.DataFrame(
        {
            "office_name": pd.array(catalogue, dtype="str"),
            "field_name": pd.array(["Nhà ở", "Giao thông", "Xây dựng"][: len(catalogue)], dtype="str"),
        }
    )
    dims, hist = ["office_name", "field_name", "channel"], ["office_name"]
    got = blocks(sums, PERIODS, dossiers, procedures, dims, hist, 2026)
    ref = reference_blocks(sums, PERIODS, dossiers, procedures, dims, hist, 2026)
    assert len(got) == len(ref) == 2 * 2 + 3 * 4  # 2025: total, office; 2026: total, 3 dimensions
    for (head, dim, shown, k, n), (r_head, r_dim, r_shown, r_mat) in zip(got, ref):
        assert (head, dim) == (r_head, r_dim)
        assert list(shown) == list(r_shown)
        np.testing.assert_array_equal(np.hstack([k, n]), r_mat)


def test_small_scans_share_the_threads_database_and_leave_nothing_in_it():
    first = kpi_sql._connection(10, None)
    first.close()
    db = kpi_sql._LOCAL.db
    db.execute("CREATE OR REPLACE TABLE marker AS SELECT 1 AS x")
    try:
        small = kpi_sql._connection(LARGE_ROWS - 1, None)
        assert small.execute("SELECT count(*) FROM marker").fetchone() == (1,)  # the same database
        small.execute("CREATE TEMP VIEW src AS SELECT 1 AS x")
        small.close()
        again = kpi_sql._connection(10, None)
        assert again.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'src'").fetchone() == (0,)
        again.close()
        for own in (kpi_sql._connection(LARGE_ROWS, None), kpi_sql._connection(10, 1)):
            assert own.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'marker'"
            ).fetchone() == (0,)
            own.close()
        seen = {}

        def other():
            con = kpi_sql._connection(10, None)
            seen["rows"] = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'marker'"
            ).fetchone()
            con.close()

        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        assert seen["rows"] == (0,)  # another thread has a database of its own
    finally:
        db.execute("DROP TABLE marker")
