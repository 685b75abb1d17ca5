"""One entry point per kind of raw file, for ``parlib validate``.

``check(kind, path, groups, paths)`` runs the reader of that kind on one file and returns
(issues, ledger). Structural problems raise (StructuralError / InputFormatError /
ConfigError) exactly as in a report run, so ``validate`` shows the same messages.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .config import Paths
from .issues import IssueLog, Ledger, issues_frame


def _frame(issues) -> pd.DataFrame:
    if isinstance(issues, IssueLog):
        return issues.to_frame()
    return issues if issues is not None else issues_frame()


def check(kind: str, path: Path, groups: tuple, paths: Paths) -> tuple[pd.DataFrame, pd.DataFrame]:
    name = paths.rel(path)
    if kind == "framework":
        from .framework import load_framework, load_offices

        offices_file = paths.config / "offices.csv"
        fw = load_framework(path, offices=load_offices(offices_file) if offices_file.exists() else None)
        led = Ledger()
        led.add(name, "used", len(fw.nodes))
        return issues_frame(), led.to_frame()
    if kind == "crosswalk":
        from .annual import _load_framework
        from .crosswalk import load_crosswalk

        base, year = int(groups[0]), int(groups[1])
        cw = load_crosswalk(path, _load_framework(paths, base), _load_framework(paths, year))
        led = Ledger()
        led.add(name, "used", len(cw))
        return issues_frame(), led.to_frame()
    if kind == "scoresheet":
        from .scoresheet import validate_scoresheet_file

        issues, ledger = validate_scoresheet_file(path, paths)
        return _frame(issues), ledger
    if kind == "province":
        from .province import read_province

        _, issues, ledger = read_province(path, int(groups[0]), display_name=name)
        return _frame(issues), ledger
    if kind == "dossiers":
        from .calendar import load_calendar
        from .dossiers import load_procedures, read_dossier_exports

        res = read_dossier_exports([path], load_procedures(paths.config / "procedures.csv"), load_calendar(paths),
                                   data_dir=paths.data)
        return _frame(res.issues), res.ledger
    if kind == "feedback":
        from .calendar import load_calendar
        from .feedback import read_feedback

        _, issues, ledger = read_feedback([path], load_calendar(paths))
        return _frame(issues), ledger
    if kind == "survey":
        from .survey import SurveyConfig, load_survey_items, read_survey

        data = read_survey(path, load_survey_items(paths.config / "survey_items.csv"), SurveyConfig(),
                           display_name=name)
        return _frame(data.issues), data.ledger
    if kind == "index766":
        from .index766 import read_766

        _, issues, ledger = read_766([path])
        return _frame(issues), ledger
    if kind == "tasks":
        from .tasks import read_tasks

        _, issues, ledger = read_tasks(paths.raw / "tasks" / f"nhiem_vu_{groups[0]}.csv", [path])
        return _frame(issues), ledger
    raise ValueError(f"unknown kind {kind!r}")
