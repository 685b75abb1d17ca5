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
# Dates are compared as day numbers (days since 1970-01-01) and instants as microseconds: the
# casts are done once per dossier, and each dossier × period row compares integers.

# per dossier, once: end of processing, its kind, due basis, calendar positions, static flags
_DOSSIER_SQL = """
SELECT
    {gid},
    s.received_at AS rec,
    {end_at} AS end_at,
    -- in the scope of a period starting on or before this instant (and ending after receipt):
    -- open, or ended (earliest end) on or after the start, or received on or after it
    CASE WHEN {scope_end} IS NULL THEN TIMESTAMP '9999-12-31'
         ELSE greatest({scope_end}, s.received_at) END AS upto,{upto_rule}
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
    CAST({end_at} AS DATE) - DATE '1970-01-01' AS end_d,
    epoch_us({end_at}) AS end_us,
    CAST(coalesce(s.due_at, s.expected_due_at) AS DATE) - DATE '1970-01-01' AS due_d,
    epoch_us(coalesce(s.due_at, s.expected_due_at))
        - (CAST(coalesce(s.due_at, s.expected_due_at) AS DATE) - DATE '1970-01-01') * 86400000000 AS due_tod,
    CAST(s.apology_at AS DATE) - DATE '1970-01-01' AS apology_d,
    year(s.supplement_requested_at) AS req_y,
    year(s.supplement_completed_at) AS comp_y,
    year({end_at}) AS end_y,
    -- the request judged against the due (766 2.1): instants for hours, dates otherwise
    coalesce(CASE WHEN s.deadline_unit = 'hours'
                  THEN s.supplement_requested_at > coalesce(s.due_at, s.expected_due_at)
                  ELSE CAST(s.supplement_requested_at AS DATE)
                       > CAST(coalesce(s.due_at, s.expected_due_at) AS DATE) END, false) AS req_after_due,
    -- the parts of the indicators that depend on the dossier only
    coalesce(s.reschedule_count, 0) >= 1 AS resched1,
    coalesce(s.reschedule_count, 0) > 1 AS resched2,
    s.channel IS NOT NULL AND NOT (coalesce(s.channel = 2, false) AND coalesce(s.has_paper_result, false)
        AND s.has_e_result IS NULL) AS online_n,
    s.channel IS NOT NULL AND NOT (coalesce(s.channel = 2, false) AND coalesce(s.has_paper_result, false)
        AND s.has_e_result IS NULL) AND coalesce(s.channel = 2, false)
        AND (NOT coalesce(s.has_paper_result, false) OR coalesce(s.has_e_result, false)) AS online_k,
    s.is_digitised IS NOT NULL AS dig_n,
    coalesce(s.is_digitised, false) AS dig_k,
    s.is_digitised IS NOT NULL AND s.has_e_result IS NOT NULL AS dig_n_result,
    coalesce(s.is_digitised, false) AND coalesce(s.has_e_result, false) AS dig_k_result,
    coalesce(s.has_paper_result, false) AND s.has_e_result IS NOT NULL AS eres_n,
    coalesce(s.has_paper_result, false) AND coalesce(s.has_e_result, false) AS eres_k,
    coalesce(s.fee_vnd, 0) > 0 AND NOT isnan(coalesce(s.fee_vnd, 0)) AND s.is_paid_online IS NOT NULL AS pay_n,
    coalesce(s.fee_vnd, 0) > 0 AND NOT isnan(coalesce(s.fee_vnd, 0)) AND coalesce(s.is_paid_online, false)
        AS pay_k,
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
FROM src AS s{kid_join}
LEFT JOIN cal AS c_req ON c_req.day = CAST(s.supplement_requested_at AS DATE)
LEFT JOIN cal AS c_comp ON c_comp.day = CAST(s.supplement_completed_at AS DATE)
LEFT JOIN cal AS c_end ON c_end.day = CAST({end_at} AS DATE)
LEFT JOIN cal AS c_due ON c_due.day = CAST(coalesce(s.due_at, s.expected_due_at) AS DATE)
"""

# per dossier × period in its scope
_PERIOD_SQL = """
SELECT d.*, p.pid, p.p_start, p.end_excl, p.end_excl_us, p.end_day, p.end_day_d, p.cum_end_day, p.end_year,
    coalesce(d.end_at < p.end_excl, false) AS fin,
    d.rec < p.end_excl AND (d.end_at IS NULL OR d.end_at >= p.p_start) AS in_proc,
    d.rec >= p.p_start AND d.rec < p.end_excl AS in_rec,
    CASE WHEN coalesce(d.end_at < p.end_excl, false) THEN d.end_at ELSE p.end_day END AS eval_at
FROM d JOIN periods AS p ON d.rec < p.end_excl AND {in_scope}
"""

# the supplement pause: working days in (request, completion capped at the evaluation instant]
_PAUSE_SQL = """
SELECT x.*,
    x.req IS NOT NULL AND x.req <= x.eval_at AS has_pause,
    coalesce(x.comp <= x.eval_at, false) AS comp_le,
    CASE WHEN x.req IS NOT NULL AND x.req <= x.eval_at THEN greatest(
        CASE WHEN coalesce(x.comp <= x.eval_at, false) THEN x.cum_comp
             WHEN x.fin THEN x.cum_end ELSE x.cum_end_day END - x.cum_req, 0)
         ELSE 0 END AS pause,
    x.req IS NOT NULL AND x.req <= x.eval_at AND (
        x.req_y NOT IN {covered}
        OR CASE WHEN coalesce(x.comp <= x.eval_at, false) THEN x.comp_y
                WHEN x.fin THEN x.end_y ELSE x.end_year END NOT IN {covered}) AS pause_uncovered
FROM x
"""

# allowed due = due + pause working days (day number; + the due's time of day for hours)
_JUDGE_SQL = """
SELECT y.*,
    CASE WHEN y.pause > 0 AND y.due IS NOT NULL THEN w.day_d ELSE y.due_d END AS allowed_d,
    CASE WHEN y.pause > 0 AND y.due IS NOT NULL THEN w.day_d ELSE y.due_d END * 86400000000
        + y.due_tod AS allowed_us
FROM y LEFT JOIN wd AS w ON y.pause > 0 AND w.idx = y.due_idx + y.pause
"""

_OUTCOME_SQL = """
SELECT z.*,
    coalesce(CASE WHEN z.hours THEN z.end_us > z.allowed_us ELSE z.end_d > z.allowed_d END, false)
        AS late_fin,
    coalesce(z.end_d < z.allowed_d, false) AS early,
    coalesce(CASE WHEN z.hours THEN z.allowed_us < z.end_excl_us ELSE z.allowed_d < z.end_day_d END, false)
        AS overdue,
    z.due IS NULL AS no_due,
    NOT z.fin AND coalesce(z.snapshot < z.end_excl, false) AS stale,
    NOT z.fin AND z.has_pause AND (z.comp IS NULL OR z.comp > z.eval_at) AS waiting,
    coalesce(z.apology < z.end_excl, false) AS has_apology
FROM z
"""

_CLASS_SQL = """
SELECT o.*, o.waiting AND o.req_after_due AS req_late
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
    r.has_apology AND coalesce(r.apology_d <= r.allowed_d - {lead}, false) AS apology_on_time,
    r.in_proc AND NOT r.stale AS proc,
    r.fin AND NOT r.stopped_kind AS has_result,
    r.fin AND coalesce(r.end_at >= r.p_start, false) AND NOT r.stopped_kind AS completed
FROM r
"""

# the booleans the indicators read, packed into one integer per row (bit i: _FLAGS[i]); the
# packed rows are materialised, so that each row's classification is evaluated once (DuckDB would
# otherwise inline the outcome's CASE into every count)
_FLAGS = [
    "proc",
    "owes",
    "has_apology",
    "apology_on_time",
    "resched1",
    "resched2",
    "in_rec",
    "online_n",
    "online_k",
    "has_result",
    "dig_n",
    "dig_k",
    "dig_n_result",
    "dig_k_result",
    "completed",
    "eres_n",
    "eres_k",
    "pay_n",
    "pay_k",
    "system_updated",
    "dislike",
    "has_pause",
    "pause_uncovered",
]
_BIT = {name: f"(m.bits & {1 << i} <> 0)" for i, name in enumerate(_FLAGS)}


def _b(expr: str) -> str:
    """``f.<flag>`` -> the bit test on the packed row."""
    for name in sorted(_FLAGS, key=len, reverse=True):
        expr = expr.replace(f"f.{name}", _BIT[name])
    return expr.replace("f.outcome", "m.outcome")


# the twelve indicators of parlib.analysis.kpi._indicators: (numerator, denominator) conditions
_KNOWN = "(f.proc AND f.outcome <> 0)"
_OWES = "(f.proc AND f.owes)"
_APOL = f"({_OWES} AND f.has_apology)"
_DIG_N = "(f.in_rec AND CASE WHEN f.has_result THEN f.dig_n_result ELSE f.dig_n END)"
_DIG_K = "(f.in_rec AND CASE WHEN f.has_result THEN f.dig_k_result ELSE f.dig_k END)"
_INDICATORS = {
    "on_time_pct": (f"{_KNOWN} AND f.outcome >= 2", _KNOWN),
    "early_pct": (f"{_KNOWN} AND f.outcome = 2", _KNOWN),
    "late_pct": (f"{_KNOWN} AND f.outcome = 1", _KNOWN),
    "apology_pct": (_APOL, _OWES),
    "apology_on_time_pct": (f"{_APOL} AND f.apology_on_time", _APOL),
    "reschedule_violation_pct": ("f.proc AND f.resched2", "f.proc AND f.resched1"),
    "online_pct": ("f.in_rec AND f.online_k", "f.in_rec AND f.online_n"),
    "digitised_pct": (f"{_DIG_N} AND {_DIG_K}", _DIG_N),
    "e_result_pct": ("f.completed AND f.eres_k", "f.completed AND f.eres_n"),
    "online_payment_pct": ("f.in_rec AND f.pay_k", "f.in_rec AND f.pay_n"),
    "system_updated_pct": ("f.proc AND f.system_updated", "f.proc"),
    "handling_satisfaction_pct": (None, _KNOWN),
}
# 766 5.4: known − (late and known) − (known and disliked), per dossier (may be −1)
_SATISFACTION_K = (
    f"coalesce(sum(CASE WHEN {_KNOWN} THEN m.cnt * (1 - CAST(f.outcome = 1 AS INTEGER) "
    "- CAST(f.dislike AS INTEGER)) ELSE 0 END), 0)"
)


# the flags that depend on the dossier only: packed once per dossier (``sbits``), not per period
_STATIC = [
    "resched1", "resched2", "online_n", "online_k", "dig_n", "dig_k", "dig_n_result", "dig_k_result",
    "eres_n", "eres_k", "pay_n", "pay_k", "system_updated", "dislike",
]  # fmt: skip


def _pack(names: list[str], alias: str = "") -> str:
    """The flags ``names`` packed into one integer (bit i: ``_FLAGS[i]``)."""
    return " | ".join(f"(CAST({alias}{n} AS INTEGER) << {_FLAGS.index(n)})" for n in names)


def sums_sql(keys: list[str], *, copies: bool = False) -> str:
    """The classified rows counted by period, group number, outcome and packed flags (each row's
    classification evaluated once), the indicators summed over those counts per period and
    group, the groups' values joined back from ``kid`` (only the integer ``gid`` travels).
    ``copies``: the table ``copies(dst, src)`` adds period src's counts to period dst's."""
    bits = "f.sbits | " + _pack([n for n in _FLAGS if n not in _STATIC], "f.")
    sums = []
    for i, name in enumerate(KPIS):
        k, n = _INDICATORS[name]
        k_sql = _SATISFACTION_K if k is None else f"coalesce(sum(m.cnt) FILTER (WHERE {k}), 0)"
        sums.append(f"{_b(k_sql)} AS k{i}")
        sums.append(f"coalesce(sum(m.cnt) FILTER (WHERE {_b(n)}), 0) AS n{i}")
    values = "".join(f"kid.{_q(c)}, " for c in keys)
    join = " JOIN kid USING (gid)" if keys else ""
    m = "m0" if copies else "m"
    copied = (
        ", m AS (SELECT * FROM m0 UNION ALL "
        "SELECT c.dst AS pid, m0.gid, m0.outcome, m0.bits, m0.cnt FROM m0 JOIN copies AS c ON m0.pid = c.src)"
        if copies
        else ""
    )
    return (
        f", {m} AS (SELECT f.pid, f.gid, CAST(f.outcome AS TINYINT) AS outcome, "
        f"{bits} AS bits, count(*) AS cnt FROM f GROUP BY ALL){copied}"
        f", t AS (SELECT m.pid, m.gid, {', '.join(sums)}, "
        f"coalesce(sum(m.cnt) FILTER (WHERE {_BIT['has_pause']}), 0) AS n_pause, "
        f"coalesce(sum(m.cnt) FILTER (WHERE {_BIT['pause_uncovered']}), 0) AS n_pause_uncovered "
        "FROM m GROUP BY m.pid, m.gid) "
        f"SELECT t.pid, {values}t.* EXCLUDE (pid, gid) FROM t{join}"
    )


def scopes_differ(rules: KpiRules) -> bool:
    """Whether the end of processing of ``rules`` can differ from the first of the three end
    dates (then the ``rule`` and ``first_end`` scopes of :func:`classified_sql` differ)."""
    return _end_at(rules) != _FIRST_END


_FIRST_END = "least(s.finished_at, s.returned_at, s.stopped_at)"


def _end_at(rules: KpiRules) -> str:
    return (
        "coalesce(s.finished_at, s.returned_at, s.stopped_at)"
        if rules.end_of_processing == "priority"
        else _FIRST_END
    )


def classified_sql(
    keys: list[str], rules: KpiRules, dislike: list[str], covered: str, *, scope: str = "first_end"
) -> str:
    """``WITH … f AS (…)``: ``f`` has one row per dossier × period in its scope, classified.

    ``scope``: which end of processing puts a dossier ended before a period out of its scope —
    ``first_end`` (the earliest of the three dates: what kpi_table selects), ``rule`` (the
    end of processing of the rules: what classify_dossiers selects) or ``per_period`` (the
    periods table's ``by_rule`` column chooses, period by period: the KPI table's periods and
    the offices' windows in one scan). They differ only for a record carrying several end dates
    under the ``priority`` rule."""
    end_at, first_end = _end_at(rules), _FIRST_END
    scope_end = end_at if scope == "rule" else first_end
    both = scope == "per_period" and end_at != first_end  # else the two scopes are one
    upto_rule = (
        f"\n    CASE WHEN {end_at} IS NULL THEN TIMESTAMP '9999-12-31' "
        f"ELSE greatest({end_at}, s.received_at) END AS upto_rule,"
        if both
        else ""
    )
    # diff_only: the dossiers in the rule's scope and not in the first end's (see period_sums)
    in_scope = (
        "CASE WHEN p.diff_only THEN d.upto < p.p_start AND d.upto_rule >= p.p_start "
        "WHEN p.by_rule THEN d.upto_rule >= p.p_start ELSE d.upto >= p.p_start END"
        if both
        else "d.upto >= p.p_start"
    )
    # each combination of the group columns numbered once (kid); the rows carry its number
    cols = ", ".join(_q(c) for c in keys)
    kid = f"kid AS (SELECT *, row_number() OVER () AS gid FROM (SELECT DISTINCT {cols} FROM src)), "
    on = " AND ".join(f"s.{_q(c)} IS NOT DISTINCT FROM kid.{_q(c)}" for c in keys)
    return (
        "WITH "
        + (kid if keys else "")
        + "d0 AS ("
        + _DOSSIER_SQL.format(
            gid="kid.gid" if keys else "0 AS gid",
            kid_join=f" JOIN kid ON {on}" if keys else "",
            end_at=end_at,
            scope_end=scope_end,
            upto_rule=upto_rule,
            dislike=_sql_list(dislike),
            stop_codes=_sql_list(STOP_CODES),
        )
        + "), d AS (SELECT d0.* EXCLUDE ("
        + ", ".join(_STATIC)
        + "), "
        + _pack(_STATIC)
        + " AS sbits FROM d0), x AS ("
        + _PERIOD_SQL.format(in_scope=in_scope)
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
