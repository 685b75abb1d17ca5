-- The reference of issue 19: ONE plain DuckDB query over the same Parquet file as the KPI step,
-- computing the same table — the k and n of the twelve dossier KPIs for every period of the
-- report (the 21 months and 7 quarters of 2025-01 … 2026-09 and the 2026 year to date), overall
-- and by office, field, procedure and channel (periods of 2025: overall and by office only),
-- with the 766 rules as parlib.analysis.kpi.classify_dossiers states them (default rules:
-- end of processing by priority, apology one day before the due date).
--
-- Written straightforwardly from the pandas code (no packing of flags, no group numbering):
-- each dossier × period row in scope is classified in a few CTEs and the indicators are summed
-- with GROUPING SETS. What the KPI step does besides (and this query does not): rates, Wilson
-- intervals and Vietnamese texts of the long table, the catalogue's groups without dossiers,
-- the calendar-window and holiday-schedule checks. bench/stages.py checks that every k and n
-- of this query equals the KPI table's (rows absent here have k = n = 0 there).
-- Tables: cal(day, cum, wk) and wd(idx, day) as parlib.analysis.kpi_sql.calendar_tables builds
-- them (cumulative working-day index per date); ? is the Parquet path.
WITH periods AS (
    SELECT 'month' AS kind, strftime(m, '%Y-%m') AS period, m AS p_start, m + INTERVAL 1 MONTH AS p_end_excl
    FROM range(TIMESTAMP '2025-01-01', TIMESTAMP '2026-10-01', INTERVAL 1 MONTH) AS t(m)
    UNION ALL
    SELECT 'quarter', strftime(q, '%Y') || '-Q' || quarter(q), q, q + INTERVAL 3 MONTH
    FROM range(TIMESTAMP '2025-01-01', TIMESTAMP '2026-10-01', INTERVAL 3 MONTH) AS t(q)
    UNION ALL
    SELECT 'ytd', '2026-YTD', TIMESTAMP '2026-01-01', TIMESTAMP '2026-10-01'
), p AS (
    SELECT *, CAST(p_end_excl AS DATE) - 1 AS end_day FROM periods
), d AS (
    SELECT office_name, field_name, procedure_code, CAST(channel AS VARCHAR) AS channel,
           received_at AS rec,
           coalesce(finished_at, returned_at, stopped_at) AS end_at,
           least(finished_at, returned_at, stopped_at) AS first_end,
           finished_at IS NULL AND returned_at IS NULL AND stopped_at IS NOT NULL AS stopped_kind,
           coalesce(due_at, expected_due_at) AS due,
           deadline_unit = 'hours' AS hours,
           supplement_requested_at AS req, supplement_completed_at AS comp,
           coalesce(supplement_count, 0) > 1 AS multi,
           snapshot_at, apology_at,
           coalesce(reschedule_count, 0) >= 1 AS resched1, coalesce(reschedule_count, 0) > 1 AS resched2,
           is_digitised, has_e_result, is_paid_online, coalesce(has_paper_result, false) AS paper,
           coalesce(fee_vnd, 0) > 0 AND NOT isnan(coalesce(fee_vnd, 0)) AS fee,
           coalesce(lower(strip_accents(trim(citizen_rating))) IN ('khong hai long', 'rat khong hai long'), false)
               AS dislike,
           NOT (coalesce(finished_at < received_at OR returned_at < received_at OR stopped_at < received_at, false)
                OR coalesce(due_at < received_at, false)
                OR coalesce(supplement_completed_at < supplement_requested_at, false)
                OR (supplement_completed_at IS NOT NULL AND supplement_requested_at IS NULL)
                OR (supplement_requested_at IS NOT NULL AND coalesce(supplement_count, 0) = 0)
                OR (supplement_requested_at IS NULL AND coalesce(supplement_count, 0) > 0)
                OR status_code IS NULL
                OR (status_code IN ('finished', 'returned') AND finished_at IS NULL AND returned_at IS NULL)
                OR (status_code = 'returned' AND returned_at IS NULL)
                OR (status_code IN ('stopped', 'rejected', 'withdrawn') AND stopped_at IS NULL)
                OR (status_code IN ('in_progress', 'waiting_supplement', 'paused')
                    AND coalesce(finished_at, returned_at, stopped_at) IS NOT NULL)
                OR due_at IS NULL) AS system_updated
    FROM read_parquet(?)
), x AS (  -- each dossier × period in its scope (as kpi_table selects it: the first end decides)
    SELECT d.*, p.kind, p.period, p.p_start, p.p_end_excl, p.end_day,
           coalesce(d.end_at < p.p_end_excl, false) AS fin,
           d.rec < p.p_end_excl AND (d.end_at IS NULL OR d.end_at >= p.p_start) AS in_proc,
           d.rec >= p.p_start AND d.rec < p.p_end_excl AS in_rec,
           CASE WHEN coalesce(d.end_at < p.p_end_excl, false) THEN d.end_at
                ELSE CAST(p.end_day AS TIMESTAMP) END AS eval_at
    FROM d JOIN p ON d.rec < p.p_end_excl
        AND (d.first_end IS NULL OR d.first_end >= p.p_start OR d.rec >= p.p_start)
), y AS (  -- the supplement pause: working days in (request, min(completion, evaluation)]
    SELECT x.*,
           x.req IS NOT NULL AND x.req <= x.eval_at AS has_pause,
           CASE WHEN x.req IS NOT NULL AND x.req <= x.eval_at THEN greatest(c2.cum - c1.cum, 0)
                ELSE 0 END AS pause
    FROM x
    LEFT JOIN cal AS c1 ON c1.day = CAST(x.req AS DATE)
    LEFT JOIN cal AS c2 ON c2.day = CAST(CASE WHEN x.comp <= x.eval_at THEN x.comp ELSE x.eval_at END AS DATE)
), z AS (  -- allowed due: the due moved by the pause in working days, its time of day kept
    SELECT y.*,
           CASE WHEN y.pause > 0 AND y.due IS NOT NULL THEN w.day + (y.due - date_trunc('day', y.due))
                ELSE y.due END AS allowed
    FROM y
    LEFT JOIN cal AS c3 ON c3.day = CAST(y.due AS DATE)
    LEFT JOIN wd AS w ON y.pause > 0 AND w.idx = c3.cum - c3.wk + y.pause
), c AS (
    SELECT z.*,
           coalesce(CASE WHEN z.hours THEN z.end_at > z.allowed
                         ELSE CAST(z.end_at AS DATE) > CAST(z.allowed AS DATE) END, false) AS late_fin,
           coalesce(CAST(z.end_at AS DATE) < CAST(z.allowed AS DATE), false) AS early,
           coalesce(CASE WHEN z.hours THEN z.allowed < z.p_end_excl
                         ELSE CAST(z.allowed AS DATE) < z.end_day END, false) AS overdue,
           z.allowed IS NULL AS no_due,
           NOT z.fin AND coalesce(z.snapshot_at < z.p_end_excl, false) AS stale,
           NOT z.fin AND z.has_pause AND (z.comp IS NULL OR z.comp > z.eval_at) AS waiting,
           coalesce(z.apology_at < z.p_end_excl, false) AS has_apology
    FROM z
), o AS (
    SELECT c.*,
           c.waiting AND coalesce(CASE WHEN c.hours THEN c.req > c.due
                                       ELSE CAST(c.req AS DATE) > CAST(c.due AS DATE) END, false) AS req_late
    FROM c
), r AS (
    SELECT o.*,
           CASE WHEN o.stale THEN 'unknown' WHEN o.multi THEN 'late' WHEN o.no_due THEN 'unknown'
                WHEN o.fin AND o.late_fin THEN 'late' WHEN o.fin AND o.early THEN 'early'
                WHEN o.fin THEN 'on_time' WHEN o.req_late THEN 'late' WHEN o.waiting THEN 'pending_on_time'
                WHEN o.overdue THEN 'late' ELSE 'pending_on_time' END AS outcome,
           ((o.fin AND o.late_fin) OR (NOT o.fin AND NOT o.waiting AND o.overdue) OR o.req_late)
               AND NOT o.stale AND NOT o.no_due AS owes,
           o.has_apology AND coalesce(CAST(o.apology_at AS DATE) <= CAST(o.allowed AS DATE) - 1, false)
               AS apology_on_time,
           o.in_proc AND NOT o.stale AS proc,
           o.fin AND NOT o.stopped_kind AS has_result
    FROM o
), i AS (  -- the twelve indicators of parlib.analysis.kpi._indicators, per row
    SELECT kind, period, p_start, office_name, field_name, procedure_code, channel,
           proc AND outcome <> 'unknown' AS known,
           proc AND outcome IN ('early', 'on_time', 'pending_on_time') AS ok,
           outcome, owes AND proc AS owes, has_apology, apology_on_time, proc, in_rec,
           proc AND resched1 AS resched1, resched2, dislike, system_updated,
           channel IS NOT NULL AND NOT (channel = '2' AND paper AND has_e_result IS NULL) AS online_judged,
           coalesce(channel = '2', false) AND (NOT paper OR coalesce(has_e_result, false)) AS online_ok,
           is_digitised IS NOT NULL AND (NOT has_result OR has_e_result IS NOT NULL) AS dig_judged,
           coalesce(is_digitised, false) AND (NOT has_result OR coalesce(has_e_result, false)) AS dig_ok,
           fin AND end_at >= p_start AND NOT stopped_kind AND paper AND has_e_result IS NOT NULL AS done,
           coalesce(has_e_result, false) AS eres,
           fee AND is_paid_online IS NOT NULL AS pay_judged, coalesce(is_paid_online, false) AS paid
    FROM r
)
SELECT kind, period,
       CASE WHEN grouping(office_name) = 0 THEN 'office_name' WHEN grouping(field_name) = 0 THEN 'field_name'
            WHEN grouping(procedure_code) = 0 THEN 'procedure_code' WHEN grouping(channel) = 0 THEN 'channel'
            ELSE 'all' END AS dimension,
       coalesce(office_name, field_name, procedure_code, channel) AS "group",
       count(*) FILTER (WHERE known AND ok) AS k_on_time_pct, count(*) FILTER (WHERE known) AS n_on_time_pct,
       count(*) FILTER (WHERE known AND outcome = 'early') AS k_early_pct, count(*) FILTER (WHERE known) AS n_early_pct,
       count(*) FILTER (WHERE known AND outcome = 'late') AS k_late_pct, count(*) FILTER (WHERE known) AS n_late_pct,
       count(*) FILTER (WHERE owes AND has_apology) AS k_apology_pct, count(*) FILTER (WHERE owes) AS n_apology_pct,
       count(*) FILTER (WHERE owes AND has_apology AND apology_on_time) AS k_apology_on_time_pct,
       count(*) FILTER (WHERE owes AND has_apology) AS n_apology_on_time_pct,
       count(*) FILTER (WHERE resched1 AND resched2) AS k_reschedule_violation_pct,
       count(*) FILTER (WHERE resched1) AS n_reschedule_violation_pct,
       count(*) FILTER (WHERE in_rec AND online_judged AND online_ok) AS k_online_pct,
       count(*) FILTER (WHERE in_rec AND online_judged) AS n_online_pct,
       count(*) FILTER (WHERE in_rec AND dig_judged AND dig_ok) AS k_digitised_pct,
       count(*) FILTER (WHERE in_rec AND dig_judged) AS n_digitised_pct,
       count(*) FILTER (WHERE done AND eres) AS k_e_result_pct, count(*) FILTER (WHERE done) AS n_e_result_pct,
       count(*) FILTER (WHERE in_rec AND pay_judged AND paid) AS k_online_payment_pct,
       count(*) FILTER (WHERE in_rec AND pay_judged) AS n_online_payment_pct,
       count(*) FILTER (WHERE proc AND system_updated) AS k_system_updated_pct,
       count(*) FILTER (WHERE proc) AS n_system_updated_pct,
       greatest(sum(CASE WHEN known THEN 1 - CAST(outcome = 'late' AS INTEGER) - CAST(dislike AS INTEGER)
                         ELSE 0 END), 0) AS k_handling_satisfaction_pct,
       count(*) FILTER (WHERE known) AS n_handling_satisfaction_pct
FROM i
GROUP BY GROUPING SETS ((kind, period), (kind, period, office_name), (kind, period, field_name),
                        (kind, period, procedure_code), (kind, period, channel))
HAVING grouping(field_name, procedure_code, channel) = 7 OR year(min(p_start)) = 2026
ORDER BY 1, 2, 3, 4
