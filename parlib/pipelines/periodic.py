"""The periodic CCHC report to the province over an official data window.

``build(paths, year, window_id)`` reads the windows table (``raw/config/report_windows.csv``),
the operational exports the quarterly report reads up to the quarter holding the window's last
day (found by :func:`parlib.pipelines.quarterly.input_files`, read by the same readers with the
same parse cache), the plan's targets, tasks and action rules, the framework of the year and the
unit's identity, and returns a :class:`PeriodicResult` whose figures come from
:func:`parlib.analysis.periodic.window_figures`. Calendar-quarter monitoring is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from parlib.analysis.periodic import WindowFigures, window_figures
from parlib.analysis.periodic_previous import previous_figures, previous_window
from parlib.core.catalog import latest_quarter, scan_raw
from parlib.core.errors import ConfigError
from parlib.core.issues import concat_issues
from parlib.core.memory import tune_allocator
from parlib.core.paths import Paths
from parlib.core.periods import Period
from parlib.core.vnformat import fmt_date, quarter_label
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import load_procedures
from parlib.ingest.feedback import read_feedback
from parlib.ingest.framework import find_framework, framework_of_year
from parlib.ingest.rules import load_action_rules, load_kpi_rules, load_targets
from parlib.ingest.survey import load_survey_items, read_surveys
from parlib.ingest.tasks import read_tasks
from parlib.ingest.unit import load_unit, unit_path
from parlib.ingest.windows import find_window, report_windows, windows_path
from parlib.model.survey import SurveyConfig
from parlib.model.windows import ReportWindow, complete_windows
from parlib.pipelines.inputs import input_files, read_dossiers


@dataclass
class PeriodicResult:
    """What the draft and its summary are made from: the window, its figures, the unit's
    identity (``unit.csv``), the year's framework (None when absent), the sample flag, every
    file read, the issues and row ledger of the operational files."""

    window: ReportWindow
    figures: WindowFigures
    unit: dict
    framework: object | None
    is_illustrative: bool
    inputs: list[Path]
    issues: pd.DataFrame
    ledger: pd.DataFrame
    paths: Paths

    def rel(self, p: Path) -> str:
        return self.paths.rel(p)


def data_span(paths: Paths) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last day the dossier exports cover (the quarters of the earliest and of the
    latest export), or None without any export."""
    cat = [f for f in scan_raw(paths.raw, ("dossiers",))[0] if f.kind == "dossiers"]
    if not cat:
        return None
    first = min((f.year, f.quarter) for f in cat)
    return Period(*first).start, Period(*latest_quarter(cat)).end.normalize()


def latest_complete_window(paths: Paths) -> ReportWindow | None:
    """The window of the table that ends last among those the dossier exports cover whole."""
    span = data_span(paths)
    if span is None:
        return None
    done = complete_windows(report_windows(paths), span[1], span[0])
    return done[-1] if done else None


def resolve_window(paths: Paths, year: int | None = None, window_id: str | None = None) -> ReportWindow:
    """The window asked for; without one, the latest window the exports cover whole (of ``year``
    when given). ConfigError (Vietnamese) when there is none."""
    windows = report_windows(paths)
    source = paths.rel(windows_path(paths))
    if window_id:
        if year is None:
            raise ConfigError("Cần cho biết năm của kỳ báo cáo (--year) khi chọn kỳ (--window).")
        return find_window(windows, year, window_id, source=source)
    span = data_span(paths)
    done = complete_windows(windows, span[1], span[0]) if span is not None else []
    if year is not None:
        done = [w for w in done if w.year == year]
    if not done:
        have = (
            f" (số liệu hiện có từ ngày {fmt_date(span[0])} đến ngày {fmt_date(span[1])})"
            if span is not None
            else " (chưa có tệp hồ sơ nào)"
        )
        where = f" của năm {year}" if year is not None else ""
        raise ConfigError(
            f"Chưa có kỳ báo cáo nào{where} có đủ số liệu hồ sơ TTHC{have}; các kỳ báo cáo ở {source}."
        )
    return done[-1]


def preflight(paths: Paths, window: ReportWindow) -> None:
    """Structural checks: calendar covers the window, dossier exports cover it whole."""
    cal = load_calendar(paths)
    cal.check_years(sorted({window.start.year, window.end.year}), purpose=f"báo cáo CCHC {window.label}")
    cat, _ = scan_raw(paths.raw, ("dossiers",))
    have = {(f.year, f.quarter) for f in cat if f.kind == "dossiers"}
    need = [(d.year, d.quarter) for d in (window.start, window.end)]
    missing = [q for q in dict.fromkeys(need) if q not in have]
    if missing:
        names = ", ".join(f"ho_so_{y}_Q{q}.xlsx ({quarter_label(y, q)})" for y, q in missing)
        raise ConfigError(
            f"Kỳ báo cáo {window.label} ({fmt_date(window.start)} – {fmt_date(window.end)}) cần tệp hồ sơ "
            f"TTHC của các quý chứa ngày đầu và ngày cuối kỳ; còn thiếu: {names} trong "
            f"{paths.rel(paths.raw / 'dossiers')}."
        )
    if not (paths.config / "procedures.csv").exists():
        raise ConfigError(f"Thiếu danh mục thủ tục {paths.rel(paths.config / 'procedures.csv')}.")


def build(
    paths: Paths | None = None, year: int | None = None, window_id: str | None = None
) -> PeriodicResult:
    """Every figure of the periodic report (module docstring)."""
    tune_allocator()  # freed arrays reused, not handed back to the kernel (parlib.core.memory)
    paths = paths or Paths()
    window = resolve_window(paths, year, window_id)
    preflight(paths, window)
    windows = report_windows(paths)
    cal = load_calendar(paths)
    period = Period(window.end.year, window.end.quarter)
    files = input_files(paths, period)
    procedures = load_procedures(paths.config / "procedures.csv")
    issues, ledgers = [], []
    d = read_dossiers(paths, files["dossiers"], procedures, cal)
    issues.append(d.issues)
    ledgers.append(d.ledger)
    fb = None
    if files["feedback"]:
        fb, fb_issues, fb_ledger = read_feedback(files["feedback"], cal, cache_dir=paths.parse_cache)
        issues.append(fb_issues)
        ledgers.append(fb_ledger)
    tasks = None
    if files["tasks"]:
        tasks, t_issues, t_ledger = read_tasks(files["tasks"][0], files["task_status"])
        issues.append(t_issues)
        ledgers.append(t_ledger)
    survey = items = None
    if files["survey"]:
        items = load_survey_items(paths.config / "survey_items.csv")
        survey = read_surveys(
            files["survey"], items, SurveyConfig(), base=paths.data, cache_dir=paths.parse_cache
        )
        issues.append(survey.issues)
        ledgers.append(survey.ledger)
    rules_file = paths.config / "action_rules.csv"
    figures = window_figures(
        window,
        windows,
        dossiers=d.dossiers,
        calendar=cal,
        kpi_rules=load_kpi_rules(paths),
        targets=load_targets(paths),
        feedback=fb,
        tasks=tasks,
        survey=survey,
        survey_items=items,
        action_rules=load_action_rules(rules_file) if rules_file.exists() else None,
    )
    prev = previous_window(windows, window)
    span = data_span(paths)
    if prev is not None and span is not None and complete_windows([prev], span[1], span[0]):
        figures.previous_window = prev
        figures.previous = previous_figures(
            prev,
            dossiers=d.dossiers,
            calendar=cal,
            kpi_rules=load_kpi_rules(paths),
            feedback=fb,
            survey=survey,
        )
    fw = _framework(paths, window.year)
    config = [
        windows_path(paths),
        unit_path(paths),
        paths.config / "targets.csv",
        paths.config / "kpi_rules.csv",
        paths.config / "holidays.csv",
        paths.config / "procedures.csv",
        rules_file,
    ]
    if fw is not None:
        config.append(fw.source)
    read = [p for k in ("dossiers", "feedback", "survey", "tasks", "task_status") for p in files[k]]
    return PeriodicResult(
        window=window,
        figures=figures,
        unit=load_unit(paths).to_dict(),
        framework=fw,
        is_illustrative=bool(fw is not None and fw.is_illustrative) or _illustrative(procedures),
        inputs=[p for p in read + config if p.exists()],
        issues=concat_issues(issues),
        ledger=pd.concat([x for x in ledgers if x is not None and not x.empty], ignore_index=True)
        if any(x is not None and not x.empty for x in ledgers)
        else pd.DataFrame(columns=["source", "sheet", "status", "reason", "rows"]),
        paths=paths,
    )


def _framework(paths: Paths, year: int):
    try:
        find_framework(paths.framework, year)
    except ConfigError:
        return None  # the draft then lists the measures without the framework's fields
    return framework_of_year(paths, year)


def _illustrative(procedures: pd.DataFrame) -> bool:
    if "is_illustrative" not in procedures.columns:
        return False
    return bool(procedures["is_illustrative"].astype(str).str.lower().isin(["true", "1"]).any())
