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
    c_due.cum - c_due.wk AS due_idx,
    -- positions among the periods' bounds (see classified_sql) of the receipt, the end, the
    -- apology and the scope bound: in the scope of a period starting on or before the bound —
    -- open, or ended (earliest end) on or after the start, or received on or after it
    {rec_pos} AS rec_pos,
    c_end.pos AS end_pos,
    {apol_pos} AS apol_pos,
    CASE WHEN {scope_end} IS NULL THEN {n_bounds}
         ELSE greatest({scope_end_pos}, {rec_pos}) END AS upto_pos{upto_rule_pos}
FROM src AS s{kid_join}
LEFT JOIN cal AS c_req ON c_req.day = CAST(s.supplement_requested_at AS DATE)
LEFT JOIN cal AS c_comp ON c_comp.day = CAST(s.supplement_completed_at AS DATE)
LEFT JOIN cal AS c_end ON c_end.day = CAST({end_at} AS DATE)
LEFT JOIN cal AS c_due ON c_due.day = CAST(coalesce(s.due_at, s.expected_due_at) AS DATE)
LEFT JOIN cal AS c_rec ON c_rec.day = CAST(s.received_at AS DATE)
LEFT JOIN cal AS c_apol ON c_apol.day = CAST(s.apology_at AS DATE){first_join}
"""

# Each dossier is classified once per evaluation instant, not once per period: ended (by the
# rule) — evaluated at its end, the same in every period ending after it — or still open at a
# period's last day E — evaluated at E, the same in every period ending on E (months, quarters and
# the year to date share their ends). What differs from period to period (in its scope, received
# in it, completed in it, apology by its end) depends only on where the receipt, the end, the
# apology and the scope bound fall among the periods' first days and day-after-ends: the
# evaluations are counted by those positions, and the counts, a few hundred thousand rows, are
# joined to the periods.
_EVAL_SQL = """
SELECT d.*, e.is_fin AS fin, CASE WHEN e.is_fin THEN d.end_at ELSE e.end_day END AS eval_at,
    e.end_day AS e_end_day, e.end_excl AS e_end_excl, e.end_excl_us AS e_end_excl_us,
    e.end_day_d AS e_end_day_d, e.cum_end_day AS e_cum_end_day, e.end_year AS e_end_year
FROM d JOIN (
    SELECT true AS is_fin, NULL::TIMESTAMP AS end_day, max(end_excl) AS end_excl, NULL::BIGINT AS end_excl_us,
        NULL::BIGINT AS end_day_d, NULL::BIGINT AS cum_end_day, NULL::BIGINT AS end_year FROM periods
    UNION ALL
    SELECT DISTINCT false, end_day, end_excl, end_excl_us, end_day_d, cum_end_day, end_year FROM periods
) AS e ON CASE WHEN e.is_fin THEN d.end_at < e.end_excl
               ELSE d.rec < e.end_excl AND coalesce(d.end_at >= e.end_excl, true) END
"""

# the supplement pause: working days in (request, completion capped at the evaluation instant]
_PAUSE_SQL = """
SELECT x.*,
    x.req IS NOT NULL AND x.req <= x.eval_at AS has_pause,
    coalesce(x.comp <= x.eval_at, false) AS comp_le,
    CASE WHEN x.req IS NOT NULL AND x.req <= x.eval_at THEN greatest(
        CASE WHEN coalesce(x.comp <= x.eval_at, false) THEN x.cum_comp
             WHEN x.fin THEN x.cum_end ELSE x.e_cum_end_day END - x.cum_req, 0)
         ELSE 0 END AS pause,
    x.req IS NOT NULL AND x.req <= x.eval_at AND (
        x.req_y NOT IN {covered}
        OR CASE WHEN coalesce(x.comp <= x.eval_at, false) THEN x.comp_y
                WHEN x.fin THEN x.end_y ELSE x.e_end_year END NOT IN {covered}) AS pause_uncovered
FROM ev AS x
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
    coalesce(CASE WHEN z.hours THEN z.allowed_us < z.e_end_excl_us ELSE z.allowed_d < z.e_end_day_d END, false)
        AS overdue,
    z.due IS NULL AS no_due,
    NOT z.fin AND coalesce(z.snapshot < z.e_end_excl, false) AS stale,
    NOT z.fin AND z.has_pause AND (z.comp IS NULL OR z.comp > z.eval_at) AS waiting,
    coalesce(z.apology_d <= z.allowed_d - {lead}, false) AS apol_ok
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
    r.fin AND NOT r.stopped_kind AS has_result
FROM r
"""

# an evaluation in a period's scope: received by its end, scope bound on or after its start, and
# ended before its end (evaluated at the end) or open at its last day (evaluated there)
_IN_PERIOD = (
    "{a}.rec_pos < p.e_pos AND {in_scope} AND CASE WHEN {a}.fin THEN {a}.end_pos < p.e_pos "
    "ELSE {a}.e_end_day = p.end_day END"
)

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
# the flags that depend on the period (where the receipt, end and apology fall): set when the
# evaluations' counts are joined to the periods; two more bits of an evaluation, read there
_PER_PERIOD = ["proc", "has_apology", "apology_on_time", "in_rec", "completed"]
_STALE_BIT, _APOL_OK_BIT = len(_FLAGS), len(_FLAGS) + 1


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
_SATISFACTION_WEIGHT = (
    f"CASE WHEN {_KNOWN} THEN 1 - CAST(f.outcome = 1 AS BIGINT) - CAST(f.dislike AS BIGINT) ELSE 0 END"
)


# the flags that depend on the dossier only: packed once per dossier (``sbits``), not per period
_STATIC = [
    "resched1", "resched2", "online_n", "online_k", "dig_n", "dig_k", "dig_n_result", "dig_k_result",
    "eres_n", "eres_k", "pay_n", "pay_k", "system_updated", "dislike",
]  # fmt: skip


def _pack(names: list[str], alias: str = "") -> str:
    """The flags ``names`` packed into one integer (bit i: ``_FLAGS[i]``)."""
    return " | ".join(f"(CAST({alias}{n} AS INTEGER) << {_FLAGS.index(n)})" for n in names)


def counts_sql(*, copies: bool = False) -> str:
    """The classified rows' counts (``mrows``) summed by period ``pid``, group number ``gid``,
    ``outcome`` and packed flags ``bits`` (``cnt``: a 64-bit integer). ``copies``: the table
    ``copies(dst, src)`` adds period src's counts to period dst's. The indicators are not summed
    here: each is a function of (outcome, bits), of which there are a few thousand at most —
    :func:`weights_sql` evaluates them once per pair and the caller multiplies (DuckDB would
    evaluate 26 filtered sums on every row: the largest part of a department's scan)."""
    m = "m0" if copies else "m"
    copied = (
        ", m AS (SELECT * FROM m0 UNION ALL "
        "SELECT c.dst AS pid, m0.gid, m0.outcome, m0.bits, m0.cnt FROM m0 JOIN copies AS c ON m0.pid = c.src)"
        if copies
        else ""
    )
    return (
        f", {m} AS (SELECT pid, gid, outcome, bits, CAST(sum(cnt) AS BIGINT) AS cnt FROM mrows GROUP BY ALL)"
        f"{copied} SELECT pid, gid, outcome, bits, cnt FROM m"
    )


# the weights' columns: k0, n0, k1, n1 … in the order of KPIS, then the pause counts
WEIGHTS = [f"{kn}{i}" for i in range(len(KPIS)) for kn in "kn"] + ["n_pause", "n_pause_uncovered"]


def weights_sql() -> str:
    """For each (outcome, bits) of the table ``combos``: how much one evaluation counts in each
    column of :data:`WEIGHTS` — 1 or 0 (the indicators' conditions), and for 766 5.4's numerator
    1 − late − disliked when the outcome is known (so a group's sum may be below 0)."""
    cols = []
    for i, name in enumerate(KPIS):
        k, n = _INDICATORS[name]
        k_sql = _SATISFACTION_WEIGHT if k is None else f"CAST(({k}) AS BIGINT)"
        cols.append(f"{_b(k_sql)} AS k{i}")
        cols.append(f"CAST(({_b(n)}) AS BIGINT) AS n{i}")
    cols.append(f"CAST({_BIT['has_pause']} AS BIGINT) AS n_pause")
    cols.append(f"CAST({_BIT['pause_uncovered']} AS BIGINT) AS n_pause_uncovered")
    return f"SELECT {', '.join(cols)} FROM combos AS m"


def kid_sql(keys: list[str]) -> str:
    """The temporary table ``kid``: each combination of the group columns ``keys`` in the
    dossiers once, numbered ``gid`` 1, 2 … The classification's rows carry only that number;
    the caller reads the combinations back from it."""
    cols = ", ".join(_q(c) for c in keys)
    return f"CREATE TEMP TABLE kid AS SELECT *, row_number() OVER () AS gid FROM (SELECT DISTINCT {cols} FROM src)"


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
    keys: list[str],
    rules: KpiRules,
    dislike: list[str],
    covered: str,
    *,
    scope: str = "first_end",
    bounds,
    window,
) -> tuple[str, str]:
    """``WITH … mrows AS (…)`` — the dossiers in each period's scope, classified, counted
    (``cnt``) by period ``pid``, group number ``gid``, ``outcome`` and packed flags ``bits`` —
    and the CTE to append for the check of the holiday schedules' years, ``, f AS (…)``: one
    row per dossier evaluation × period in its scope with the pause's columns (``has_pause``,
    ``comp_le``, ``comp``, ``eval_at``, ``req``). Apart, so that the main query names each
    evaluation once (DuckDB would store a CTE read twice).

    The tables: ``src`` (the dossiers), ``kid`` (:func:`kid_sql`, when there are ``keys``),
    ``cal(day, cum, wk, pos)`` — ``pos``: how many of the
    periods' ``bounds`` (their first days and the days after their ends, sorted dates) fall on
    or before the day —, ``wd`` and ``periods`` (with ``s_pos``, ``e_pos``: the positions of its
    first day and of the day after its end). ``window``: the calendar table's first day and the
    day after its last (``YYYY-MM-DD`` texts, as ``bounds``); a receipt or apology outside it is
    placed among the bounds by comparing dates.

    ``scope``: which end of processing puts a dossier ended before a period out of its scope —
    ``first_end`` (the earliest of the three dates: what kpi_table selects), ``rule`` (the
    end of processing of the rules: what classify_dossiers selects) or ``per_period`` (the
    periods table's ``by_rule`` column chooses, period by period: the KPI table's periods and
    the offices' windows in one scan). They differ only for a record carrying several end dates
    under the ``priority`` rule."""
    end_at, first_end = _end_at(rules), _FIRST_END
    scope_end = end_at if scope == "rule" else first_end
    both = scope == "per_period" and end_at != first_end  # else the two scopes are one

    n_bounds = len(bounds)
    first, last = (str(d) for d in window)
    # bounds within the window (the usual case): a day outside it is before or after all of them
    within = all(first <= b <= last for b in bounds)

    def position(column: str) -> str:
        """The position of an instant that may lie outside the calendar's window (a typing
        error in a year): before or after every bound, or compared with each bound when some
        bound lies outside the window too (a cost per row of the whole column)."""
        day = f"CAST({column} AS DATE)"
        outside = (
            f"CASE WHEN {day} < DATE '{first}' THEN 0 ELSE {n_bounds} END"
            if within
            else " + ".join(f"CAST({day} >= DATE '{b}' AS INTEGER)" for b in bounds) or "0"
        )
        return f"CASE WHEN {column} IS NULL THEN NULL ELSE coalesce({{alias}}.pos, {outside}) END"

    rec_pos = position("s.received_at").format(alias="c_rec")
    upto_rule_pos = (
        f",\n    CASE WHEN {end_at} IS NULL THEN {n_bounds} ELSE greatest(c_end.pos, {rec_pos}) END AS upto_rule_pos"
        if both
        else ""
    )
    # diff_only: the dossiers in the rule's scope and not in the first end's (see period_sums)
    in_scope = (
        "CASE WHEN p.diff_only THEN {a}.upto_pos < p.s_pos AND {a}.upto_rule_pos >= p.s_pos "
        "WHEN p.by_rule THEN {a}.upto_rule_pos >= p.s_pos ELSE {a}.upto_pos >= p.s_pos END"
        if both
        else "{a}.upto_pos >= p.s_pos"
    )
    in_period = {a: _IN_PERIOD.format(a=a, in_scope=in_scope.format(a=a)) for a in ("a", "g")}
    # each combination of the group columns numbered once (the table kid); the rows carry its number
    on = " AND ".join(f"s.{_q(c)} IS NOT DISTINCT FROM kid.{_q(c)}" for c in keys)
    # the evaluations counted by what the periods look at (g), then joined to the periods
    per_eval = [n for n in _FLAGS if n not in _STATIC and n not in _PER_PERIOD]
    upto_cols = "a.upto_pos, a.upto_rule_pos" if both else "a.upto_pos"
    g_sql = (
        "SELECT a.gid, a.fin, a.e_end_day, a.rec_pos, CASE WHEN a.fin THEN a.end_pos END AS end_pos, "
        f"a.apol_pos, {upto_cols}, CAST(a.outcome AS TINYINT) AS outcome, "
        f"a.sbits | {_pack(per_eval, 'a.')} | (CAST(a.stale AS INTEGER) << {_STALE_BIT}) "
        f"| (CAST(a.apol_ok AS INTEGER) << {_APOL_OK_BIT}) AS abits, count(*) AS cnt FROM a GROUP BY ALL"
    )
    has_apology = "coalesce(g.apol_pos < p.e_pos, false)"
    per_period = {
        "proc": f"CASE WHEN g.fin THEN g.end_pos >= p.s_pos ELSE true END AND (g.abits & {1 << _STALE_BIT}) = 0",
        "has_apology": has_apology,
        "apology_on_time": f"{has_apology} AND (g.abits & {1 << _APOL_OK_BIT}) <> 0",
        "in_rec": "g.rec_pos >= p.s_pos",
        "completed": f"g.fin AND g.end_pos >= p.s_pos AND {_BIT['has_result'].replace('m.bits', 'g.abits')}",
    }
    period_bits = " | ".join(f"(CAST(({e}) AS INTEGER) << {_FLAGS.index(n)})" for n, e in per_period.items())
    mrows_sql = (
        f"SELECT p.pid, g.gid, g.outcome, (g.abits & {(1 << len(_FLAGS)) - 1}) | {period_bits} AS bits, g.cnt "
        f"FROM g JOIN periods AS p ON {in_period['g']}"
    )
    f_sql = (
        "SELECT p.pid, a.has_pause, a.comp_le, a.comp, a.eval_at, a.req "
        f"FROM a JOIN periods AS p ON {in_period['a']}"
    )
    return (
        "WITH d0 AS ("
        + _DOSSIER_SQL.format(
            gid="kid.gid" if keys else "0 AS gid",
            kid_join=f" JOIN kid ON {on}" if keys else "",
            end_at=end_at,
            scope_end=scope_end,
            dislike=_sql_list(dislike),
            stop_codes=_sql_list(STOP_CODES),
            rec_pos=rec_pos,
            apol_pos=position("s.apology_at").format(alias="c_apol"),
            n_bounds=n_bounds,
            scope_end_pos="c_end.pos" if scope_end == end_at else "c_first.pos",
            upto_rule_pos=upto_rule_pos,
            first_join=""
            if scope_end == end_at
            else f"\nLEFT JOIN cal AS c_first ON c_first.day = CAST({scope_end} AS DATE)",
        )
        + "), d AS (SELECT d0.* EXCLUDE ("
        + ", ".join(_STATIC)
        + "), "
        + _pack(_STATIC)
        + " AS sbits FROM d0), ev AS ("
        + _EVAL_SQL
        + "), y AS ("
        + _PAUSE_SQL.format(covered=covered)
        + "), z AS ("
        + _JUDGE_SQL
        + "), o AS ("
        + _OUTCOME_SQL.format(lead=int(rules.apology_lead_days))
        + "), r AS ("
        + _CLASS_SQL
        + "), a AS ("
        + _FINAL_SQL
        + "), g AS ("
        + g_sql
        + "), mrows AS ("
        + mrows_sql
        + ") "
    ), f", f AS ({f_sql}) "
