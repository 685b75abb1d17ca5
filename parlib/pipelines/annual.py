"""The annual analysis: from the year's raw scoresheet to every table of the annual report.

``build(year, paths)`` reads and validates the framework and the scoresheet, attributes
every lost point, writes the processed tables (Parquet + provenance) and returns an
``AnnualResult`` that the notebook only displays. ``preflight`` runs the structural checks
alone so that the CLI can stop with a clear message before any notebook starts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from parlib.analysis import attribution, loss_tables
from parlib.core.catalog import crosswalk_path, scoresheet_path
from parlib.core.errors import ConfigError
from parlib.core.io import write_table
from parlib.core.issues import IssueLog, issues_frame
from parlib.core.paths import Paths
from parlib.ingest.crosswalk import load_crosswalk
from parlib.ingest.framework import framework_of_year
from parlib.ingest.rules import load_bands
from parlib.ingest.scoresheet import read_scoresheet
from parlib.ingest.scoresheet_layout import load_layouts
from parlib.model.framework import Framework
from parlib.model.results import AnnualResult
from parlib.pipelines.comparison import build_comparison


def _read_sheet(paths: Paths, year: int, fw: Framework):

    layouts = load_layouts(paths.config / "scoresheet_layouts.csv")
    if year not in layouts:
        raise ConfigError(
            f"Chưa khai báo bố cục bảng điểm năm {year} trong "
            f"{paths.rel(paths.config / 'scoresheet_layouts.csv')} (các năm đã có: "
            f"{', '.join(map(str, sorted(layouts)))})."
        )
    path = scoresheet_path(paths, year)
    return path, read_scoresheet(path, year, fw, layouts[year], display_name=paths.rel(path))


def preflight(year: int, paths: Paths, *, base_year: int | None = None) -> None:
    """Structural checks only (framework, layout, scoresheet, crosswalk); raises on problems."""
    fw = framework_of_year(paths, year)
    _read_sheet(paths, year, fw)
    load_bands(paths)
    if base_year:
        base_fw = framework_of_year(paths, base_year)
        _read_sheet(paths, base_year, base_fw)
        load_crosswalk(crosswalk_path(paths, base_year, year), base_fw, fw)


def score_year(year: int, paths: Paths, *, write: bool = True) -> AnnualResult:
    """Read, validate and attribute one year (no comparison)."""
    fw = framework_of_year(paths, year)
    sheet_file, sheet = _read_sheet(paths, year, fw)
    bands = load_bands(paths)
    nodes = fw.nodes
    loss = attribution.loss_by_node(sheet.scores, nodes)
    summary = loss_tables.index_summary(sheet.scores, nodes, bands, loss)
    issues = issues_frame(sheet.issues.to_dict("records")) if len(sheet.issues) else issues_frame()
    if summary.get("n_missing_final"):
        log = IssueLog()
        log.add(
            "missing_final_total",
            "Tổng điểm không tính được đầy đủ vì thiếu điểm thẩm định của "
            f"{summary['n_missing_final']} tiêu chí thành phần: {', '.join(summary['missing_final_codes'])}.",
            severity="error",
            source=paths.rel(sheet_file),
        )
        issues = pd.concat([issues, log.to_frame()], ignore_index=True)
    res = AnnualResult(
        year=year,
        framework=fw,
        scores=sheet.scores,
        loss=loss,
        summary=summary,
        fields=loss_tables.field_table(loss),
        stages=loss_tables.loss_by_stage(loss),
        offices=loss_tables.loss_by_office(loss),
        methods=loss_tables.loss_by_method(loss),
        pareto=loss_tables.pareto(loss),
        top=loss_tables.top_losses(loss, 3),
        issues=issues,
        ledger=sheet.ledger,
        inputs=[fw.source, sheet_file, paths.config / "bands.csv", paths.config / "scoresheet_layouts.csv"],
        printed_total=sheet.printed_total,
        extra={"scoresheet_illustrative": bool(getattr(sheet, "meta", {}).get("is_illustrative", False))},
    )
    if write:
        _write_processed(res, paths)
    return res


def build(year: int, paths: Paths | None = None, *, base_year: int | None = None) -> AnnualResult:
    """The whole annual analysis of ``year`` (and the comparison with ``base_year``)."""
    paths = paths or Paths()
    res = score_year(year, paths)
    if base_year:
        base = score_year(base_year, paths)
        res.comparison = build_comparison(base, res, paths)
    return res


def _write_processed(res: AnnualResult, paths: Paths) -> None:
    params = {"year": res.year}
    inputs = [p for p in res.inputs if p and Path(p).exists()]
    out = paths.processed
    write_table(res.scores, out / f"scores_{res.year}.parquet", inputs=inputs, params=params, base=paths.data)
    write_table(
        res.loss, out / f"point_loss_{res.year}.parquet", inputs=inputs, params=params, base=paths.data
    )
    write_table(
        res.issues, out / f"issues_annual_{res.year}.parquet", inputs=inputs, params=params, base=paths.data
    )
    write_table(
        res.ledger, out / f"ledger_annual_{res.year}.parquet", inputs=inputs, params=params, base=paths.data
    )


def default_base_year(paths: Paths, year: int) -> int | None:
    """The previous year when its framework, crosswalk and scoresheet exist, else None."""
    base = year - 1
    fw = paths.framework / f"framework_{base}.csv"
    cw = paths.raw / "crosswalk" / f"crosswalk_{base}_{year}.csv"
    sheet = paths.scoresheets / f"bang_diem_{base}.xlsx"
    return base if (fw.exists() and cw.exists() and sheet.exists()) else None


def resolve_base_year(paths: Paths, year: int, base_year: int | None) -> int | None:
    """The comparison year of a run: ``None`` means the previous year when its files exist
    (as on the command line), 0 means no comparison, any other year is taken as given."""
    if base_year is None:
        return default_base_year(paths, year)
    return base_year or None
