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
from parlib.core.catalog import crosswalk_path, province_path, scoresheet_path
from parlib.core.errors import ConfigError
from parlib.core.io import write_table
from parlib.core.issues import IssueLog, issues_frame
from parlib.core.paths import Paths
from parlib.core.vnformat import fmt_num
from parlib.ingest.crosswalk import load_crosswalk
from parlib.ingest.framework import framework_of_year
from parlib.ingest.rules import load_bands
from parlib.ingest.scoresheet import read_scoresheet, require_complete
from parlib.ingest.scoresheet_layout import load_layouts
from parlib.ingest.unit import load_unit, unit_path
from parlib.model.framework import Framework
from parlib.model.results import AnnualResult
from parlib.model.unit import Unit, level_from_name
from parlib.pipelines.comparison import build_comparison
from parlib.pipelines.province import position_of_year


def _read_sheet(paths: Paths, year: int, fw: Framework, unit_name: str | None = None):

    layouts = load_layouts(paths.config / "scoresheet_layouts.csv")
    if year not in layouts:
        raise ConfigError(
            f"Chưa khai báo bố cục bảng điểm năm {year} trong "
            f"{paths.rel(paths.config / 'scoresheet_layouts.csv')} (các năm đã có: "
            f"{', '.join(map(str, sorted(layouts)))})."
        )
    path = scoresheet_path(paths, year)
    sheet = read_scoresheet(
        path, year, fw, layouts[year], unit_name=unit_name or None, display_name=paths.rel(path)
    )
    require_complete(sheet, fw)
    return path, sheet


def preflight(year: int, paths: Paths, *, base_year: int | None = None, unit_name: str | None = None) -> None:
    """Structural checks only (unit, framework, layout, scoresheet, province table, crosswalk);
    raises on problems."""
    unit = load_unit(paths, unit_name)
    fw = framework_of_year(paths, year)
    _read_sheet(paths, year, fw, unit.name)
    load_bands(paths, year, unit.province)
    position_of_year(paths, year, unit)
    if base_year:
        base_fw = framework_of_year(paths, base_year)
        _read_sheet(paths, base_year, base_fw)
        load_crosswalk(crosswalk_path(paths, base_year, year), base_fw, fw)


def score_year(year: int, paths: Paths, *, write: bool = True, unit: Unit | None = None) -> AnnualResult:
    """Read, validate and attribute one year (no comparison). ``unit``: the unit of the run
    (default ``load_unit(paths)``); an unnamed unit takes the name in the scoresheet's title."""
    unit = unit if unit is not None else load_unit(paths)
    fw = framework_of_year(paths, year)
    sheet_file, sheet = _read_sheet(paths, year, fw, unit.name)
    if not unit.name and sheet.meta.get("unit_name"):
        found = sheet.meta["unit_name"]
        unit = Unit(found, level=level_from_name(found) or "", source=paths.rel(sheet_file), notes=unit.notes)
    bands = load_bands(paths, year, unit.province)
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
    if unit.notes:
        log = IssueLog()
        for note in unit.notes:
            log.add("unit_not_declared", note, severity="warning", source=paths.rel(unit_path(paths)))
        issues = pd.concat([issues, log.to_frame()], ignore_index=True)
    position, prov_issues, prov_ledger = position_of_year(paths, year, unit)
    differs = _check_province_total(position, summary, paths.rel(province_path(paths.raw, year)))
    if not differs.empty:
        prov_issues = pd.concat([prov_issues, differs], ignore_index=True)
    res = AnnualResult(
        year=year,
        framework=fw,
        scores=sheet.scores,
        loss=loss,
        summary=summary,
        fields=loss_tables.field_table(loss),
        levels=loss_tables.level_tables(loss),
        stages=loss_tables.loss_by_stage(loss),
        offices=loss_tables.loss_by_office(loss),
        methods=loss_tables.loss_by_method(loss),
        pareto=loss_tables.pareto(loss),
        top=loss_tables.top_losses(loss, 3),
        issues=issues,
        ledger=sheet.ledger,
        inputs=[
            fw.source,
            sheet_file,
            paths.config / "bands.csv",
            paths.config / "scoresheet_layouts.csv",
            *[
                p
                for p in (
                    unit_path(paths),
                    province_path(paths.raw, year),
                    paths.config / "province_layouts.csv",
                    paths.config / "unit_renames.csv",
                )
                if p.exists()
            ],
        ],
        printed_total=sheet.printed_total,
        extra={
            "scoresheet_illustrative": bool(getattr(sheet, "meta", {}).get("is_illustrative", False)),
            "province_issues": prov_issues,
            "province_ledger": prov_ledger,
        },
        unit=unit,
        province=position,
    )
    if write:
        _write_processed(res, paths)
    return res


def _check_province_total(position: dict | None, summary: dict, source: str) -> pd.DataFrame:
    """The unit's total in the province table against the total computed from its scoresheet: a
    difference beyond rounding (0,01) is a warning (returned as issue rows) and a note under the
    position."""
    log = IssueLog()
    if not position or position.get("total_points") is None or summary.get("total_points") is None:
        return log.to_frame()
    if abs(position["total_points"] - summary["total_points"]) <= 0.011:
        return log.to_frame()
    msg = (
        f"Tổng điểm của đơn vị trong bảng kết quả toàn tỉnh ({fmt_num(position['total_points'])}) khác tổng "
        f"điểm tính từ bảng điểm ({fmt_num(summary['total_points'])}): kiểm tra tên đơn vị và đúng tệp của năm."
    )
    position["notes"].append(msg)
    log.add(
        "province_total_differs", msg, severity="warning", source=source, code=position.get("unit_name") or ""
    )
    return log.to_frame()


def build(
    year: int, paths: Paths | None = None, *, base_year: int | None = None, unit_name: str | None = None
) -> AnnualResult:
    """The whole annual analysis of ``year`` (and the comparison with ``base_year``) for the unit
    of ``raw/config/unit.csv`` or, when given, ``unit_name``."""
    paths = paths or Paths()
    unit = load_unit(paths, unit_name or None)
    res = score_year(year, paths, unit=unit)
    if base_year:
        base = score_year(base_year, paths, unit=res.unit)
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
