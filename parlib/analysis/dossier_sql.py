"""The 766 classification of :func:`parlib.analysis.kpi.classify_dossiers` and the indicators of
:func:`parlib.analysis.kpi._indicators` as DuckDB SQL (text only; run by
:mod:`parlib.analysis.kpi_sql`, which registers the tables ``src`` — the dossiers —, ``cal``,
``wd`` and ``periods``). Each CTE adds the columns of one step, named as in the pandas code.
"""

from __future__ import annotations

from parlib.core.labels import KPI_LABELS
from parlib.model.dossier_rules import STOP_CODES, KpiRules

KPIS = list(KPI_LABELS)


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


def sums_sql(keys: list[str]) -> str:
    """Two steps: the classified rows counted by period, group, outcome and flags (each row's
    classification evaluated once), then the indicators summed over those counts."""
    group = ", ".join(["f.pid", *(f"f.{_q(c)}" for c in keys)])
    bits = " | ".join(f"(CAST({e} AS BIGINT) << {i})" for i, e in enumerate(_FLAGS.values()))
    decode = ", ".join(f"(g.bits >> {i}) & 1 = 1 AS {name}" for i, name in enumerate(_FLAGS))
    sums = []
    for i, name in enumerate(KPIS):
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


def classified_sql(keys: list[str], rules: KpiRules, dislike: list[str], covered: str) -> str:
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
