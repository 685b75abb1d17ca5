"""The operational raw files of a period and the dossier exports read from them: shared by the
quarterly pipeline and the periodic report to the province (one place, one way of reading).
Also what the command line does before a quarterly run — the structural checks
(:func:`preflight`) and the parse cache warmed on the second core (:func:`warm_parse_cache`) —
kept here, clear of the analysis modules (scipy, statsmodels, DuckDB), so that the command line
starts the notebook's kernel without importing them (about a second at every run)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from parlib.core.calendar import WorkCalendar
from parlib.core.catalog import files_of, scan_raw
from parlib.core.errors import ConfigError, ParlibError
from parlib.core.memory import tune_allocator
from parlib.core.paths import Paths
from parlib.core.periods import Period
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossiers import DossierResult, read_dossier_exports
from parlib.ingest.dossiers import warm_parse_cache as warm_dossiers
from parlib.ingest.feedback import read_feedback
from parlib.ingest.spellings import load_header_spellings
from parlib.ingest.survey import load_survey_items, read_surveys
from parlib.ingest.unit import load_unit
from parlib.model.survey import SurveyConfig

OPERATIONAL_FOLDERS = ("dossiers", "survey", "feedback", "index766", "tasks")


def input_catalog(paths: Paths) -> tuple[list, list[dict]]:
    """The operational raw files (:func:`parlib.core.catalog.scan_raw`) and an issue for every
    file of those folders that is not read."""
    return scan_raw(paths.raw, OPERATIONAL_FOLDERS)


def input_files(paths: Paths, period: Period) -> dict[str, list[Path]]:
    """The raw files a quarterly run reads (exports up to the quarter, all earlier years)."""
    cat, _ = input_catalog(paths)
    upto = (period.year, period.quarter)
    return {
        "dossiers": files_of(cat, "dossiers", upto),
        "feedback": files_of(cat, "feedback", (period.year, 4)),
        "survey": files_of(cat, "survey", upto),
        "index766": files_of(cat, "index766", (period.year, 4)),
        "task_status": files_of(cat, "task_status", upto, year=period.year),
        "tasks": files_of(cat, "tasks", year=period.year),
    }


def read_dossiers(
    paths: Paths,
    files: list[Path],
    procedures: pd.DataFrame,
    calendar: WorkCalendar,
    spellings: dict | None = None,
) -> DossierResult:
    """The dossier exports ``files`` read with the analyst's header spellings (``spellings``: the
    already loaded ``load_header_spellings(paths)``, else read here); parsed copies of unchanged
    exports are reused from the parse cache (``parlib.core.cache``; identical results)."""
    sp = load_header_spellings(paths) if spellings is None else spellings
    return read_dossier_exports(
        files,
        procedures,
        calendar,
        data_dir=paths.data,
        cache_dir=paths.parse_cache,
        spellings=sp.get("dossiers"),
    )


# ---------------------------------------------------------------- before a quarterly run


def preflight(year: int, quarter: int, paths: Paths, *, unit_name: str | None = None) -> None:
    """Structural checks of a quarterly run: the unit file, calendar covers the period, exports exist."""
    load_unit(paths, unit_name or None)
    load_header_spellings(paths)
    period = Period(year, quarter)
    cal = load_calendar(paths)
    cal.check_years([year], purpose=f"báo cáo {period.label}")
    cat, _ = scan_raw(paths.raw, ("dossiers",))
    this_q = [f for f in cat if f.kind == "dossiers" and (f.year, f.quarter) == (year, quarter)]
    if not this_q:
        raise ConfigError(
            f"Không có tệp hồ sơ TTHC của {period.label}: cần "
            f"{paths.rel(paths.raw / 'dossiers')}/ho_so_{year}_Q{quarter}.xlsx."
        )
    if not (paths.config / "procedures.csv").exists():
        raise ConfigError(f"Thiếu danh mục thủ tục {paths.rel(paths.config / 'procedures.csv')}.")


def warm_parse_cache(year: int, quarter: int, paths: Paths) -> list[Path]:
    """Parse every dossier export, feedback log and survey file a quarterly run reads into the
    parse cache (``data/processed/.cache``), with the keys :func:`parlib.pipelines.quarterly.build` uses. The command line
    runs this on the second core while the notebook's kernel starts, so that the notebook
    finds the files parsed. Returns the files that could not be parsed: the build parses
    them again and reports their problems (a structural error stops the run there)."""

    tune_allocator()
    files = input_files(paths, Period(year, quarter))
    cache = paths.parse_cache
    cal = load_calendar(paths)
    try:
        sp = load_header_spellings(paths)
    except ParlibError:
        return files["dossiers"] + files["feedback"] + files["survey"]
    failed = warm_dossiers(files["dossiers"], cache, data_dir=paths.data, spellings=sp.get("dossiers"))
    for p in files["feedback"]:
        try:
            read_feedback([p], cal, cache_dir=cache, spellings=sp.get("feedback"))
        except ParlibError:
            failed.append(p)
    if files["survey"]:
        try:
            items = load_survey_items(paths.config / "survey_items.csv")
        except ParlibError:
            return failed + files["survey"]
        for p in files["survey"]:
            try:
                read_surveys(
                    [p], items, SurveyConfig(), base=paths.data, cache_dir=cache, spellings=sp.get("survey")
                )
            except ParlibError:
                failed.append(p)
    return failed
