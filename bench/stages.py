"""One benchmark stage, run in a fresh process: ``python bench/stages.py STAGE --root DIR``.

Prints one JSON line: ``{"stage", "seconds", ...}`` where ``seconds`` is the timed operation
only (inputs the stage needs are loaded before the clock starts, outputs written after it
stops unless writing is the stage). The parent (bench/run.py) measures the process's wall time
and peak memory around it. ``--root`` is ``<work>/<scale>`` (bench/gen.py's layout);
``<root>/state/`` holds what stages hand to each other (classified dossiers, executed notebook).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
YEAR, QUARTER = 2026, 3
STAGES: dict = {}


def stage(fn):
    STAGES[fn.__name__] = fn
    return fn


def _paths(root: Path):
    from parlib.core.paths import Paths

    return Paths(root / "data", root / "reports")


def _period():
    from parlib.core.periods import Period

    return Period(YEAR, QUARTER)


def _dossier_inputs(root: Path):
    from parlib.ingest.calendar import load_calendar
    from parlib.ingest.dossier_columns import load_procedures
    from parlib.pipelines.quarterly import input_files

    paths = _paths(root)
    return (
        input_files(paths, _period())["dossiers"],
        load_procedures(paths.config / "procedures.csv"),
        load_calendar(paths),
        paths,
    )


def _clear_cache(root: Path) -> None:
    shutil.rmtree(_paths(root).parse_cache, ignore_errors=True)


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# ---------------------------------------------------------------- parsing the raw export


@stage
def parse_xlsx_calamine(root: Path) -> dict:
    """The last quarter's .xlsx through parlib.ingest.readers.read_cells (calamine + cell grid)."""
    from parlib.ingest.readers import read_cells

    s, (cells, _) = _timed(
        lambda: read_cells(root / "parse" / f"ho_so_{YEAR}_Q{QUARTER}.xlsx", "Danh sách hồ sơ")
    )
    return {"seconds": s, "rows": len(cells)}


@stage
def parse_xlsx_calamine_raw(root: Path) -> dict:
    """calamine alone: the sheet as Python lists, no DataFrame."""
    from python_calamine import CalamineWorkbook

    def run():
        wb = CalamineWorkbook.from_path(str(root / "parse" / f"ho_so_{YEAR}_Q{QUARTER}.xlsx"))
        return wb.get_sheet_by_name("Danh sách hồ sơ").to_python(skip_empty_area=False)

    s, rows = _timed(run)
    return {"seconds": s, "rows": len(rows)}


@stage
def parse_xlsx_openpyxl(root: Path) -> dict:
    """openpyxl read-only mode, values only (the alternative reader)."""
    import openpyxl

    def run():
        wb = openpyxl.load_workbook(
            root / "parse" / f"ho_so_{YEAR}_Q{QUARTER}.xlsx", read_only=True, data_only=True
        )
        rows = list(wb["Danh sách hồ sơ"].iter_rows(values_only=True))
        wb.close()
        return rows

    s, rows = _timed(run)
    return {"seconds": s, "rows": len(rows)}


@stage
def parse_csv(root: Path) -> dict:
    """The same export as CSV through parlib.ingest.readers.read_cells."""
    from parlib.ingest.readers import read_cells

    s, (cells, _) = _timed(lambda: read_cells(root / "parse" / f"ho_so_{YEAR}_Q{QUARTER}.csv"))
    return {"seconds": s, "rows": len(cells)}


# ---------------------------------------------------------------- ingestion, KPIs, models


def _read(root: Path, cache: bool, warm: bool = True):
    import inspect

    from parlib.ingest.dossiers import read_dossier_exports

    files, procs, cal, paths = _dossier_inputs(root)
    kwargs = {"data_dir": paths.data}
    if "cache_dir" in inspect.signature(read_dossier_exports).parameters:
        kwargs["cache_dir"] = paths.parse_cache if cache else None
    elif cache:
        return None, {"skipped": "read_dossier_exports has no cache_dir parameter"}
    if cache and warm:  # warm the cache outside the clock (a hit when it is warm already)
        read_dossier_exports(files, procs, cal, **kwargs)
    s, res = _timed(lambda: read_dossier_exports(files, procs, cal, **kwargs))
    return res, {"seconds": s, "rows": len(res.dossiers), "issues": len(res.issues), "files": len(files)}


@stage
def read_dossiers(root: Path) -> dict:
    """All quarterly exports: parse, validate, de-duplicate, recompute due dates (no cache).
    Also writes ``state/dossiers.parquet`` (after the clock) for the later stages."""
    _clear_cache(root)
    res, out = _read(root, cache=False)
    state = root / "state"
    state.mkdir(exist_ok=True)
    res.dossiers.to_parquet(state / "dossiers.parquet", index=False)
    return out


@stage
def read_dossiers_first(root: Path) -> dict:
    """The product's first parse: the parse cache empty, every file parsed and its copy stored
    (what quarterly.build does on a first run; large exports on two cores)."""
    _clear_cache(root)
    _res, out = _read(root, cache=True, warm=False)
    return out


@stage
def read_dossiers_cached(root: Path) -> dict:
    """The same with every file's parsed copy in the parse cache (a re-run, inputs unchanged)."""
    _res, out = _read(root, cache=True)
    return out


@stage
def parquet_read(root: Path) -> dict:
    """Floor of data access: the same dossiers read back from Parquet."""
    import pandas as pd

    s, df = _timed(lambda: pd.read_parquet(root / "state" / "dossiers.parquet"))
    return {"seconds": s, "rows": len(df)}


@stage
def classify_kpis(root: Path) -> dict:
    """766 classification of the quarter and the whole KPI table (months, quarters, YTD,
    history by office), as quarterly.build computes them."""
    import pandas as pd

    from parlib.analysis import kpi
    from parlib.analysis.kpi_table import kpi_table

    _files, procs, cal, _paths_ = _dossier_inputs(root)
    d = pd.read_parquet(root / "state" / "dossiers.parquet")
    period = _period()

    def run():
        c = kpi.classify_dossiers(d, cal, period.end, period_start=period.start)
        t = kpi_table(
            d,
            cal,
            YEAR,
            QUARTER,
            procedures=procs,
            history_from=int(d["received_at"].min().year),
            history_dimensions=["office_name"],
        )
        return c, t

    s, (c, t) = _timed(run)
    return {"seconds": s, "rows": len(c), "kpi_rows": len(t)}


@stage
def model(root: Path) -> dict:
    """Binomial GLM of lateness on aggregated counts (office × field × channel × month) for the
    year to date: classification is done before the clock."""
    import pandas as pd

    from parlib.analysis import kpi
    from parlib.analysis.outcome_model import aggregate_outcomes, fit_outcome_glm

    _files, _procs, cal, _paths_ = _dossier_inputs(root)
    d = pd.read_parquet(root / "state" / "dossiers.parquet")
    period = _period()
    c = kpi.classify_dossiers(d, cal, period.end, period_start=period.year_start)
    s, (cells, fit) = _timed(lambda: (lambda cells: (cells, fit_outcome_glm(cells)))(aggregate_outcomes(c)))
    return {"seconds": s, "rows": len(c), "cells": len(cells), "status": fit.status}


@stage
def projection(root: Path) -> dict:
    """Points at risk from the year-to-date KPI values (framework of the year)."""
    from parlib.pipelines import quarterly

    paths = _paths(root)
    targets = quarterly.load_targets(paths)
    values = {k: 90.0 for k in targets["kpi"]}
    s, (_fw, proj) = _timed(lambda: quarterly._projection(paths, YEAR, values, targets))
    return {"seconds": s, "rows": len(proj)}


@stage
def survey(root: Path) -> dict:
    """Satisfaction analysis of the quarter (read, indices, changes, drivers, comments)."""
    import pandas as pd

    from parlib.pipelines import quarterly

    paths = _paths(root)
    files = quarterly.input_files(paths, _period())["survey"]
    s, parts = _timed(lambda: quarterly._survey(paths, files, _period(), pd.DataFrame()))
    return {"seconds": s, "rows": int(len(parts["survey"].responses)) if parts else 0}


@stage
def build(root: Path) -> dict:
    """quarterly.build end to end in one process (no notebook), processed tables written;
    parse cache cleared first (a first run)."""
    from parlib.pipelines import quarterly

    _clear_cache(root)
    s, res = _timed(lambda: quarterly.build(YEAR, QUARTER, _paths(root)))
    return {"seconds": s, "rows": len(res.dossiers)}


@stage
def warm_cache(root: Path) -> dict:
    """Every raw file build_cached reads parsed into the parse cache (dossier exports, feedback
    logs, survey files: quarterly.warm_parse_cache), so that the build finds them all there."""
    from parlib.pipelines import quarterly

    s, failed = _timed(lambda: quarterly.warm_parse_cache(YEAR, QUARTER, _paths(root)))
    return {"seconds": s, "failed": len(failed)}


@stage
def build_cached(root: Path) -> dict:
    """quarterly.build with every dossier export's parsed copy taken from the parse cache
    (warmed by warm_cache; a fresh process, so peak memory is the cached run's): the build
    reads the exports with ``cache_dir=data/processed/.cache`` (pipelines.inputs.read_dossiers)."""
    from parlib.pipelines import quarterly

    paths = _paths(root)
    from parlib.core.cache import STATS

    s, res = _timed(lambda: quarterly.build(YEAR, QUARTER, paths))
    # misses > 0: a parlib source file changed since the cache was warmed (the key covers the code)
    return {
        "seconds": s,
        "rows": len(res.dossiers),
        "cache_hits": STATS["hits"],
        "cache_misses": STATS["misses"],
    }


# ---------------------------------------------------------------- notebooks


@stage
def notebook_execute(root: Path) -> dict:
    """papermill execution of notebooks/quarterly.ipynb (build + every section) via
    parlib.report.render.execute; the executed notebook is kept in state/ for html_export."""
    from parlib.cli.commands import quarterly_spec
    from parlib.report.render import ReportSpec, execute

    base = quarterly_spec(YEAR, QUARTER)
    state = root / "state"
    state.mkdir(exist_ok=True)
    out_dir = state / "nb_out"
    out_dir.mkdir(exist_ok=True)
    params = dict(base.params, data_dir=str(root / "data"), output_dir=str(out_dir))
    spec = ReportSpec(base.notebook, base.period, base.stem, base.title, params)
    s, _ = _timed(lambda: execute(spec, state / "quarterly_executed.ipynb"))
    return {"seconds": s}


@stage
def html_export(root: Path) -> dict:
    """nbconvert export of the executed notebook to the offline HTML report."""
    from parlib.report.render import export_html

    state = root / "state"
    s, warnings = _timed(
        lambda: export_html(state / "quarterly_executed.ipynb", state / "quarterly.html", "Theo dõi CCHC")
    )
    return {"seconds": s, "html_bytes": (state / "quarterly.html").stat().st_size}


@stage
def floor_notebook(root: Path) -> dict:
    """Floor: bench/floor.ipynb (the quarterly notebook's setup and imports, no analysis)
    executed through parlib.report.render.execute and exported with export_html, like a report."""
    from parlib.report.render import ReportSpec, execute, export_html

    state = root / "state"
    state.mkdir(exist_ok=True)
    spec = ReportSpec(
        str(BENCH_DIR / "floor.ipynb"), "floor", "floor", "floor", {"year": YEAR, "quarter": QUARTER}
    )

    def run():
        execute(spec, state / "floor_executed.ipynb")
        export_html(state / "floor_executed.ipynb", state / "floor.html", "floor")

    s, _ = _timed(run)
    return {"seconds": s}


# ---------------------------------------------------------------- province scale (issue 19)
# <root> is bench/province.py's folder: dossiers.parquet (the dossier table, as the reader returns
# it and the parse cache stores it), procedures.csv; the calendar is the project's.


def _province(root: Path):
    from parlib.core.paths import PROJECT_ROOT
    from parlib.ingest.calendar import load_calendar
    from parlib.ingest.dossier_columns import load_procedures

    cal = load_calendar(PROJECT_ROOT / "data" / "raw" / "config" / "holidays.csv")
    kw = {
        "procedures": load_procedures(root / "procedures.csv"),
        "history_from": 2025,
        "history_dimensions": ["office_name"],
    }
    return root / "dossiers.parquet", cal, kw


@stage
def prov_parquet_read(root: Path) -> dict:
    """The province's dossier table read from Parquet into pandas (what the pipeline holds)."""
    import pandas as pd

    path, _cal, _kw = _province(root)
    s, df = _timed(lambda: pd.read_parquet(path))
    return {"seconds": s, "rows": len(df)}


@stage
def prov_kpi_pandas(root: Path) -> dict:
    """The KPI table by the pandas implementation (the reference), frame read before the clock;
    after the clock, the DuckDB table is computed and compared (``identical``)."""
    import pandas as pd

    from parlib.analysis import kpi_sql
    from parlib.analysis.kpi_table import kpi_table

    path, cal, kw = _province(root)
    d = pd.read_parquet(path)
    s, t = _timed(lambda: kpi_table(d, cal, YEAR, QUARTER, **kw))
    other = kpi_sql.kpi_table(d, cal, YEAR, QUARTER, **kw)
    try:
        pd.testing.assert_frame_equal(t, other, check_exact=True)
        same = True
    except AssertionError:
        same = False
    return {"seconds": s, "rows": len(d), "kpi_rows": len(t), "identical": same}


@stage
def prov_kpi_duckdb(root: Path) -> dict:
    """The KPI table on DuckDB from the pandas frame (what quarterly.build does), frame read
    before the clock."""
    import pandas as pd

    from parlib.analysis import kpi_sql

    path, cal, kw = _province(root)
    d = pd.read_parquet(path)
    s, t = _timed(lambda: kpi_sql.kpi_table(d, cal, YEAR, QUARTER, **kw))
    return {"seconds": s, "rows": len(d), "kpi_rows": len(t)}


@stage
def prov_kpi_duckdb_parquet(root: Path) -> dict:
    """The KPI table on DuckDB straight from the Parquet file (no dossier row in pandas)."""
    from parlib.analysis import kpi_sql

    path, cal, kw = _province(root)
    s, t = _timed(lambda: kpi_sql.kpi_table(path, cal, YEAR, QUARTER, **kw))
    return {"seconds": s, "kpi_rows": len(t)}


@stage
def prov_dossier_stages(root: Path) -> dict:
    """The dossier-level work of quarterly.build as it now runs, straight from the Parquet file:
    the KPI table and the offices against their baselines (every window classified on DuckDB,
    office_watch's tests in pandas on the sums). No dossier row in pandas."""
    from parlib.analysis import kpi_sql
    from parlib.analysis.counts_sql import SqlCounter
    from parlib.analysis.offices import office_watch

    path, cal, kw = _province(root)

    def run():
        t = kpi_sql.kpi_table(path, cal, YEAR, QUARTER, **kw)
        return t, office_watch(SqlCounter(path, cal), YEAR, QUARTER)

    s, (t, watch) = _timed(run)
    return {"seconds": s, "kpi_rows": len(t), "office_rows": len(watch)}


@stage
def prov_build(root: Path) -> dict:
    """quarterly.build with the province's dossier table as the dossier reader's output (read
    from Parquet before the clock) and every other input of the 1m department folder (feedback,
    survey, 766 scores, tasks, catalogue, framework): everything the build does after the
    reader, processed tables written. Needs the 1m scale generated."""
    import pandas as pd
    import pyarrow.parquet as pq

    from parlib.core.issues import issues_frame
    from parlib.ingest.dossier_columns import as_categories
    from parlib.ingest.dossiers import DossierResult
    from parlib.pipelines import quarterly

    path, _cal, _kw = _province(root)
    # as the reader returns it: every column in one piece (its rows are selected by one take),
    # its few-valued texts as categoricals (ingest.dossier_columns.as_categories). Read from
    # Parquet, a text column comes in ~80 pieces, and every row selection of a column in pieces
    # joins them all first (1 s a column at 10M on this host): a cost the reader's output never
    # has. One column at a time, so that the peak stays the frame's.
    names = pq.read_schema(path).names
    data = {}
    for c in names:  # the table's pandas metadata gives each column its dtype (Int64, boolean)
        part = pq.read_table(path, columns=[c]).combine_chunks()
        data[c] = as_categories(part.to_pandas())[c]
        del part
    frame = pd.DataFrame(data, copy=False)
    del data
    out = DossierResult(
        frame, issues_frame(), pd.DataFrame(columns=["source", "sheet", "status", "reason", "rows"])
    )
    from parlib.pipelines import inputs

    # the function quarterly.build calls (through pipelines.inputs.read_dossiers) is replaced
    inputs.read_dossier_exports = lambda *a, **k: out
    paths = _paths(root.parent / "1m")
    s, res = _timed(lambda: quarterly.build(YEAR, QUARTER, paths))
    if len(res.dossiers) != len(frame):  # never report the department folder's build as the province's
        raise RuntimeError(
            f"prov_build built {len(res.dossiers)} dossiers, not the province's {len(frame)}: "
            "the reader was not replaced"
        )
    return {"seconds": s, "rows": len(res.dossiers), "classified_rows": res.extra["classified_rows"]}


def _reference(root: Path, sql_file: str):
    import duckdb

    from parlib.analysis.kpi_sql import calendar_tables

    path, cal, _kw = _province(root)
    sql = (BENCH_DIR / sql_file).read_text(encoding="utf-8")

    def run():
        con = duckdb.connect()
        cal_t, wd_t = calendar_tables(cal)
        con.register("cal", cal_t)
        con.register("wd", wd_t)
        out = con.execute(sql, [str(path)]).df()
        con.close()
        return out

    return _timed(run)


def _compare_reference(ref, table) -> bool:
    """Every k and n of the reference query equal to the KPI table's; the KPI table's rows absent
    from the reference (catalogue groups without dossiers) have k = n = 0."""
    import pandas as pd

    keys = ["period_kind", "period", "dimension", "group"]
    ref = ref.rename(columns={"kind": "period_kind"})
    ref["group"] = ref["group"].astype(object).where(ref["dimension"] != "all", "Tất cả").fillna("")
    kpis = [c[2:] for c in ref.columns if c.startswith("k_")]
    long = pd.concat(
        [ref[keys].assign(kpi=k, k=ref[f"k_{k}"].to_numpy(), n=ref[f"n_{k}"].to_numpy()) for k in kpis],
        ignore_index=True,
    )
    both = (
        table[[*keys, "kpi", "k", "n"]]
        .astype({"group": object})
        .merge(
            long.astype({"group": object}),
            on=[*keys, "kpi"],
            how="outer",
            suffixes=("", "_ref"),
            indicator=True,
        )
    )
    only_table = both["_merge"] == "left_only"
    return bool(
        (both["_merge"] != "right_only").all()
        and ((both.loc[only_table, "k"] == 0) & (both.loc[only_table, "n"] == 0)).all()
        and (both.loc[~only_table, "k"] == both.loc[~only_table, "k_ref"]).all()
        and (both.loc[~only_table, "n"] == both.loc[~only_table, "n_ref"]).all()
    )


@stage
def prov_reference_query(root: Path) -> dict:
    """bench/reference_kpi.sql: one plain DuckDB query computing the KPI table's k and n (every
    KPI × period × grouping, the 766 rules) on the same Parquet file; after the clock its counts
    are compared with the KPI step's table (``identical``)."""
    from parlib.analysis import kpi_sql

    s, ref = _reference(root, "reference_kpi.sql")
    path, cal, kw = _province(root)
    same = _compare_reference(ref, kpi_sql.kpi_table(path, cal, YEAR, QUARTER, **kw))
    return {"seconds": s, "kpi_rows": len(ref), "identical": same}


@stage
def prov_floor_query(root: Path) -> dict:
    """bench/floor_kpi.sql: the plain query of the issue's first measurement (office × month:
    received, finished, on time by working days, overdue) — context only, it computes less."""
    s, t = _reference(root, "floor_kpi.sql")
    return {"seconds": s, "kpi_rows": len(t)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("stage", choices=sorted(STAGES))
    p.add_argument("--root", required=True, type=Path)
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    out = STAGES[a.stage](a.root.resolve())
    out = {"stage": a.stage, **out, "in_process_s": time.perf_counter() - t0}
    print("BENCH-RESULT " + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
