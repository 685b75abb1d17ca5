"""Implementation of the ``parlib`` subcommands (see ``parlib.cli``).

Each command checks its inputs in-process first (so a structural problem stops the run
with a Vietnamese message before any notebook starts), then renders its report(s).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from parlib.core.catalog import latest_quarter as catalog_latest_quarter
from parlib.core.catalog import scan_raw
from parlib.core.errors import ConfigError
from parlib.core.labels import quarter_label
from parlib.core.log import progress as log
from parlib.core.log import warn
from parlib.core.paths import PROJECT_ROOT, Paths
from parlib.report.render import ReportSpec, published_unchanged, render

# The pipelines (pandas, SciPy, statsmodels, DuckDB: about 2 s of imports) are imported by the
# commands that need them, after the check that an unchanged report can be reused as it is.


def _latest_year_with(dir_: Path, pattern: str) -> int | None:
    years = []
    for p in dir_.glob("*"):
        m = re.fullmatch(pattern, p.name)
        if m:
            years.append(int(m.group(1)))
    return max(years) if years else None


def _unit(args) -> str:
    """The ``--unit`` option ("" when not given: the unit of raw/config/unit.csv)."""
    return (getattr(args, "unit", None) or "").strip()


def _report_date(args) -> str:
    """The ``--report-date`` option, or today (the actions' deadlines are dated from it)."""
    return getattr(args, "report_date", None) or dt.date.today().isoformat()


def annual_spec(year: int, base: int | None, unit_name: str = "", report_date: str = "") -> ReportSpec:
    return ReportSpec(
        notebook="annual.ipynb",
        period=str(year),
        stem=f"annual_{year}",
        title=f"Phân tích Chỉ số CCHC (PAR INDEX) năm {year}",
        params={"year": year, "base_year": base or 0, "unit_name": unit_name, "report_date": report_date},
    )


def cmd_annual(args, paths: Paths) -> int:
    from parlib.pipelines import annual

    base = args.base if args.base else annual.default_base_year(paths, args.year)
    log(f"[1/2] Kiểm tra dữ liệu năm {args.year} …")
    annual.preflight(args.year, paths, base_year=base, unit_name=_unit(args) or None)
    log("[2/2] Lập báo cáo năm …")
    res = render(annual_spec(args.year, base, _unit(args), _report_date(args)), paths, force=args.force)
    _done(res)
    return 0


def cmd_compare(args, paths: Paths) -> int:
    from parlib.pipelines import annual

    log(f"[1/2] Kiểm tra dữ liệu năm {args.base} và {args.year} …")
    annual.preflight(args.year, paths, base_year=args.base, unit_name=_unit(args) or None)
    annual.preflight(args.base, paths, unit_name=_unit(args) or None)
    log("[2/2] Lập báo cáo so sánh …")
    spec = ReportSpec(
        notebook="compare.ipynb",
        period=f"{args.year}-vs-{args.base}",
        stem=f"compare_{args.base}_{args.year}",
        title=f"So sánh Chỉ số CCHC năm {args.year} với năm {args.base}",
        params={
            "year": args.year,
            "base_year": args.base,
            "unit_name": _unit(args),
            "report_date": _report_date(args),
        },
    )
    _done(render(spec, paths, force=args.force))
    return 0


def quarterly_spec(year: int, quarter: int, unit_name: str = "", report_date: str = "") -> ReportSpec:
    return ReportSpec(
        notebook="quarterly.ipynb",
        period=f"{year}-Q{quarter}",
        stem=f"quarterly_{year}_Q{quarter}",
        title=f"Theo dõi CCHC và SIPAS {quarter_label(year, quarter)}",
        params={"year": year, "quarter": quarter, "unit_name": unit_name, "report_date": report_date},
    )


def cmd_quarterly(args, paths: Paths) -> int:
    spec = quarterly_spec(args.year, args.quarter, _unit(args), _report_date(args))
    if not args.force and (hit := published_unchanged(spec, paths)) is not None:
        _done(hit)  # nothing it was built from changed: no import, no validation, no notebook
        return 0
    from parlib.pipelines import inputs  # not the analysis: the kernel imports it

    log(f"[1/2] Kiểm tra dữ liệu quý {args.quarter}/{args.year} …")
    inputs.preflight(args.year, args.quarter, paths, unit_name=_unit(args) or None)
    log("[2/2] Lập báo cáo quý …")
    _done(render(spec, paths, force=args.force, warm=_warm(args.year, args.quarter, paths)))
    return 0


def cmd_periodic(args, paths: Paths) -> int:
    """The Word draft of the periodic report for a window (default: the latest complete one)."""
    from parlib.pipelines import periodic

    window = periodic.resolve_window(paths, args.year, args.window)
    log(f"[1/2] Kiểm tra dữ liệu kỳ báo cáo {window.label} …")
    periodic.preflight(paths, window)
    log("[2/2] Lập dự thảo báo cáo (Word) …")
    _periodic_done(periodic.build(paths, window.year, window.id))
    return 0


def _periodic_done(res) -> None:
    from parlib.report.periodic_outputs import write_periodic

    files = write_periodic(res)
    print(f"✓ Dự thảo báo cáo CCHC {res.window.label}: {files[0]}", flush=True)


def cmd_validate(args, paths: Paths) -> int:
    from parlib.ingest.validate import validate_path

    return validate_path(Path(args.path), paths)


def cmd_generate(args, paths: Paths) -> int:
    from parlib.generate.annual import generate_annual
    from parlib.generate.operational import generate

    log("Tạo bảng điểm mẫu và bảng kết quả toàn tỉnh (dữ liệu minh họa) …")
    generate_annual(paths.data)
    if not args.annual_only:
        scenario = Path(args.scenario) if args.scenario else PROJECT_ROOT / "scenarios" / "default.toml"
        log(f"Tạo dữ liệu nghiệp vụ mẫu từ kịch bản {scenario} …")
        generate(scenario, paths.data)
    log(f"Đã ghi dữ liệu mẫu vào {paths.raw}")
    return 0


def latest_quarter(paths: Paths) -> tuple[int, int] | None:
    """The latest quarter with a dossier export (the same catalog as the notebooks use)."""
    return catalog_latest_quarter(scan_raw(paths.raw, ("dossiers",))[0])


def cmd_all(args, paths: Paths) -> int:
    """The default reports: the latest annual scoresheet, the latest quarter and the Word draft
    of the periodic report for the latest complete reporting window."""
    from parlib.ingest.windows import windows_path
    from parlib.pipelines import annual, inputs, periodic

    year = _latest_year_with(paths.scoresheets, r"bang_diem_(\d{4})\.xlsx")
    if year is None:
        raise ConfigError(f"Không tìm thấy bảng điểm nào (bang_diem_<năm>.xlsx) trong {paths.scoresheets}.")
    base = annual.default_base_year(paths, year)
    specs = []
    log(f"[1/3] Kiểm tra dữ liệu năm {year} …")
    annual.preflight(year, paths, base_year=base)
    specs.append(annual_spec(year, base, report_date=_report_date(args)))
    lq = latest_quarter(paths)
    if lq is not None and (PROJECT_ROOT / "notebooks" / "quarterly.ipynb").exists():
        log(f"[2/3] Kiểm tra dữ liệu quý {lq[1]}/{lq[0]} …")
        inputs.preflight(lq[0], lq[1], paths)
        specs.append(quarterly_spec(*lq, report_date=_report_date(args)))
    log(f"[3/3] Lập {len(specs)} báo cáo …")
    for i, spec in enumerate(specs):
        # the annual report's root causes read the latest quarter too: warm its files at once
        _done(render(spec, paths, force=args.force, warm=_warm(*lq, paths) if lq and i == 0 else None))
    # the periodic report to the province, for the latest window the exports cover whole
    if not windows_path(paths).exists():
        warn(f"  ! Không lập dự thảo báo cáo CCHC định kỳ: thiếu {paths.rel(windows_path(paths))}.")
        return 0
    window = periodic.latest_complete_window(paths)
    if window is None:
        warn("  ! Không lập dự thảo báo cáo CCHC định kỳ: chưa có kỳ báo cáo nào có đủ số liệu hồ sơ.")
        return 0
    log(f"Lập dự thảo báo cáo CCHC {window.label} (Word) …")
    periodic.preflight(paths, window)
    _periodic_done(periodic.build(paths, window.year, window.id))
    return 0


def _warm(year: int, quarter: int, paths: Paths):
    """Parse the quarter's raw files into the parse cache on the second core (a child process)
    while the notebook's kernel starts (see parlib.pipelines.inputs.warm_parse_cache)."""
    from parlib.pipelines import inputs

    return lambda: inputs.warm_parse_cache(year, quarter, paths)


def _done(res) -> None:
    html = [f for f in res.files if f.suffix == ".html"]
    print(f"✓ {res.spec.title}: {html[0] if html else res.out_dir}", flush=True)  # the result: stdout
    if res.warnings:
        warn(f"  ! {len(res.warnings)} cảnh báo kỹ thuật đã được ghi trong manifest.json")
