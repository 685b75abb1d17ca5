"""The annual analysis: from the year's raw scoresheet to every table of the annual report.

``build(year, paths)`` reads and validates the framework and the scoresheet, attributes
every lost point, writes the processed tables (Parquet + provenance) and returns an
``AnnualResult`` that the notebook only displays. ``preflight`` runs the structural checks
alone so that the CLI can stop with a clear message before any notebook starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import attribution
from .config import Paths
from .errors import ConfigError, Problem, StructuralError
from .framework import Framework, find_framework, load_framework, load_offices
from .io import write_table
from .issues import IssueLog, issues_frame, ledger_summary
from .readers import parse_numbers, read_csv_table

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

    @property
    def is_illustrative(self) -> bool:
        return bool(self.framework.is_illustrative or self.extra.get("scoresheet_illustrative"))


def scoresheet_path(paths: Paths, year: int) -> Path:
    p = paths.scoresheets / f"bang_diem_{year}.xlsx"
    if not p.exists():
        have = sorted(x.name for x in paths.scoresheets.glob("*.xlsx")) if paths.scoresheets.exists() else []
        raise ConfigError(f"Không tìm thấy bảng điểm năm {year}: cần tệp {p}. "
                          f"Các tệp hiện có: {', '.join(have) or 'không có'}.")
    return p


def load_bands(paths: Paths) -> pd.DataFrame:
    p = paths.config / "bands.csv"
    if not p.exists():
        raise ConfigError(f"Thiếu tệp xếp loại {p} (cột band_name, min_pct).")
    bands = read_csv_table(p, display_name=paths.rel(p))
    missing = [c for c in ("band_name", "min_pct") if c not in bands.columns]
    if missing:
        raise StructuralError("Tệp xếp loại không hợp lệ.", [
            Problem(f"thiếu cột «{c}»", file=paths.rel(p), column=c) for c in missing])
    pct, bad = parse_numbers(bands["min_pct"].astype(object))
    bad = bad | pct.isna()
    if bad.any():
        raise StructuralError("Tệp xếp loại không hợp lệ.", [
            Problem(f"ngưỡng «{v}» không phải là số", file=paths.rel(p), row=int(i) + 2, column="min_pct")
            for i, v in bands.loc[bad, "min_pct"].items()])
    return bands.assign(min_pct=pct)


def _load_framework(paths: Paths, year: int) -> Framework:
    offices_file = paths.config / "offices.csv"
    offices = load_offices(offices_file) if offices_file.exists() else None
    return load_framework(find_framework(paths.framework, year), offices=offices)


def _read_sheet(paths: Paths, year: int, fw: Framework):
    from .scoresheet import load_layouts, read_scoresheet

    layouts = load_layouts(paths.config / "scoresheet_layouts.csv")
    if year not in layouts:
        raise ConfigError(f"Chưa khai báo bố cục bảng điểm năm {year} trong "
                          f"{paths.rel(paths.config / 'scoresheet_layouts.csv')} (các năm đã có: "
                          f"{', '.join(map(str, sorted(layouts)))}).")
    path = scoresheet_path(paths, year)
    return path, read_scoresheet(path, year, fw, layouts[year], display_name=paths.rel(path))


def preflight(year: int, paths: Paths, *, base_year: int | None = None) -> None:
    """Structural checks only (framework, layout, scoresheet, crosswalk); raises on problems."""
    fw = _load_framework(paths, year)
    _read_sheet(paths, year, fw)
    load_bands(paths)
    if base_year:
        from .crosswalk import load_crosswalk

        base_fw = _load_framework(paths, base_year)
        _read_sheet(paths, base_year, base_fw)
        load_crosswalk(crosswalk_path(paths, base_year, year), base_fw, fw)


def crosswalk_path(paths: Paths, base_year: int, year: int) -> Path:
    p = paths.raw / "crosswalk" / f"crosswalk_{base_year}_{year}.csv"
    if not p.exists():
        raise ConfigError(f"Thiếu bảng đối chiếu tiêu chí giữa năm {base_year} và {year}: cần tệp {p}.")
    return p


def score_year(year: int, paths: Paths, *, write: bool = True) -> AnnualResult:
    """Read, validate and attribute one year (no comparison)."""
    fw = _load_framework(paths, year)
    sheet_file, sheet = _read_sheet(paths, year, fw)
    bands = load_bands(paths)
    nodes = fw.nodes
    loss = attribution.loss_by_node(sheet.scores, nodes)
    summary = attribution.index_summary(sheet.scores, nodes, bands, loss)
    issues = issues_frame(sheet.issues.to_dict("records")) if len(sheet.issues) else issues_frame()
    if summary.get("n_missing_final"):
        log = IssueLog()
        log.add("missing_final_total", "Tổng điểm không tính được đầy đủ vì thiếu điểm thẩm định của "
                f"{summary['n_missing_final']} tiêu chí thành phần: {', '.join(summary['missing_final_codes'])}.",
                severity="error", source=paths.rel(sheet_file))
        issues = pd.concat([issues, log.to_frame()], ignore_index=True)
    res = AnnualResult(
        year=year, framework=fw, scores=sheet.scores, loss=loss, summary=summary,
        fields=attribution.field_table(loss), stages=attribution.loss_by_stage(loss),
        offices=attribution.loss_by_office(loss), methods=attribution.loss_by_method(loss),
        pareto=attribution.pareto(loss), top=attribution.top_losses(loss, 3),
        issues=issues, ledger=sheet.ledger, inputs=[fw.source, sheet_file,
                                                    paths.config / "bands.csv",
                                                    paths.config / "scoresheet_layouts.csv"],
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
        from .comparison import build_comparison

        base = score_year(base_year, paths)
        res.comparison = build_comparison(base, res, paths)
    return res


def _write_processed(res: AnnualResult, paths: Paths) -> None:
    params = {"year": res.year}
    inputs = [p for p in res.inputs if p and Path(p).exists()]
    out = paths.processed
    write_table(res.scores, out / f"scores_{res.year}.parquet", inputs=inputs, params=params, base=paths.data)
    write_table(res.loss, out / f"point_loss_{res.year}.parquet", inputs=inputs, params=params, base=paths.data)
    write_table(res.issues, out / f"issues_annual_{res.year}.parquet", inputs=inputs, params=params,
                base=paths.data)
    write_table(res.ledger, out / f"ledger_annual_{res.year}.parquet", inputs=inputs, params=params,
                base=paths.data)


def _r(x, nd: int = 2):
    return None if x is None or (isinstance(x, float) and pd.isna(x)) else round(float(x), nd)


def summary_json(res: AnnualResult) -> dict:
    """The stable machine-readable summary (contract in README, ``summary.json``)."""
    s = res.summary
    stage = res.stages.set_index("stage")["points_lost"]
    counts = res.issues["severity"].value_counts() if not res.issues.empty else pd.Series(dtype=int)
    led = ledger_summary(res.ledger)
    out = {
        "schema_version": SCHEMA_VERSION,
        "report": "annual",
        "year": res.year,
        "unit_name": s.get("unit_name"),
        "is_illustrative": res.is_illustrative,
        "total_points": _r(s.get("total_points")),
        "max_points": _r(s.get("max_points")),
        "index_pct": _r(s.get("index_pct")),
        "band": s.get("band"),
        "points_lost": _r(s.get("points_lost")),
        "bonus_points": _r(s.get("bonus_points")),
        "penalty_points": _r(s.get("penalty_points")),
        "loss_by_stage": {
            "not_claimed": _r(stage.get("not_claimed", 0.0)),
            "cut_at_appraisal": _r(stage.get("cut_round1", 0.0)),
            # the stage table signs 'regained' as a negative contribution to the loss;
            # the summary reports the points regained as a positive number
            "regained_after_explanation": _r(-stage.get("regained", 0.0)),
            "survey": _r(stage.get("survey", 0.0)),
            "unsplit": _r(stage.get("unsplit", 0.0)),
        },
        "fields": [
            {"code": str(r.code), "name": r.name, "points": _r(r.final_points), "max_points": _r(r.max_points),
             "points_lost": _r(r.points_lost), "index_pct": _r(r.pct_of_max)}
            for r in res.fields.itertuples(index=False)
        ],
        "top_losses": [
            {"code": str(r.code), "name": r.name, "points_lost": _r(r.points_lost), "max_points": _r(r.max_points),
             "owner_office": r.owner_office, "partner_offices": r.partner_offices, "stage": r.stage}
            for r in res.top.itertuples(index=False)
        ],
        "issues": {k: int(counts.get(k, 0)) for k in ("error", "warning", "info")},
        "rows": {k: int(led[k].sum()) if not led.empty else 0 for k in ("read", "used", "rejected", "skipped")},
    }
    if res.comparison is not None:
        out["comparison"] = res.comparison.summary_json()
    return out
