"""Result types of the annual and quarterly pipelines (what the report layer reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from parlib.core.calendar import WorkCalendar
from parlib.core.periods import Period
from parlib.model.dossier_rules import KpiRules
from parlib.model.framework import Framework
from parlib.model.unit import Unit

SCHEMA_VERSION = 1


@dataclass
class AnnualResult:
    """Everything the annual report shows. Frames use English column names; the display
    layer (parlib.narrative.to_vietnamese_table) translates headers and formats numbers."""

    year: int
    framework: Framework
    scores: pd.DataFrame
    loss: pd.DataFrame
    summary: dict
    fields: pd.DataFrame
    stages: pd.DataFrame
    offices: pd.DataFrame
    methods: pd.DataFrame
    pareto: pd.DataFrame
    top: pd.DataFrame
    issues: pd.DataFrame
    ledger: pd.DataFrame
    inputs: list[Path]
    printed_total: float | None = None
    comparison: "object | None" = None
    extra: dict = field(default_factory=dict)
    unit: Unit = field(default_factory=lambda: Unit(""))  # parlib.ingest.unit.load_unit
    province: dict | None = None  # parlib.analysis.province_rank.province_position of the year
    levels: dict = field(default_factory=dict)  # depth -> loss_tables.level_table, every level with children

    @property
    def level_names(self) -> tuple[str, ...]:
        """The year's level names, top first (the framework's ``#levels:`` line or the default three)."""
        return self.framework.level_names

    @property
    def is_illustrative(self) -> bool:
        return bool(self.framework.is_illustrative or self.extra.get("scoresheet_illustrative"))


SCHEMA_VERSION = 1


@dataclass
class QuarterlyResult:
    period: Period
    calendar: WorkCalendar
    procedures: pd.DataFrame
    dossiers: pd.DataFrame
    # the quarter's classified dossiers; None when the build wrote them to the processed table a
    # slice at a time (more than parlib.pipelines.classified.CHUNK_ROWS dossiers): read that table
    classified: pd.DataFrame | None
    kpis: pd.DataFrame  # parlib.kpi.kpi_table: month/quarter/ytd (+ history) × dimension × kpi
    status: pd.DataFrame  # targets' status for the quarter and YTD
    monthly: pd.DataFrame  # monthly KPI series (trend, p-chart input)
    p_chart: pd.DataFrame
    funnel_offices: pd.DataFrame
    feedback: pd.DataFrame
    feedback_kpis: pd.DataFrame
    index766: pd.DataFrame
    index766_quarter: pd.DataFrame
    tasks: pd.DataFrame
    task_progress: pd.DataFrame
    tasks_kpi: pd.DataFrame
    survey: object | None
    survey_table: pd.DataFrame | None
    survey_changes: pd.DataFrame | None
    drivers: object | None
    segment_changes: pd.DataFrame | None
    comments: pd.DataFrame | None
    theme_counts: pd.DataFrame | None
    projection: pd.DataFrame
    issues: pd.DataFrame
    ledger: pd.DataFrame
    inputs: list[Path]
    framework: object | None = None
    extra: dict = field(default_factory=dict)
    kpi_rules: KpiRules = field(default_factory=KpiRules)  # parameters the KPIs were computed with
    outlook: pd.DataFrame | None = None  # parlib.analysis.outlook.outlook_table: unit and offices
    outlook_points: pd.DataFrame | None = None  # expected year-end points of KPI-driven nodes
    office_watch: pd.DataFrame | None = None  # parlib.analysis.offices.office_watch
    unit: Unit = field(default_factory=lambda: Unit(""))  # parlib.ingest.unit.load_unit

    @property
    def is_illustrative(self) -> bool:
        return bool(self.extra.get("is_illustrative", True))
