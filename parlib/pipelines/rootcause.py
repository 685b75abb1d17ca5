"""Root causes of a run: load the analyst's tables once, then run :mod:`parlib.analysis.rootcause`.

The analysis takes frames only; this module is where its inputs are read: the cause keywords
and action rules (``raw/config``), the survey question table, the plan tasks of the year and
the plan targets (through the same readers as every other stage).
"""

from __future__ import annotations

import pandas as pd

from parlib.analysis.rootcause.engine import build_root_causes
from parlib.analysis.rootcause.evidence import RootCauseResult
from parlib.core.cells import parse_numbers
from parlib.core.paths import Paths
from parlib.ingest.readers import read_csv_table
from parlib.ingest.rules import load_action_rules, load_cause_keywords, load_targets
from parlib.ingest.survey import load_survey_items

TASK_COLUMNS = ["task_no", "task_name", "lead_office", "time_frame", "due_date"]


def plan_tasks(quarterly, paths: Paths, year: int) -> pd.DataFrame:
    """The plan's task list: the quarterly run's when it has one, else ``raw/tasks/nhiem_vu_<year>.csv``."""
    if quarterly is not None and quarterly.tasks is not None and not quarterly.tasks.empty:
        return quarterly.tasks
    p = paths.raw / "tasks" / f"nhiem_vu_{year}.csv"
    if p.exists():
        return read_csv_table(p, display_name=paths.rel(p)).astype("string")
    return pd.DataFrame(columns=TASK_COLUMNS)


def target_values(paths: Paths) -> dict[str, float]:
    """``{kpi: target_pct}`` from ``raw/config/targets.csv`` (empty when the file is absent)."""
    if not (paths.config / "targets.csv").exists():
        return {}
    t = load_targets(paths)
    vals, _ = parse_numbers(t["target_pct"])
    return {str(k): float(v) for k, v in zip(t["kpi"], vals) if pd.notna(v)}


def survey_items(paths: Paths) -> pd.DataFrame | None:
    p = paths.config / "survey_items.csv"
    return load_survey_items(p) if p.exists() else None


def build(
    *,
    annual=None,
    quarterly=None,
    paths: Paths | None = None,
    keywords=None,
    rules=None,
    report_date=None,
    **kwargs,
) -> RootCauseResult:
    """Root causes of an annual result, a quarterly result or both (see the analysis module).
    ``report_date``: the day the report is made (default today): actions are dated from it."""
    paths = paths or Paths()
    if annual is None and quarterly is None:
        raise ValueError("root causes need an annual or a quarterly result")
    year = quarterly.period.year if quarterly is not None else annual.year
    return build_root_causes(
        annual=annual,
        quarterly=quarterly,
        keywords=keywords
        if keywords is not None
        else load_cause_keywords(paths.config / "cause_keywords.csv"),
        rules=rules if rules is not None else load_action_rules(paths.config / "action_rules.csv"),
        items=survey_items(paths),
        tasks=plan_tasks(quarterly, paths, year),
        targets=target_values(paths),
        report_date=pd.Timestamp(report_date).normalize()
        if report_date
        else pd.Timestamp.today().normalize(),
        **kwargs,
    )
