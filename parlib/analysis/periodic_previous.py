"""The same reporting window one year earlier ("cùng kỳ năm trước"), on the same counting basis
as :mod:`parlib.analysis.periodic`: the dossier KPIs, PAKN on time and survey satisfaction of the
previous year's window. Plan tasks are not compared (each year has its own plan)."""

from __future__ import annotations

import pandas as pd

from parlib.analysis.periodic import window_dossiers, window_feedback, window_survey
from parlib.analysis.stats import add_rate
from parlib.model.survey import SurveyConfig
from parlib.model.windows import ReportWindow


def previous_window(windows: list[ReportWindow], window: ReportWindow) -> ReportWindow | None:
    """The window with the same id one year earlier, when the table has it."""
    return next((w for w in windows if w.year == window.year - 1 and w.id == window.id), None)


def previous_figures(
    window: ReportWindow,
    *,
    dossiers: pd.DataFrame,
    calendar,
    kpi_rules=None,
    feedback: pd.DataFrame | None = None,
    survey=None,
    survey_config: SurveyConfig = SurveyConfig(),
) -> pd.DataFrame:
    """Columns kpi, k, n, pct (NaN when n == 0) of ``window`` (the previous year's one)."""
    _, total, _, _ = window_dossiers(dossiers, calendar, window, kpi_rules)
    rows = [(r["kpi"], int(r["k"]), int(r["n"])) for r in total.to_dict("records")]
    fb, _ = window_feedback(feedback, calendar, window)
    if fb is not None:
        rows.append(("feedback_on_time_pct", fb["k"], fb["n"]))
    sv = window_survey(survey, window, survey_config)
    if sv is not None:
        rows.append(("satisfaction_pct", sv["k"], sv["n"]))
    out = add_rate(pd.DataFrame(rows, columns=["kpi", "k", "n"]))
    return out[["kpi", "k", "n", "pct"]]
