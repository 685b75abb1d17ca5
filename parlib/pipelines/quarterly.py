"""The quarterly monitoring analysis: every table of the quarterly report.

``build(year, quarter, paths)`` reads the operational exports (dossiers, feedback, survey,
766 scores, task status), computes the KPIs with their intervals, the targets' status,
control charts, the satisfaction analysis and the points at risk, writes the processed
tables, and returns a ``QuarterlyResult`` that the notebook only displays.

Periods: the quarter itself, the year to date (1 January → end of the quarter) and, for
comparisons and trends, everything from the earliest export on. Nothing is claimed for a
period without data: a KPI with a zero denominator is NaN ("không áp dụng").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from parlib.analysis import kpi as kpimod
from parlib.analysis.comments import tag_comments, theme_counts, theme_examples
from parlib.analysis.counts_sql import SqlCounter
from parlib.analysis.drivers import factor_changes_by_segment, key_drivers
from parlib.analysis.feedback import feedback_kpis
from parlib.analysis.headline import headline_kpis, on_time_chart, project_766_groups, ytd_kpi_values
from parlib.analysis.index766 import group_points, index766_totals
from parlib.analysis.kpi import DIMENSIONS
from parlib.analysis.kpi_sql import dossier_arrow, kpi_table_and_windows  # kpi_table.kpi_table: the reference
from parlib.analysis.offices import office_watch, watched_windows
from parlib.analysis.outlook import outlook_inputs, outlook_table, points_outlook
from parlib.analysis.projection import project_points, score_rule
from parlib.analysis.satisfaction import (
    sample_size_check,
    satisfaction_changes,
    satisfaction_table,
    sipas_points,
)
from parlib.analysis.satisfaction_counts import respondent_factors
from parlib.analysis.spc import funnel
from parlib.analysis.targets import kpi_status
from parlib.analysis.tasks import has_status_for, task_progress, tasks_kpi
from parlib.core.background import BackgroundTable, StreamedTable
from parlib.core.calendar import WorkCalendar
from parlib.core.catalog import latest_quarter, scan_raw
from parlib.core.errors import ConfigError
from parlib.core.io import parquet_safe, write_table
from parlib.core.issues import concat_issues, issues_frame
from parlib.core.memory import release_free_memory, tune_allocator
from parlib.core.paths import Paths
from parlib.core.periods import Period
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import load_procedures
from parlib.ingest.feedback import read_feedback
from parlib.ingest.framework import find_framework, load_framework
from parlib.ingest.index766 import read_766
from parlib.ingest.rules import load_comment_themes, load_kpi_rules, load_targets
from parlib.ingest.spellings import load_header_spellings
from parlib.ingest.survey import load_survey_items, read_surveys
from parlib.ingest.tasks import read_tasks
from parlib.ingest.unit import load_unit
from parlib.model.results import QuarterlyResult
from parlib.model.survey import SurveyConfig
from parlib.pipelines.classified import classify_quarter
from parlib.pipelines.inputs import (  # noqa: F401  (preflight, warm_parse_cache: the command line's, kept here)
    OPERATIONAL_FOLDERS,
    input_catalog,
    input_files,
    preflight,
    read_dossiers,
    warm_parse_cache,
)

# ---------------------------------------------------------------- inputs


def latest_quarter_of(year: int, paths: Paths) -> int | None:
    """The last quarter of ``year`` with a dossier export, or None."""
    latest = latest_quarter(scan_raw(paths.raw, ("dossiers",))[0], year)
    return latest[1] if latest else None


def build_latest(year: int, paths: Paths) -> "QuarterlyResult | None":
    """The quarterly analysis of the latest quarter of ``year`` with exports (None if none):
    the operational evidence behind the annual root-cause analysis."""
    q = latest_quarter_of(year, paths)
    return None if q is None else build(year, q, paths, write=False)


# ---------------------------------------------------------------- build


def build(
    year: int, quarter: int, paths: Paths | None = None, *, write: bool = True, unit_name: str | None = None
) -> QuarterlyResult:
    """The whole quarterly analysis (see the module docstring) for the unit of
    ``raw/config/unit.csv`` or, when given, ``unit_name``."""

    tune_allocator()  # freed arrays reused, not handed back to the kernel (parlib.core.memory)
    paths = paths or Paths()
    unit = load_unit(paths, unit_name or None)
    sp = load_header_spellings(paths)
    period = Period(year, quarter)
    cal = load_calendar(paths)
    files = input_files(paths, period)
    procedures = load_procedures(paths.config / "procedures.csv")

    issues, ledgers = [issues_frame(input_catalog(paths)[1])], []  # every raw file not read, named

    d = read_dossiers(paths, files["dossiers"], procedures, cal, sp)
    issues.append(d.issues)
    ledgers.append(d.ledger)
    kpi_rules = load_kpi_rules(paths)
    # the year's classified dossiers (final from here) are written to Parquet on a thread while
    # the rest of the analysis runs, or a slice at a time at province scale (pipelines.classified);
    # published with the other tables, or removed if the build fails
    key = f"{year}_Q{quarter}"
    cq = classify_quarter(
        d.dossiers,
        cal,
        period,
        kpi_rules,
        target=paths.processed / f"dossiers_{key}.parquet" if write else None,
    )
    encoded = cq.table  # streamed already (a province), else encoded on a thread below
    try:
        first = d.dossiers["received_at"].min()
        # the dossier-level counting runs on DuckDB over one Arrow copy of the columns it reads
        arrow = dossier_arrow(d.dossiers, [*DIMENSIONS, "office_name"])
        names = kpimod.procedure_names(d.dossiers)  # the KPI table's and the offices' (once)
        # the offices' windows (office_watch) are counted in the same scan as the KPI table
        kpis, watched = kpi_table_and_windows(
            arrow,
            cal,
            year,
            quarter,
            watched_windows(year, quarter),
            procedures=procedures,
            history_from=int(first.year) if pd.notna(first) else year,
            history_dimensions=["office_name"],
            rules=kpi_rules,
            dossier_names=names,
        )
        del arrow  # a gigabyte at 10M dossiers; a window counted later reads the frame (SqlCounter)
        release_free_memory(len(d.dossiers))
        monthly = kpis.loc[kpis["period_kind"] == "month"]
        targets = load_targets(paths)

        if files["feedback"]:
            fb, fb_issues, fb_ledger = read_feedback(
                files["feedback"], cal, cache_dir=paths.parse_cache, spellings=sp.get("feedback")
            )
        else:
            fb, fb_issues, fb_ledger = pd.DataFrame(), issues_frame(), pd.DataFrame()
        issues.append(fb_issues)
        ledgers.append(fb_ledger)
        fbk = _feedback_all(fb, cal, period) if not fb.empty else pd.DataFrame()

        s766, i766, l766 = (
            read_766(files["index766"], spellings=sp.get("index766"))
            if files["index766"]
            else (pd.DataFrame(), issues_frame(), pd.DataFrame())
        )
        issues.append(i766)
        ledgers.append(l766)
        through = f"{year}-{3 * quarter:02d}"
        g766 = group_points(s766, "quarter", through) if not s766.empty else pd.DataFrame()
        t766 = index766_totals(s766, "quarter", through) if not s766.empty else pd.DataFrame()

        tasks, progress, tkpi = _tasks(files, period, sp, issues, ledgers)

        if write and encoded is None:
            encoded = BackgroundTable(parquet_safe(cq.frame), paths.processed / f"dossiers_{key}.parquet")
        survey_parts = _survey(paths, files["survey"], period, cq.received)
        if survey_parts.get("issues") is not None:
            issues.append(survey_parts["issues"])
            ledgers.append(survey_parts["ledger"])

        on_time_month = monthly.loc[(monthly["kpi"] == "on_time_pct") & (monthly["dimension"] == "all")]
        chart = on_time_chart(on_time_month, period)
        offices_q = kpis.loc[
            (kpis["kpi"] == "on_time_pct")
            & (kpis["period_kind"] == "quarter")
            & (kpis["period"] == period.key)
            & (kpis["dimension"] == "office_name")
        ]
        fun = (
            funnel(offices_q[["group", "k", "n"]].loc[offices_q["n"] > 0])
            if not offices_q.empty
            else pd.DataFrame()
        )

        headline = headline_kpis(kpis, fbk, survey_parts, tkpi, period)
        status = kpi_status(headline, targets)
        kpi_values = ytd_kpi_values(headline, t766.loc[t766["year"] == year] if not t766.empty else t766)
        fw, projection = _projection(paths, year, kpi_values, targets)
        outlook_rows, outlook_monthly = outlook_inputs(status, kpis, year)
        outlook = outlook_table(outlook_rows, 3 * quarter, outlook_monthly)
        nodes = fw.nodes if fw is not None else pd.DataFrame(columns=["kpi"])
        outlook_pts = points_outlook(nodes, outlook, score_rule)
        counter = SqlCounter(d.dossiers, cal, kpi_rules)  # offices.Counter (pandas) is the reference
        counter.load(watched)
        watch = office_watch(
            counter,
            year,
            quarter,
            names=names,
        )

        res = QuarterlyResult(
            period=period,
            kpi_rules=kpi_rules,
            calendar=cal,
            procedures=procedures,
            dossiers=d.dossiers,
            classified=cq.frame,
            kpis=kpis,
            status=status,
            monthly=monthly,
            p_chart=chart,
            funnel_offices=fun,
            feedback=fb,
            feedback_kpis=fbk,
            index766=s766,
            index766_quarter=g766 if not g766.empty else t766,
            tasks=tasks,
            task_progress=progress,
            tasks_kpi=tkpi,
            survey=survey_parts.get("survey"),
            survey_table=survey_parts.get("table"),
            survey_changes=survey_parts.get("changes"),
            drivers=survey_parts.get("drivers"),
            segment_changes=survey_parts.get("segments"),
            comments=survey_parts.get("comments"),
            theme_counts=survey_parts.get("themes"),
            projection=projection,
            outlook=outlook,
            outlook_points=outlook_pts,
            office_watch=watch,
            issues=concat_issues(issues),
            ledger=_concat(ledgers),
            inputs=[p for group in files.values() for p in group]
            + [paths.config / "procedures.csv", paths.config / "holidays.csv", paths.config / "targets.csv"],
            framework=fw,
            unit=unit,
            extra={
                "kpi_values": kpi_values,
                "dossier_counter": counter,  # the root causes count their windows with it
                "index766_totals": t766,
                "processing_time": cq.processing_time,
                "classified_rows": cq.rows,
                "index766_projection": project_766_groups(kpi_values),
                "sample": survey_parts.get("sample"),
                "theme_examples": survey_parts.get("examples"),
                "satisfaction_summary": _satisfaction_summary(survey_parts, period),
                "is_illustrative": _is_illustrative(fw, procedures),
            },
        )
        if write:
            _write_processed(res, paths, encoded)
    finally:
        if encoded is not None:
            encoded.discard()  # nothing left once published
    return res


def _is_illustrative(fw, procedures: pd.DataFrame) -> bool:
    """Illustrative when the framework or the procedures catalogue says so (the bundled
    sample); a real catalogue has ``is_illustrative`` false or no such column."""
    flag = bool(fw is not None and fw.is_illustrative)
    if "is_illustrative" in procedures.columns:
        flag = flag or bool(procedures["is_illustrative"].astype(str).str.lower().isin(["true", "1"]).any())
    return flag


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and not f.empty]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["source", "sheet", "status", "reason", "rows"])
    )


def _tasks(files: dict, period: Period, sp: dict, issues: list, ledgers: list) -> tuple:
    """The plan's tasks, their progress at the quarter's end and the tasks KPI (empty frames
    without a task list); their issues and ledger appended to ``issues`` and ``ledgers``, with a
    warning when the quarter's progress file is missing."""
    if not files["tasks"]:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    tasks, t_issues, t_ledger = read_tasks(files["tasks"][0], files["task_status"], spellings=sp)
    issues.append(t_issues)
    ledgers.append(t_ledger)
    progress = task_progress(tasks, period.end.normalize())
    has_status = has_status_for(tasks, period.key)
    source = f"tasks/tien_do_{period.year}_Q{period.quarter}.xlsx"
    missing = f"Chưa có số liệu: thiếu tệp tiến độ nhiệm vụ {period.label} ({source})."
    tkpi = tasks_kpi(progress, has_status=has_status, missing_note="" if has_status else missing)
    if not has_status:
        message = (
            f"Chưa có tệp tiến độ nhiệm vụ {period.label}: tỷ lệ nhiệm vụ "
            "đúng tiến độ là «chưa có số liệu» (không tính là 0 %)."
        )
        issues.append(
            issues_frame(
                [{"severity": "warning", "rule": "missing_input", "source": source, "message": message}]
            )
        )
    return tasks, progress, tkpi


def _feedback_all(fb: pd.DataFrame, cal: WorkCalendar, period: Period) -> pd.DataFrame:

    parts = []
    for by in ("quarter", "month", "ytd", "office"):
        k = feedback_kpis(fb, cal, period.end, by=by)
        k = k.assign(by=by)
        parts.append(k)
    # the same months of the previous year, when its log is there (the causes compare with it)
    last = period.end - pd.DateOffset(years=1)
    if (fb["received_at"].dt.year == last.year).any():
        parts.append(feedback_kpis(fb, cal, last, by="ytd").assign(by="ytd_last_year"))
    return pd.concat(parts, ignore_index=True)


def _survey(paths: Paths, files: list[Path], period: Period, n_dossiers: int) -> dict:
    """Satisfaction analysis of the quarter (empty dict when there is no survey); ``n_dossiers``:
    the dossiers received in the quarter, the sample's frame."""
    if not files:
        return {}

    cfg = SurveyConfig()
    items = load_survey_items(paths.config / "survey_items.csv")
    data = read_surveys(
        files,
        items,
        cfg,
        base=paths.data,
        cache_dir=paths.parse_cache,
        spellings=load_header_spellings(paths).get("survey"),
    )
    factors = respondent_factors(data.answers, cfg)  # the table's and the drivers' (once)
    table = satisfaction_table(data, items, cfg, factors=factors)
    changes = satisfaction_changes(table, period.year, period.quarter)
    drivers = key_drivers(
        data, items, cfg, year=period.year, quarter=period.quarter, ytd=True, factors=factors
    )
    segments = factor_changes_by_segment(
        data, items, cfg, year=period.year, quarter=period.quarter, segment="channel", table=table
    )
    themes_tbl = load_comment_themes(paths.config / "comment_themes.csv")
    comments = tag_comments(data.responses, themes_tbl)
    counts = theme_counts(data.responses, themes_tbl, tagged=comments)
    sample = sample_size_check(data, n_dossiers, year=period.year, quarter=period.quarter)
    examples = theme_examples(
        data.responses, themes_tbl, year=period.year, quarter=period.quarter, n=2, tagged=comments
    )
    return {
        "examples": examples,
        "survey": data,
        "items": items,
        "table": table,
        "changes": changes,
        "drivers": drivers,
        "segments": segments,
        "comments": comments,
        "themes": counts,
        "themes_table": themes_tbl,
        "sample": sample,
        "issues": data.issues,
        "ledger": data.ledger,
        "config": cfg,
    }


def _satisfaction_summary(parts: dict, period: Period) -> dict | None:
    """The satisfaction block of summary.json: overall and per factor for the quarter and YTD."""
    t = parts.get("table")
    if t is None:
        return None
    r2 = lambda x: None if pd.isna(x) else round(float(x), 2)  # noqa: E731
    sel = t.loc[
        (t["segment_kind"] == "all")
        & (t["year"] == period.year)
        & (t["quarter"] == period.quarter)
        & t["level"].isin(["overall", "factor"])
    ]
    out: dict = {"overall": {}, "factors": {}}
    for r in sel.to_dict("records"):
        block = {
            "k": int(r["k"]),
            "n": int(r["n"]),
            "pct": r2(r["pct"]),
            "ci_low_pct": r2(r["ci_low_pct"]),
            "ci_high_pct": r2(r["ci_high_pct"]),
            "is_small_sample": bool(r["is_small_sample"]),
        }
        if r["level"] == "overall":
            out["overall"][r["period_kind"]] = block
        else:
            out["factors"].setdefault(str(r["code"]), {"name": r.get("name")})[r["period_kind"]] = block

    ytd = out["overall"].get("ytd")
    out["sipas_points_projected"] = r2(sipas_points(ytd["pct"])) if ytd and ytd["pct"] is not None else None
    return out


def _projection(paths: Paths, year: int, kpi_values: dict[str, float], targets: pd.DataFrame):

    try:
        fw_path = find_framework(paths.framework, year)
    except ConfigError:
        return None, pd.DataFrame()
    fw = load_framework(fw_path)
    goals = {
        k: float(v)
        for k, v in zip(targets["kpi"], pd.to_numeric(targets["target_pct"], errors="coerce"))
        if pd.notna(v)
    }
    return fw, project_points(fw.nodes, kpi_values, goals)


def _write_processed(
    res: QuarterlyResult, paths: Paths, encoded: BackgroundTable | StreamedTable | None = None
) -> None:
    params = {"year": res.period.year, "quarter": res.period.quarter}
    inputs = [p for p in res.inputs if p.exists()]
    out = paths.processed
    key = f"{res.period.year}_Q{res.period.quarter}"
    tables = {
        f"dossiers_{key}": res.classified,
        f"kpis_{key}": res.kpis,
        f"kpi_status_{key}": res.status,
        f"feedback_kpis_{key}": res.feedback_kpis,
        f"points_at_risk_{key}": res.projection,
        f"issues_quarterly_{key}": res.issues,
        f"ledger_quarterly_{key}": res.ledger,
    }
    if res.survey_table is not None:
        tables[f"satisfaction_{key}"] = res.survey_table
    for name, df in tables.items():
        # the classified dossiers: written while the analysis ran (None: streamed, not held)
        early = encoded if name == f"dossiers_{key}" else None
        if df is None and early is None:
            continue
        write_table(
            df if early is not None else parquet_safe(df),
            out / f"{name}.parquet",
            inputs=inputs,
            params=params,
            base=paths.data,
            encoded=early,
        )
