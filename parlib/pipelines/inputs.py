"""The operational raw files of a period and the dossier exports read from them: shared by the
quarterly pipeline and the periodic report to the province (one place, one way of reading)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from parlib.core.calendar import WorkCalendar
from parlib.core.catalog import files_of, scan_raw
from parlib.core.paths import Paths
from parlib.core.periods import Period
from parlib.ingest.dossiers import DossierResult, read_dossier_exports
from parlib.ingest.spellings import load_header_spellings

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
