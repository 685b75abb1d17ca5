-- Context for issue 19 (not the reference): the plain query of the issue's first measurement,
-- office × month (2025-01 … 2026-09): dossiers received, finished, finished on time by working
-- days (the supplement pause added through the cumulative working-day calendar) and overdue
-- still open at the month end. One period kind, one dimension, four counts, none of the 766
-- subtleties (stale snapshots, waiting supplements, hours, apologies…). The reference that
-- computes the same table as the KPI step is bench/reference_kpi.sql.
-- Tables: cal(day, cum, wk) and wd(idx, day) as parlib.analysis.kpi_sql.calendar_tables builds
-- them; ? is the Parquet path.
WITH d AS (
    SELECT office_name, received_at,
           coalesce(finished_at, returned_at, stopped_at) AS end_at,
           coalesce(due_at, expected_due_at) AS due,
           supplement_requested_at AS req, supplement_completed_at AS comp
    FROM read_parquet(?)
), months AS (
    SELECT range AS m_start, range + INTERVAL 1 MONTH AS m_end
    FROM range(TIMESTAMP '2025-01-01', TIMESTAMP '2026-10-01', INTERVAL 1 MONTH)
), a AS (
    SELECT d.*,
           CASE WHEN d.req IS NOT NULL AND d.comp IS NOT NULL
                THEN greatest(c2.cum - c1.cum, 0) ELSE 0 END AS pause,
           c3.cum - c3.wk AS due_idx
    FROM d
    LEFT JOIN cal AS c1 ON c1.day = CAST(d.req AS DATE)
    LEFT JOIN cal AS c2 ON c2.day = CAST(d.comp AS DATE)
    LEFT JOIN cal AS c3 ON c3.day = CAST(d.due AS DATE)
), b AS (
    SELECT a.*, CASE WHEN a.pause > 0 THEN w.day ELSE CAST(a.due AS DATE) END AS allowed_day
    FROM a LEFT JOIN wd AS w ON a.pause > 0 AND w.idx = a.due_idx + a.pause
)
SELECT m.m_start AS month, b.office_name,
       count(*) FILTER (WHERE b.received_at >= m.m_start AND b.received_at < m.m_end) AS received,
       count(*) FILTER (WHERE b.end_at >= m.m_start AND b.end_at < m.m_end) AS finished,
       count(*) FILTER (WHERE b.end_at >= m.m_start AND b.end_at < m.m_end
                          AND CAST(b.end_at AS DATE) <= b.allowed_day) AS on_time,
       count(*) FILTER (WHERE (b.end_at IS NULL OR b.end_at >= m.m_end)
                          AND b.allowed_day < CAST(m.m_end AS DATE) - 1) AS overdue
FROM b JOIN months AS m
  ON b.received_at < m.m_end AND (b.end_at IS NULL OR b.end_at >= m.m_start)
GROUP BY ALL
ORDER BY 1, 2
