"""The dossier KPI table on DuckDB (embedded, in-process): :func:`kpi_table` computes exactly what
:func:`parlib.analysis.kpi_table.kpi_table` computes (same columns, rows, ``k`` and ``n``), with the
dossier-level work in SQL and only the aggregated counts brought back to pandas.

How
    * The working-day calendar becomes two tables: ``cal(day, cum, wk)`` — for every day of the
      calendar's window the number of working days up to and including it (make-up Saturdays
      included, days off excluded) — and ``wd(idx, day)``, the working days numbered from 0. Then
      ``count_working_days(a, b) = cum(b) − cum(a)`` and ``add_working_days(d, n) =
      wd[cum(d) − wk(d) + n]``: deadline arithmetic is integer arithmetic in SQL.
    * Each dossier is joined once to the calendar (request, completion, end of processing, due
      date, and where receipt, end and apology fall among the periods' bounds), then classified
      by the 766 rules of :func:`parlib.analysis.kpi.classify_dossiers` written as SQL
      expressions (one line each, same names; the SQL text is in
      :mod:`parlib.analysis.dossier_sql`) once per evaluation instant — at its end, or at each
      period end it is still open at —, the evaluations counted, and the counts joined to every
      period whose scope they are in (received by the period end and not finished before its
      start, or received in it), counted by period, combination of the dimensions (its number
      in the table ``kid``), outcome and packed flags. The twelve indicators of
      :func:`parlib.analysis.kpi._indicators` depend only on (outcome, flags): each distinct
      pair is weighed once in SQL and the counts are multiplied by the weights in numpy (a
      sparse product) — a frame of at most periods × combinations rows.
    * numpy and pandas then sum that small frame by each dimension, add the catalogue's groups
      without dossiers (:mod:`parlib.analysis.kpi_blocks`) and build the long table with the
      same code as the pandas implementation.

    A scan of fewer than a million dossiers runs on a connection to its thread's database (see
    :func:`_connection`); a larger one on a database of its own, closed after it.

The pandas implementation stays as the reference: tests/unit/test_kpi_sql.py and
tests/integration/test_kpi_sql_equivalence.py check both give identical frames.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from parlib.analysis.dossier_sql import (
    KPIS,
    WEIGHTS,
    classified_sql,
    counts_sql,
    kid_sql,
    scopes_differ,
    weights_sql,
)
from parlib.analysis.kpi import _DAY, DIMENSIONS, _is_dislike, procedure_names
from parlib.analysis.kpi_blocks import blocks, group_sums
from parlib.analysis.kpi_table import _long_table, _periods
from parlib.core.calendar import WorkCalendar
from parlib.core.errors import ConfigError
from parlib.core.memory import LARGE_ROWS
from parlib.model.dossier_rules import KpiRules

# columns of the dossier frame the SQL reads (a missing optional one is read as NULL)
_COLUMNS = {
    "received_at": "TIMESTAMP",
    "due_at": "TIMESTAMP",
    "expected_due_at": "TIMESTAMP",
    "supplement_requested_at": "TIMESTAMP",
    "supplement_completed_at": "TIMESTAMP",
    "finished_at": "TIMESTAMP",
    "returned_at": "TIMESTAMP",
    "stopped_at": "TIMESTAMP",
    "snapshot_at": "TIMESTAMP",
    "apology_at": "TIMESTAMP",
    "deadline_unit": "VARCHAR",
    "supplement_count": "BIGINT",
    "reschedule_count": "BIGINT",
    "status_code": "VARCHAR",
    "is_digitised": "BOOLEAN",
    "has_e_result": "BOOLEAN",
    "is_paid_online": "BOOLEAN",
    "has_paper_result": "BOOLEAN",
    "fee_vnd": "DOUBLE",
    "channel": "BIGINT",
    "citizen_rating": "VARCHAR",
}
_OPTIONAL = {"snapshot_at", "citizen_rating"}
_PAUSE_PURPOSE = "tính thời gian tạm dừng do bổ sung hồ sơ"


# ---------------------------------------------------------------- inputs as tables


def calendar_tables(calendar: WorkCalendar) -> tuple[pa.Table, pa.Table]:
    """``cal(day, cum, wk)`` for every day of the calendar's window (``cum``: working days up to
    and including the day; ``wk``: 1 on a working day) and ``wd(idx, day)``: the working days
    numbered from 0 — see the module docstring."""
    days = np.arange(
        calendar.WINDOW_START, calendar.WINDOW_END + _DAY.to_timedelta64(), dtype="datetime64[D]"
    )
    working = calendar.is_working_day(days)
    cum = np.cumsum(working).astype(np.int64)
    return (
        pa.table({"day": days, "cum": cum, "wk": working.astype(np.int64)}),
        pa.table(
            {
                "idx": np.arange(int(working.sum()), dtype=np.int64),
                "day": days[working],
                "day_d": days[working].astype(np.int64),  # days since 1970-01-01
            }
        ),
    )


def _register_frame(con, dossiers: pd.DataFrame, keys: list[str]) -> None:
    """The columns the SQL reads, as the Arrow table ``src`` (no copy for most columns)."""
    cols = [c for c in dict.fromkeys([*_COLUMNS, *keys]) if c in dossiers.columns]
    con.register("src", _with_optional(pa.Table.from_pandas(dossiers[cols], preserve_index=False)))


def _with_optional(table: pa.Table) -> pa.Table:
    """``table`` with the optional columns it lacks (all null); KeyError for a required one."""
    missing = [c for c in _COLUMNS if c not in table.column_names and c not in _OPTIONAL]
    if missing:
        raise KeyError(f"kpi_sql: the dossier table lacks {missing}")
    for c in _OPTIONAL:
        if c not in table.column_names:
            typ = pa.timestamp("us") if _COLUMNS[c] == "TIMESTAMP" else pa.string()
            table = table.append_column(c, pa.nulls(len(table), typ))
    return table


def _register_parquet(con, path: str, keys: list[str], schema: pa.Schema) -> pd.DataFrame:
    """The Parquet file as the view ``src`` (DuckDB reads only the columns and row groups it
    needs; nothing is loaded into pandas); ``schema``: the file's, from its footer. Returns an
    empty frame with the file's columns and the dtypes pandas would read them as."""
    missing = [c for c in [*_COLUMNS, *keys] if c not in schema.names and c not in _OPTIONAL]
    if missing:
        raise KeyError(f"kpi_sql: {path} lacks {missing}")
    extra = ", ".join(f"NULL::{_COLUMNS[c]} AS {c}" for c in _OPTIONAL if c not in schema.names)
    lit = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"CREATE TEMP VIEW src AS SELECT *{', ' + extra if extra else ''} FROM read_parquet({lit})")
    frame = schema.empty_table().to_pandas()
    # a categorical column's categories are not in the schema: its groups sort as its texts
    return frame.astype({c: "str" for c, t in frame.dtypes.items() if isinstance(t, pd.CategoricalDtype)})


def _first_names(con, source) -> pd.Series:
    """procedure_code -> the procedure_name of its first row (``drop_duplicates`` keeps it)."""
    if isinstance(source, pa.Table):
        source = source.select(["procedure_code", "procedure_name"]).to_pandas()
    if isinstance(source, pd.DataFrame):
        return procedure_names(source)
    lit = "'" + str(source).replace("'", "''") + "'"
    rows = con.execute(
        "SELECT procedure_code, arg_min(procedure_name, file_row_number) FROM "
        f"read_parquet({lit}, file_row_number = true) GROUP BY procedure_code"
    ).fetchall()
    return pd.Series(
        [r[1] for r in rows],
        index=pd.Index([r[0] for r in rows], dtype="str", name="procedure_code"),
        dtype="str",
        name="procedure_name",
    )


def _periods_table(
    periods: list[tuple], cum: pa.Array, window_start, bounds: np.ndarray, scopes=None
) -> pa.Table:
    """One row per period scanned (``scopes``, one per period: a period of scope ``copy`` is not
    scanned — its sums are another period's): its position ``pid``, its bounds, the calendar
    position of its last day, whether its scope follows the end-of-processing rule (``by_rule``)
    and whether only the dossiers that rule adds to the first end's scope are scanned
    (``diff_only``; see :func:`period_sums`); ``bounds``: the scanned periods'
    :func:`period_bounds`, which ``s_pos`` and ``e_pos`` count."""
    scopes = scopes or ["first_end"] * len(periods)
    scanned = [i for i, sc in enumerate(scopes) if sc != "copy"]
    periods = [periods[i] for i in scanned]
    end_days = np.array(
        [pd.Timestamp(p[4]).normalize().to_datetime64() for p in periods], dtype="datetime64[us]"
    )
    starts = np.array(
        [pd.Timestamp(p[3]).normalize().to_datetime64() for p in periods], dtype="datetime64[us]"
    )
    offsets = (end_days.astype("datetime64[D]") - window_start).astype(np.int64)
    return pa.table(
        {
            "pid": np.array(scanned, dtype=np.int64),
            "s_pos": np.searchsorted(bounds, starts.astype("datetime64[D]"), "right").astype(np.int64),
            "e_pos": np.searchsorted(
                bounds, end_days.astype("datetime64[D]") + np.timedelta64(1, "D"), "right"
            ).astype(np.int64),
            "p_start": starts,
            "end_day": end_days,
            "end_excl": end_days + np.timedelta64(1, "D"),
            "end_excl_us": (end_days + np.timedelta64(1, "D")).astype(np.int64),
            "end_day_d": end_days.astype("datetime64[D]").astype(np.int64),
            "cum_end_day": cum.to_numpy()[offsets],
            "end_year": np.array([pd.Timestamp(p[4]).year for p in periods], dtype=np.int64),
            "by_rule": np.array([scopes[i] in ("rule", "rule_diff") for i in scanned], dtype=bool),
            "diff_only": np.array([scopes[i] == "rule_diff" for i in scanned], dtype=bool),
        }
    )


def period_bounds(periods: list[tuple]) -> np.ndarray:
    """The periods' first days and the days after their last days, sorted, each once: what
    decides whether an instant is in a period (datetime64[D])."""
    days = [pd.Timestamp(p[3]).normalize() for p in periods]
    days += [pd.Timestamp(p[4]).normalize() + _DAY for p in periods]
    return np.unique(np.array([d.to_datetime64() for d in days], dtype="datetime64[D]"))


_DAY_COLUMNS = [
    "supplement_requested_at",
    "supplement_completed_at",
    "finished_at",
    "returned_at",
    "stopped_at",
    "due_at",
    "expected_due_at",
]


def _check_window(con, calendar: WorkCalendar) -> list[str]:
    """The calendar refuses a date outside its window (``WorkCalendar._index``): so does the
    engine, with the same message (checked on every date it looks up, used or not). Returns the
    citizen ratings that read "Không hài lòng" (folded, as the pandas implementation), read in
    the same pass over the dossiers."""
    lo, hi = f"DATE '{calendar.WINDOW_START}'", f"DATE '{calendar.WINDOW_END}'"
    parts = ", ".join(f"min({c}), max({c})" for c in _DAY_COLUMNS)
    *row, ratings = con.execute(
        f"SELECT {parts}, list(DISTINCT citizen_rating) FILTER (WHERE citizen_rating IS NOT NULL) FROM src"
    ).fetchone()
    lo_np, hi_np = calendar.WINDOW_START, calendar.WINDOW_END + np.timedelta64(1, "D")
    inside = all(v is None or lo_np <= np.datetime64(pd.Timestamp(v).normalize().date()) < hi_np for v in row)
    if inside:
        return [v for v in ratings or [] if isinstance(v, str) and _is_dislike(v)]
    union = " UNION ".join(
        f"SELECT DISTINCT CAST({c} AS DATE) AS d FROM src WHERE CAST({c} AS DATE) NOT BETWEEN {lo} AND {hi}"
        for c in _DAY_COLUMNS
    )
    bad = [str(r[0]) for r in con.execute(f"SELECT d FROM ({union}) ORDER BY d LIMIT 10").fetchall()]
    raise ConfigError(
        "Ngày nằm ngoài phạm vi lịch làm việc "
        f"({calendar.WINDOW_START} – {calendar.WINDOW_END}): " + ", ".join(bad)
    )


# ---------------------------------------------------------------- the table


def kpi_table(
    dossiers: "pd.DataFrame | pa.Table | str | Path", calendar, year, quarter, **options
) -> pd.DataFrame:
    """:func:`parlib.analysis.kpi_table.kpi_table` on DuckDB: same arguments (``options``:
    procedures, dimensions, history_from, history_dimensions, rules; and threads), same frame.
    See :func:`kpi_table_and_windows`, which this is without windows."""
    return kpi_table_and_windows(dossiers, calendar, year, quarter, [], **options)[0]


def kpi_table_and_windows(
    dossiers: "pd.DataFrame | pa.Table | str | Path",
    calendar: WorkCalendar,
    year: int,
    quarter: int,
    windows: list[tuple],
    *,
    procedures: pd.DataFrame | None = None,
    dimensions: list[str] | None = None,
    history_from: int | None = None,
    history_dimensions: list[str] | None = None,
    rules: KpiRules | None = None,
    threads: int | None = None,
    dossier_names: pd.Series | None = None,
) -> tuple[pd.DataFrame, dict]:
    """:func:`kpi_table` — :func:`parlib.analysis.kpi_table.kpi_table` on DuckDB, same
    arguments, same frame — and in the same scan of the dossiers the ``windows`` ``(start, end)``
    counted as :class:`parlib.analysis.counts_sql.SqlCounter` counts them (the scope of
    classify_dossiers' rule): ``{(start, end): sums}``, one row per combination of the table's
    dimensions (typed as the dossiers' columns) with ``k0 … k11``, ``n0 … n11`` in the order of
    KPIS — for :meth:`SqlCounter.load`. One scan instead of two: the per-dossier part of the
    SQL (joins to the calendar, flags) is done once.

    ``dossiers``: the dossier frame, an Arrow table of its columns (:func:`dossier_arrow`) or the
    path of a Parquet file of it (as ``DataFrame.to_parquet`` writes it): then DuckDB reads the
    file itself and no dossier row is loaded into pandas. ``threads``: DuckDB worker threads
    (default: DuckDB's, one per core). ``dossier_names``: procedure_code -> the name of its first
    dossier (:func:`parlib.analysis.kpi.procedure_names`) when the caller has it already; read
    from ``dossiers`` otherwise. Raises ConfigError as the pandas implementation does (a
    supplement pause in a year without a complete holiday schedule; a date outside the
    calendar's window)."""
    rules = rules or KpiRules()
    dims = DIMENSIONS if dimensions is None else dimensions
    hist = history_dimensions or []
    keys = list(dict.fromkeys([*dims, *hist]))
    if windows and not {"office_name", "procedure_code"} <= set(keys):
        raise ValueError("kpi_table_and_windows: the windows are counted by office and procedure")
    periods = _periods(year, quarter, history_from)
    extra, scope, copies = _window_entries(periods, windows, scopes_differ(rules))
    sums, frame, *found = period_sums(
        dossiers,
        calendar,
        periods + extra,
        keys,
        rules,
        threads=threads,
        scope=scope if extra else "first_end",
        first_names=dossier_names is None,
        copies=copies,
    )
    first_names = found[0] if dossier_names is None else dossier_names
    names = (
        procedures.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
        if procedures is not None
        else pd.Series(dtype="str")
    )
    names = names.combine_first(first_names)
    table_blocks = blocks(sums.loc[sums["pid"] < len(periods)], periods, frame, procedures, dims, hist, year)
    typed = sums.loc[sums["pid"] >= len(periods)].astype({c: frame[c].dtype for c in keys})
    at = {_bounds(e[3], e[4]): len(periods) + i for i, e in enumerate(extra)}
    counted = {
        (pd.Timestamp(start), pd.Timestamp(end)): typed.loc[typed["pid"] == at[_bounds(start, end)]]
        .drop(columns=["pid", "gid"])
        .reset_index(drop=True)
        for start, end in windows
    }
    return _long_table(table_blocks, KPIS, names), counted


def _bounds(start, end) -> tuple:
    """A period's or window's first and last day, as the SQL compares them."""
    return (pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize())


def _window_entries(periods: list[tuple], windows: list[tuple], differ: bool) -> tuple:
    """The windows as entries of :func:`period_sums` after the KPI table's ``periods``: each
    distinct window once; one with the bounds of a period is not classified again — its sums
    are the period's (``copies``: window position -> period position), plus, when the two
    scopes differ (``differ``), those of the few dossiers the rule's scope adds (``rule_diff``).
    Returns (entries, scopes, copies)."""
    at = {_bounds(p[3], p[4]): pid for pid, p in enumerate(periods)}
    entries, scope, copies = [], ["first_end"] * len(periods), {}
    for start, end in dict.fromkeys(_bounds(s, e) for s, e in windows):
        pid = len(periods) + len(entries)
        entries.append((None, None, None, start, end))
        if (start, end) in at:
            copies[pid] = at[(start, end)]
            scope.append("rule_diff" if differ else "copy")
        else:
            scope.append("rule")
    return entries, scope, copies


_LOCAL = threading.local()  # each thread's in-memory database for small scans (see _connection)


def _connection(rows: int, threads: int | None):
    """A DuckDB connection for one scan of ``rows`` dossiers, closed by the caller. Opening an
    in-memory database costs 11–20 ms (about a tenth of a department's whole KPI scan): below
    :data:`parlib.core.memory.LARGE_ROWS` dossiers the scan runs on a new connection (a cursor)
    to this thread's database, opened once — its registered tables and temporary view are the
    connection's own and go with it. A large scan, or one with its own number of ``threads`` (a
    database-wide setting), gets a database of its own, closed with it, so that every byte it
    used is handed back."""
    if threads or rows >= LARGE_ROWS:
        return duckdb.connect()
    if getattr(_LOCAL, "db", None) is None:
        _LOCAL.db = duckdb.connect()
    return _LOCAL.db.cursor()


def period_sums(
    dossiers: "pd.DataFrame | pa.Table | str | Path",
    calendar: WorkCalendar,
    periods: list[tuple],
    keys: list[str],
    rules: KpiRules,
    *,
    threads: int | None = None,
    scope: "str | list[str]" = "first_end",
    first_names: bool = False,
    copies: dict[int, int] | None = None,
) -> tuple:
    """The dossiers classified in SQL for every period ``(kind, key, label, start, end)`` and the
    twelve indicators summed per period (``pid``, its position) and combination of ``keys``
    (``gid``, the combination's number, then the keys' values; ``k0 … k11``, ``n0 … n11`` in
    the order of KPIS; ``n_pause``, ``n_pause_uncovered``). Returns (sums, an empty frame with the
    dossier columns and their pandas dtypes[, procedure_code -> first procedure_name]).
    ``scope``: see :func:`parlib.analysis.dossier_sql.classified_sql` — one for every period,
    or a list with one per period, where two more apply to a period ``p`` of ``copies``
    (``{p: q}``, q an earlier period of scope ``first_end`` with the same bounds): ``copy`` — p
    is not classified, its sums are q's (the two scopes are one) — and ``rule_diff`` — p's
    sums are q's plus those of the dossiers only the rule's scope has (it contains the first
    end's: the end by the rule is never before the first end). A dossier's classification
    does not depend on the scope, only whether it is counted. Raises ConfigError as
    classify_dossiers does."""
    cal_t, wd_t = calendar_tables(calendar)
    # a Parquet file's footer, read once: its number of rows and its schema
    footer = None if isinstance(dossiers, (pd.DataFrame, pa.Table)) else pq.read_metadata(str(dossiers))
    con = _connection(len(dossiers) if footer is None else footer.num_rows, threads)
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        # the periods table has a few dozen rows: a nested-loop join beats sorting every dossier
        con.execute(f"SET nested_loop_join_threshold = {len(periods) + 1}")
        if isinstance(dossiers, pd.DataFrame):
            _register_frame(con, dossiers, keys)
            frame = dossiers.iloc[:0]
        elif isinstance(dossiers, pa.Table):
            con.register("src", _with_optional(dossiers))
            frame = dossiers.slice(0, 0).to_pandas()  # keeps a dictionary column's categories
        else:
            frame = _register_parquet(con, str(dossiers), keys, footer.schema.to_arrow_schema())
        per_period = not isinstance(scope, str)
        scopes = list(scope) if per_period else None
        if scopes and "rule_diff" in scopes and not scopes_differ(rules):
            raise ValueError("period_sums: rule_diff is for rules whose two scopes differ (use copy)")
        scanned = [p for p, sc in zip(periods, scopes or [None] * len(periods)) if sc != "copy"]
        bounds = period_bounds(scanned)
        days = cal_t.column("day").to_numpy().astype("datetime64[D]")
        cal_t = cal_t.append_column("pos", pa.array(np.searchsorted(bounds, days, "right").astype(np.int64)))
        con.register("cal", cal_t)
        con.register("wd", wd_t)
        con.register(
            "periods", _periods_table(periods, cal_t.column("cum"), calendar.WINDOW_START, bounds, scopes)
        )
        if keys:
            con.execute(kid_sql(keys))
        copies = copies or {}
        if copies:
            con.register("copies", pa.table({"dst": list(copies), "src": list(copies.values())}))
        dislike = _check_window(con, calendar)
        covered = (
            "(" + ", ".join(str(y) for y in sorted(calendar.years)) + ")" if calendar.years else "(NULL)"
        )
        classified, check = classified_sql(
            keys,
            rules,
            dislike,
            covered,
            scope="per_period" if per_period else scope,
            bounds=[str(b) for b in bounds],
            window=(calendar.WINDOW_START, calendar.WINDOW_END + np.timedelta64(1, "D")),
        )
        counts = con.execute(classified + counts_sql(copies=bool(copies))).fetchnumpy()
        sums = _sums(con, counts, keys)
        _check_pause_years(con, classified + check, sums, periods, calendar)
        names = _first_names(con, dossiers) if first_names else None
    finally:
        con.close()
    return (sums, frame, names) if first_names else (sums, frame)


def _sums(con, counts: dict, keys: list[str]) -> pd.DataFrame:
    """period_sums' frame from the evaluations' counts by (pid, gid, outcome, bits): each
    distinct (outcome, bits) weighed once in SQL (:func:`weights_sql`), the combinations read
    back from ``kid``; :func:`parlib.analysis.kpi_blocks.group_sums` adds them up."""
    pairs = (np.asarray(counts["outcome"], dtype=np.int64) << 32) | np.asarray(counts["bits"], dtype=np.int64)
    pair_at, distinct = pd.factorize(pairs)
    con.register("combos", pa.table({"outcome": distinct >> 32, "bits": distinct & 0xFFFFFFFF}))
    weights = con.execute(weights_sql()).fetchnumpy()
    kid = con.execute("SELECT * FROM kid ORDER BY gid").df() if keys else None
    matrix = np.column_stack([np.asarray(weights[c], dtype=np.int64) for c in WEIGHTS])
    return group_sums(counts, pair_at, matrix, kid, keys)


def dossier_arrow(dossiers: pd.DataFrame, keys: list[str]) -> pa.Table:
    """The columns the SQL reads (and ``keys``) as one Arrow table, converted once and shared by
    several :func:`period_sums` calls (the KPI table, the offices' windows)."""
    cols = [c for c in dict.fromkeys([*_COLUMNS, *keys, "procedure_name"]) if c in dossiers.columns]
    return _with_optional(pa.Table.from_pandas(dossiers[cols], preserve_index=False))


def _check_pause_years(con, classified: str, sums, periods, calendar: WorkCalendar) -> None:
    """classify_dossiers refuses a period with a supplement pause in, or ending in, a year without
    a complete holiday schedule: the first such period, in the order of the periods, with the
    years of its pauses (looked up only then)."""
    if sums.empty:
        return
    pids = sums["pid"].to_numpy(dtype=np.int64)
    pauses = np.bincount(pids, sums["n_pause"].to_numpy(dtype=np.int64), minlength=len(periods))
    uncovered = np.bincount(pids, sums["n_pause_uncovered"].to_numpy(dtype=np.int64), minlength=len(periods))
    for pid, (kind, key, label, start, end) in enumerate(periods):
        if pauses[pid] == 0:
            continue
        end_year = pd.Timestamp(end).year
        if uncovered[pid] == 0 and end_year in calendar.years:
            continue
        rows = con.execute(
            classified + f" SELECT DISTINCT year(req) FROM f WHERE pid = {pid} AND has_pause "
            f"UNION SELECT DISTINCT CASE WHEN comp_le THEN year(comp) ELSE year(eval_at) END "
            f"FROM f WHERE pid = {pid} AND has_pause"
        ).fetchall()
        calendar.check_years({int(r[0]) for r in rows} | {end_year}, _PAUSE_PURPOSE)
