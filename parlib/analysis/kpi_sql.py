"""The dossier KPI table on DuckDB (embedded, in-process): :func:`kpi_table` computes exactly what
:func:`parlib.analysis.kpi_table.kpi_table` computes (same columns, rows, ``k`` and ``n``), with the
dossier-level work in SQL and only the aggregated counts brought back to pandas.

How
    * The working-day calendar becomes two tables: ``cal(day, cum, wk)`` — for every day of the
      calendar's window the number of working days up to and including it (make-up Saturdays
      included, days off excluded) — and ``wd(idx, day)``, the working days numbered from 0. Then
      ``count_working_days(a, b) = cum(b) − cum(a)`` and ``add_working_days(d, n) =
      wd[cum(d) − wk(d) + n]``: deadline arithmetic is integer arithmetic in SQL.
    * Each dossier is joined once to the calendar (request, completion, end of processing and
      due date), then to every period whose scope it is in (received by the period end and not
      finished before its start, or received in it), and classified there by the 766 rules of
      :func:`parlib.analysis.kpi.classify_dossiers` written as SQL expressions (one line each,
      same names). The twelve indicators of :func:`parlib.analysis.kpi._indicators` are summed
      per period and per combination of the dimensions: a frame of at most periods × groups rows.
    * pandas then sums that small frame by each dimension, adds the catalogue's groups without
      dossiers and builds the long table with the same code as the pandas implementation.

The pandas implementation stays as the reference: tests/unit/test_kpi_sql.py and
tests/integration/test_kpi_sql_equivalence.py check both give identical frames.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from parlib.analysis.kpi import _DAY, DIMENSIONS, _is_dislike
from parlib.analysis.kpi_table import _long_table, _periods
from parlib.core.calendar import WorkCalendar
from parlib.core.errors import ConfigError
from parlib.core.labels import KPI_LABELS
from parlib.model.dossier_rules import STOP_CODES, KpiRules

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
_KPIS = list(KPI_LABELS)
_PAUSE_PURPOSE = "tính thời gian tạm dừng do bổ sung hồ sơ"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(values) -> str:
    """An SQL list of text literals (``(NULL)`` when empty: ``x IN (NULL)`` is never true)."""
    vals = ["'" + str(v).replace("'", "''") + "'" for v in values]
    return "(" + (", ".join(vals) or "NULL") + ")"


# ---------------------------------------------------------------- the SQL

# per dossier, once: end of processing, its kind, due basis, calendar positions, flags
_DOSSIER_SQL = """
SELECT
    {dims_select},
    s.received_at AS rec,
    {end_at} AS end_at,
    least(s.finished_at, s.returned_at, s.stopped_at) AS earliest,
    coalesce(s.stopped_at = {end_at}, false)
        AND NOT coalesce(s.finished_at = {end_at}, false)
        AND NOT coalesce(s.returned_at = {end_at}, false) AS stopped_kind,
    coalesce(s.due_at, s.expected_due_at) AS due,
    s.supplement_requested_at AS req,
    s.supplement_completed_at AS comp,
    coalesce(s.deadline_unit = 'hours', false) AS hours,
    coalesce(s.supplement_count, 0) > 1 AS multi,
    s.snapshot_at AS snapshot,
    s.apology_at AS apology,
    coalesce(s.reschedule_count, 0) AS resched_n,
    coalesce(s.is_digitised, false) AS dig, s.is_digitised IS NOT NULL AS dig_known,
    coalesce(s.has_e_result, false) AS eres, s.has_e_result IS NOT NULL AS eres_known,
    coalesce(s.is_paid_online, false) AS paid, s.is_paid_online IS NOT NULL AS paid_known,
    coalesce(s.has_paper_result, false) AS paper,
    coalesce(s.fee_vnd, 0) > 0 AND NOT isnan(coalesce(s.fee_vnd, 0)) AS fee,
    s.channel IS NOT NULL AS channel_known,
    coalesce(s.channel = 2, false) AS online,
    coalesce(s.citizen_rating IN {dislike}, false) AS dislike,
    -- system updated: no rule of parlib.model.dossier_rules.consistency_flags broken
    NOT (
        coalesce(s.finished_at < s.received_at, false)
        OR coalesce(s.returned_at < s.received_at, false)
        OR coalesce(s.stopped_at < s.received_at, false)
        OR coalesce(s.due_at < s.received_at, false)
        OR coalesce(s.supplement_completed_at < s.supplement_requested_at, false)
        OR (s.supplement_completed_at IS NOT NULL AND s.supplement_requested_at IS NULL)
        OR (s.supplement_requested_at IS NOT NULL AND coalesce(s.supplement_count, 0) = 0)
        OR (s.supplement_requested_at IS NULL AND coalesce(s.supplement_count, 0) > 0)
        OR s.status_code IS NULL
        OR (s.status_code IN ('finished', 'returned') AND s.finished_at IS NULL AND s.returned_at IS NULL)
        OR (s.status_code = 'returned' AND s.returned_at IS NULL)
        OR (s.status_code IN {stop_codes} AND s.stopped_at IS NULL)
        OR (s.status_code IN ('in_progress', 'waiting_supplement', 'paused')
            AND (s.finished_at IS NOT NULL OR s.returned_at IS NOT NULL OR s.stopped_at IS NOT NULL))
        OR s.due_at IS NULL
    ) AS system_updated,
    c_req.cum AS cum_req,
    c_comp.cum AS cum_comp,
    c_end.cum AS cum_end,
    c_due.cum - c_due.wk AS due_idx
FROM src AS s
LEFT JOIN cal AS c_req ON c_req.day = CAST(s.supplement_requested_at AS DATE)
LEFT JOIN cal AS c_comp ON c_comp.day = CAST(s.supplement_completed_at AS DATE)
LEFT JOIN cal AS c_end ON c_end.day = CAST({end_at} AS DATE)
LEFT JOIN cal AS c_due ON c_due.day = CAST(coalesce(s.due_at, s.expected_due_at) AS DATE)
"""

# per dossier × period in its scope: classify_dossiers, line by line
_PERIOD_SQL = """
SELECT d.*, p.pid, p.p_start, p.end_excl, p.end_day,
    coalesce(d.end_at < p.end_excl, false) AS fin,
    d.rec < p.end_excl AND (d.end_at IS NULL OR d.end_at >= p.p_start) AS in_proc,
    d.rec >= p.p_start AND d.rec < p.end_excl AS in_rec,
    CASE WHEN coalesce(d.end_at < p.end_excl, false) THEN d.end_at ELSE p.end_day END AS eval_at,
    p.cum_end_day,
    p.end_year
FROM d JOIN periods AS p
  ON d.rec < p.end_excl AND (d.earliest IS NULL OR d.earliest >= p.p_start OR d.rec >= p.p_start)
"""

_PAUSE_SQL = """
SELECT x.*,
    x.req IS NOT NULL AND x.req <= x.eval_at AS has_pause,
    coalesce(x.comp <= x.eval_at, false) AS comp_le,
    CASE WHEN x.req IS NOT NULL AND x.req <= x.eval_at THEN greatest(
        CASE WHEN coalesce(x.comp <= x.eval_at, false) THEN x.cum_comp
             WHEN x.fin THEN x.cum_end ELSE x.cum_end_day END - x.cum_req, 0)
         ELSE 0 END AS pause,
    x.req IS NOT NULL AND x.req <= x.eval_at AND (
        year(x.req) NOT IN {covered}
        OR CASE WHEN coalesce(x.comp <= x.eval_at, false) THEN year(x.comp)
                ELSE year(x.eval_at) END NOT IN {covered}) AS pause_uncovered
FROM x
"""

_JUDGE_SQL = """
SELECT y.*,
    CASE WHEN y.pause > 0 AND y.due IS NOT NULL
         THEN CAST(w.day AS TIMESTAMP) + (y.due - date_trunc('day', y.due))
         ELSE y.due END AS allowed
FROM y LEFT JOIN wd AS w ON y.pause > 0 AND w.idx = y.due_idx + y.pause
"""

_OUTCOME_SQL = """
SELECT z.*,
    coalesce(CASE WHEN z.hours THEN z.end_at > z.allowed
                  ELSE CAST(z.end_at AS DATE) > CAST(z.allowed AS DATE) END, false) AS late_fin,
    coalesce(CAST(z.end_at AS DATE) < CAST(z.allowed AS DATE), false) AS early,
    coalesce(CASE WHEN z.hours THEN z.allowed < z.end_excl
                  ELSE CAST(z.allowed AS DATE) < CAST(z.end_day AS DATE) END, false) AS overdue,
    z.allowed IS NULL AS no_due,
    NOT z.fin AND coalesce(z.snapshot < z.end_excl, false) AS stale,
    NOT z.fin AND z.has_pause AND (z.comp IS NULL OR z.comp > z.eval_at) AS waiting,
    coalesce(z.apology < z.end_excl, false) AS has_apology
FROM z
"""

_CLASS_SQL = """
SELECT o.*,
    o.waiting AND coalesce(CASE WHEN o.hours THEN o.req > o.due
                                ELSE CAST(o.req AS DATE) > CAST(o.due AS DATE) END, false) AS req_late
FROM o
"""

# outcome codes: 0 unknown, 1 late, 2 early, 3 on time, 4 pending (on time)
_FINAL_SQL = """
SELECT r.*,
    CASE WHEN r.stale THEN 0 WHEN r.multi THEN 1 WHEN r.no_due THEN 0
         WHEN r.fin AND r.late_fin THEN 1 WHEN r.fin AND r.early THEN 2 WHEN r.fin THEN 3
         WHEN r.req_late THEN 1 WHEN r.waiting THEN 4 WHEN r.overdue THEN 1 ELSE 4 END AS outcome,
    ((r.fin AND r.late_fin) OR (NOT r.fin AND NOT r.waiting AND r.overdue) OR r.req_late)
        AND NOT r.stale AND NOT r.no_due AS owes,
    r.has_apology AND coalesce(
        CAST(r.apology AS DATE) <= CAST(r.allowed AS DATE) - {lead}, false) AS apology_on_time,
    r.in_proc AND NOT r.stale AS proc,
    r.fin AND NOT r.stopped_kind AS has_result,
    r.fin AND coalesce(r.end_at >= r.p_start, false) AND NOT r.stopped_kind AS completed
FROM r
"""

# the twelve indicators of parlib.analysis.kpi._indicators: (numerator, denominator)
_KNOWN = "(f.proc AND f.outcome <> 0)"
_OWES = "(f.proc AND f.owes)"
_APOL = f"({_OWES} AND f.has_apology)"
_RESCHED = "(f.proc AND f.resched1)"
_DONE = "(f.completed AND f.paper AND f.eres_known)"
_ONLINE_J = "(f.in_rec AND f.channel_known AND NOT (f.online AND f.paper AND NOT f.eres_known))"
_DIG_J = "(f.in_rec AND f.dig_known AND (NOT f.has_result OR f.eres_known))"
_PAY_J = "(f.in_rec AND f.fee AND f.paid_known)"
_INDICATORS = {
    "on_time_pct": (f"{_KNOWN} AND f.outcome IN (2, 3, 4)", _KNOWN),
    "early_pct": (f"{_KNOWN} AND f.outcome = 2", _KNOWN),
    "late_pct": (f"{_KNOWN} AND f.outcome = 1", _KNOWN),
    "apology_pct": (_APOL, _OWES),
    "apology_on_time_pct": (f"{_APOL} AND f.apology_on_time", _APOL),
    "reschedule_violation_pct": (f"{_RESCHED} AND f.resched2", _RESCHED),
    "online_pct": (f"{_ONLINE_J} AND f.online AND (NOT f.paper OR f.eres)", _ONLINE_J),
    "digitised_pct": (f"{_DIG_J} AND f.dig AND (NOT f.has_result OR f.eres)", _DIG_J),
    "e_result_pct": (f"{_DONE} AND f.eres", _DONE),
    "online_payment_pct": (f"{_PAY_J} AND f.paid", _PAY_J),
    "system_updated_pct": ("f.proc AND f.system_updated", "f.proc"),
    # 766 5.4: known − (late and known) − (known and disliked), per dossier (may be −1)
    "handling_satisfaction_pct": (
        f"CAST({_KNOWN} AS BIGINT) - CAST({_KNOWN} AND f.outcome = 1 AS BIGINT)"
        f" - CAST({_KNOWN} AND f.dislike AS BIGINT)",
        _KNOWN,
    ),
}


# the per-row booleans the indicators read, packed into one integer (bit i = _FLAGS[i])
_FLAGS = {
    "proc": "f.proc",
    "owes": "f.owes",
    "has_apology": "f.has_apology",
    "apology_on_time": "f.apology_on_time",
    "resched1": "f.resched_n >= 1",
    "resched2": "f.resched_n > 1",
    "in_rec": "f.in_rec",
    "channel_known": "f.channel_known",
    "online": "f.online",
    "paper": "f.paper",
    "eres_known": "f.eres_known",
    "eres": "f.eres",
    "dig_known": "f.dig_known",
    "dig": "f.dig",
    "has_result": "f.has_result",
    "completed": "f.completed",
    "fee": "f.fee",
    "paid_known": "f.paid_known",
    "paid": "f.paid",
    "system_updated": "f.system_updated",
    "dislike": "f.dislike",
    "has_pause": "f.has_pause",
    "pause_uncovered": "f.pause_uncovered",
}


def _sums_sql(keys: list[str]) -> str:
    """Two steps: the classified rows counted by period, group, outcome and flags (each row's
    classification evaluated once), then the indicators summed over those counts."""
    group = ", ".join(["f.pid", *(f"f.{_q(c)}" for c in keys)])
    bits = " | ".join(f"(CAST({e} AS BIGINT) << {i})" for i, e in enumerate(_FLAGS.values()))
    decode = ", ".join(f"(g.bits >> {i}) & 1 = 1 AS {name}" for i, name in enumerate(_FLAGS))
    sums = []
    for i, name in enumerate(_KPIS):
        k, n = _INDICATORS[name]
        sums.append(f"sum(f.cnt * CAST({k} AS BIGINT)) AS k{i}")
        sums.append(f"sum(f.cnt * CAST({n} AS BIGINT)) AS n{i}")
    outer = ", ".join(["f.pid", *(f"f.{_q(c)}" for c in keys)])
    return (
        f", g AS (SELECT {group}, f.outcome, {bits} AS bits, count(*) AS cnt FROM f GROUP BY ALL)"
        f", h AS (SELECT g.*, {decode} FROM g) "
        f"SELECT {outer}, {', '.join(sums)}, "
        "sum(f.cnt) FILTER (WHERE f.has_pause) AS n_pause, "
        "sum(f.cnt) FILTER (WHERE f.pause_uncovered) AS n_pause_uncovered "
        f"FROM h AS f GROUP BY {outer}"
    )


def _classified_sql(keys: list[str], rules: KpiRules, dislike: list[str], covered: str) -> str:
    """``WITH … f AS (…)``: ``f`` has one row per dossier × period in its scope, classified."""
    end_at = (
        "coalesce(s.finished_at, s.returned_at, s.stopped_at)"
        if rules.end_of_processing == "priority"
        else "least(s.finished_at, s.returned_at, s.stopped_at)"
    )
    dims_select = ", ".join(f"s.{_q(c)}" for c in keys) if keys else "NULL AS _no_dimension"
    return (
        "WITH d AS ("
        + _DOSSIER_SQL.format(
            dims_select=dims_select,
            end_at=end_at,
            dislike=_sql_list(dislike),
            stop_codes=_sql_list(STOP_CODES),
        )
        + "), x AS ("
        + _PERIOD_SQL
        + "), y AS ("
        + _PAUSE_SQL.format(covered=covered)
        + "), z AS ("
        + _JUDGE_SQL
        + "), o AS ("
        + _OUTCOME_SQL
        + "), r AS ("
        + _CLASS_SQL
        + "), f AS ("
        + _FINAL_SQL.format(lead=int(rules.apology_lead_days))
        + ") "
    )


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
        pa.table({"idx": np.arange(int(working.sum()), dtype=np.int64), "day": days[working]}),
    )


def _source(dossiers: pd.DataFrame, keys: list[str]) -> pa.Table:
    """The columns the SQL reads as an Arrow table (no copy for most columns)."""
    cols = [c for c in dict.fromkeys([*_COLUMNS, *keys]) if c in dossiers.columns]
    missing = [c for c in _COLUMNS if c not in dossiers.columns and c not in _OPTIONAL]
    if missing:
        raise KeyError(f"kpi_sql: the dossier frame lacks {missing}")
    table = pa.Table.from_pandas(dossiers[cols], preserve_index=False)
    for c in _OPTIONAL:
        if c not in dossiers.columns:
            typ = pa.timestamp("us") if _COLUMNS[c] == "TIMESTAMP" else pa.string()
            table = table.append_column(c, pa.nulls(len(table), typ))
    return table


def _periods_table(periods: list[tuple], cum: pa.Array, window_start) -> pa.Table:
    """One row per period: its bounds and the calendar position of its last day."""
    end_days = np.array(
        [pd.Timestamp(p[4]).normalize().to_datetime64() for p in periods], dtype="datetime64[us]"
    )
    starts = np.array(
        [pd.Timestamp(p[3]).normalize().to_datetime64() for p in periods], dtype="datetime64[us]"
    )
    offsets = (end_days.astype("datetime64[D]") - window_start).astype(np.int64)
    return pa.table(
        {
            "pid": np.arange(len(periods), dtype=np.int64),
            "p_start": starts,
            "end_day": end_days,
            "end_excl": end_days + np.timedelta64(1, "D"),
            "cum_end_day": cum.to_numpy()[offsets],
            "end_year": np.array([pd.Timestamp(p[4]).year for p in periods], dtype=np.int64),
        }
    )


def _dislike_values(dossiers: pd.DataFrame) -> list[str]:
    """The citizen ratings that read "Không hài lòng" (folded, as the pandas implementation)."""
    if "citizen_rating" not in dossiers.columns:
        return []
    values = pd.unique(dossiers["citizen_rating"].dropna())
    return [v for v in values if isinstance(v, str) and _is_dislike(v)]


_DAY_COLUMNS = [
    "supplement_requested_at",
    "supplement_completed_at",
    "finished_at",
    "returned_at",
    "stopped_at",
    "due_at",
    "expected_due_at",
]


def _check_window(con, calendar: WorkCalendar) -> None:
    """The calendar refuses a date outside its window (``WorkCalendar._index``): so does the
    engine, with the same message (checked on every date it looks up, used or not)."""
    lo, hi = f"DATE '{calendar.WINDOW_START}'", f"DATE '{calendar.WINDOW_END}'"
    parts = ", ".join(f"min({c}), max({c})" for c in _DAY_COLUMNS)
    row = con.execute(f"SELECT {parts} FROM src").fetchone()
    lo_np, hi_np = calendar.WINDOW_START, calendar.WINDOW_END + np.timedelta64(1, "D")
    inside = all(v is None or lo_np <= np.datetime64(pd.Timestamp(v).normalize().date()) < hi_np for v in row)
    if inside:
        return
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
    dossiers: pd.DataFrame,
    calendar: WorkCalendar,
    year: int,
    quarter: int,
    *,
    procedures: pd.DataFrame | None = None,
    dimensions: list[str] | None = None,
    history_from: int | None = None,
    history_dimensions: list[str] | None = None,
    rules: KpiRules | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """:func:`parlib.analysis.kpi_table.kpi_table` on DuckDB: same arguments, same frame.

    ``threads``: DuckDB worker threads (default: DuckDB's, one per core). Raises ConfigError as
    the pandas implementation does (a supplement pause in a year without a complete holiday
    schedule; a date outside the calendar's window)."""
    rules = rules or KpiRules()
    dims = DIMENSIONS if dimensions is None else dimensions
    hist = history_dimensions or []
    keys = list(dict.fromkeys([*dims, *hist]))
    periods = _periods(year, quarter, history_from)
    cal_t, wd_t = calendar_tables(calendar)
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.register("src", _source(dossiers, keys))
        con.register("cal", cal_t)
        con.register("wd", wd_t)
        con.register("periods", _periods_table(periods, cal_t.column("cum"), calendar.WINDOW_START))
        _check_window(con, calendar)
        covered = (
            "(" + ", ".join(str(y) for y in sorted(calendar.years)) + ")" if calendar.years else "(NULL)"
        )
        classified = _classified_sql(keys, rules, _dislike_values(dossiers), covered)
        sums = con.execute(classified + _sums_sql(keys)).df()
        _check_pause_years(con, classified, sums, periods, calendar)
    finally:
        con.close()
    names = (
        procedures.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
        if procedures is not None
        else pd.Series(dtype="str")
    )
    names = names.combine_first(
        dossiers.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
    )
    blocks = _blocks(sums, periods, dossiers, procedures, dims, hist, year)
    return _long_table(blocks, _KPIS, names)


def _check_pause_years(con, classified: str, sums, periods, calendar: WorkCalendar) -> None:
    """classify_dossiers refuses a period with a supplement pause in, or ending in, a year without
    a complete holiday schedule: the first such period, in the order of the periods, with the
    years of its pauses (looked up only then)."""
    if sums.empty:
        return
    per = sums.groupby("pid")[["n_pause", "n_pause_uncovered"]].sum()
    for pid, (kind, key, label, start, end) in enumerate(periods):
        if pid not in per.index or per.at[pid, "n_pause"] == 0:
            continue
        end_year = pd.Timestamp(end).year
        if per.at[pid, "n_pause_uncovered"] == 0 and end_year in calendar.years:
            continue
        rows = con.execute(
            classified + f" SELECT DISTINCT year(req) FROM f WHERE pid = {pid} AND has_pause "
            f"UNION SELECT DISTINCT CASE WHEN comp_le THEN year(comp) ELSE year(eval_at) END "
            f"FROM f WHERE pid = {pid} AND has_pause"
        ).fetchall()
        calendar.check_years({int(r[0]) for r in rows} | {end_year}, _PAUSE_PURPOSE)


def _blocks(sums, periods, dossiers, procedures, dims, hist, year) -> list:
    """kpi_table's aggregated blocks (as parlib.analysis.kpi_table builds them) from the sums per
    period × combination of dimensions: per period the total, then each dimension's groups
    (pandas' group order; the catalogue's groups without dossiers added by the same
    ``Index.union`` as the pandas implementation)."""
    n_kpi = len(_KPIS)
    cols = [f"k{i}" for i in range(n_kpi)] + [f"n{i}" for i in range(n_kpi)]
    totals = sums.groupby("pid")[cols].sum()
    by_dim = {}
    for dim in dict.fromkeys([*dims, *hist]):
        typed = sums[["pid", dim, *cols]].astype({dim: dossiers[dim].dtype})
        g = typed.groupby(["pid", dim], dropna=False, sort=True)[cols].sum()
        pids = g.index.get_level_values(0).to_numpy()
        by_dim[dim] = (pids, g.index.get_level_values(1), g.to_numpy(dtype=np.int64))
    catalogue = {
        dim: pd.Index(procedures[dim].drop_duplicates(), name=dim)
        for dim in by_dim
        if procedures is not None and dim in procedures.columns
    }
    zeros = np.zeros((1, 2 * n_kpi), dtype=np.int64)
    blocks = []
    for pid, (kind, key, label, start, end) in enumerate(periods):
        head = (kind, key, label, start, end)
        total = totals.loc[[pid]].to_numpy(dtype=np.int64) if pid in totals.index else zeros
        blocks.append((head, "all", np.array(["Tất cả"]), total[:, :n_kpi], total[:, n_kpi:]))
        for dim in dims if start.year == year else hist:
            pids, values, matrix = by_dim[dim]
            lo, hi = np.searchsorted(pids, pid, "left"), np.searchsorted(pids, pid, "right")
            index, mat = values[lo:hi].rename(dim), matrix[lo:hi]
            if dim in catalogue:
                union = index.union(catalogue[dim])
                full = np.zeros((len(union), 2 * n_kpi), dtype=np.int64)
                full[union.get_indexer(index)] = mat
                index, mat = union, full
            shown = index.to_series().astype("string").fillna("").astype(str).to_numpy()
            blocks.append((head, dim, shown, mat[:, :n_kpi], mat[:, n_kpi:]))
    return blocks
