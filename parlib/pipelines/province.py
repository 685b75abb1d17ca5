"""The province-wide results table of a year, read with its layout and the unit renames, and the
unit's position in it (rank, band, gaps to the median and to the top unit) — no base year needed.
"""

from __future__ import annotations

import pandas as pd

from parlib.analysis.province_rank import province_position
from parlib.core.catalog import province_path
from parlib.core.paths import Paths
from parlib.ingest.province import read_province
from parlib.ingest.province_layout import load_unit_renames
from parlib.ingest.spellings import province_layout_for
from parlib.model.unit import Unit


def read_province_year(
    paths: Paths, year: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, bool] | None:
    """(table, issues, ledger, is_partial) of ``ket_qua_par_index_<year>.xlsx``; None when absent.
    The year's layout (``province_layouts.csv``), the analyst's header spellings
    (``header_spellings.csv``) and ``unit_renames.csv`` are applied."""
    p = province_path(paths.raw, year)
    if not p.exists():
        return None
    layout = province_layout_for(paths, year)
    table, issues, ledger = read_province(
        p, year, unit_aliases=load_unit_renames(paths), display_name=paths.rel(p), layout=layout
    )
    return table, issues, ledger, layout.is_partial


def position_of_year(paths: Paths, year: int, unit: Unit) -> tuple[dict | None, pd.DataFrame, pd.DataFrame]:
    """(position, issues, ledger) of ``unit`` in the year's province table; (None, empty, empty)
    when the year has no province table."""
    got = read_province_year(paths, year)
    if got is None:
        return None, pd.DataFrame(), pd.DataFrame()
    table, issues, ledger, partial = got
    return province_position(table, unit, is_partial=partial), issues, ledger
