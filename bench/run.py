"""Performance benchmark of the quarterly pipeline, department to province scale.

    .venv/bin/python bench/run.py                       # 10k, 30k (3 runs), 100k, 1m (1 run)
    .venv/bin/python bench/run.py --quick               # 10k, 1 run: a smoke test
    .venv/bin/python bench/run.py --scales 30k --runs 5 --no-record
    .venv/bin/python bench/run.py --scales 10m --stages build_cached     # 10M, reader included

For each scale (bench/gen.py generates the data once, then reuses it), every stage runs
``--runs`` times, each time in a FRESH process (bench/stages.py), so imports and memory are
those of a real run. Per stage: ``op_s`` (the timed operation, measured inside the process),
``wall_s`` (the whole process: interpreter start, imports, loading inputs, the operation),
``peak_rss_mb`` (largest resident set of the process or any descendant it waited for, from
``os.wait4`` — the kernel's ru_maxrss) and ``peak_tree_mb`` (sum of the resident sets of the
process and all its descendants, sampled every 50 ms with psutil: counts the notebook kernel and
papermill together). Medians over the runs are reported; results go to bench/results.json
and bench/RESULTS.md (unless ``--no-record``).

The floor: ``floor_notebook`` (bench/floor.ipynb — the quarterly notebook's setup and imports,
no analysis — executed and exported through parlib.report, in a fresh process) + ``parquet_read``
(the year's dossiers read from Parquet). Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import gen  # noqa: E402  (bench/ is not a package)
import province  # noqa: E402
import tenfold  # noqa: E402

ALL_SCALES = {**gen.SCALES, **province.SCALES, **tenfold.SCALES}

PY = sys.executable
# stage -> scales where it is skipped by default (too slow to be worth it there), with why
_AT_1M = "not run at 1m (time budget): quarterly_cli covers it"
SKIP = {
    "parse_xlsx_openpyxl": (
        {"1m"},
        "openpyxl: ~0.3 ms per row measured at 10k–100k, about 90 s for the 300k-row file; not run at 1m",
    ),
    "build": ({"1m"}, _AT_1M),
    "notebook_execute": ({"1m"}, _AT_1M),
    "html_export": ({"1m"}, _AT_1M),
    "quarterly_cli_rerun": ({"1m"}, "not run at 1m (time budget)"),
    "quarterly_cli_rerun_force": ({"1m"}, "not run at 1m (time budget)"),
    "prov_kpi_pandas": (
        {"p10m"},
        "not run at 10M: the pandas implementation needs about 16 GB there (issue 19: 118 s, 15.7 GB); "
        "equality with DuckDB is checked at 30k and 1M",
    ),
}
LARGE = {"100k", "1m", "p1m", "p10m", "10m"}  # scales run --runs-large times
STAGES = [
    # (name, what it measures) — order matters: read_dossiers writes state/ for the later stages
    ("build", "quarterly.build in one process (no notebook), parse cache cleared first"),
    ("read_dossiers", "first parse of every quarterly export + validation, de-duplication, due dates"),
    (
        "read_dossiers_first",
        "the same as a first run does it: parse cache empty, every file parsed and its copy stored",
    ),
    ("read_dossiers_cached", "the same, every file's parsed copy from the parse cache"),
    ("parquet_read", "the year's dossiers read from Parquet (part of the floor)"),
    ("parse_xlsx_calamine", "last quarter's .xlsx: parlib.readers.read_cells (calamine + cell grid)"),
    ("parse_xlsx_calamine_raw", "the same file: calamine alone (Python lists)"),
    ("parse_xlsx_openpyxl", "the same file: openpyxl read-only, values"),
    ("parse_csv", "the same export as .csv: parlib.readers.read_cells"),
    ("classify_kpis", "766 classification + every KPI table of quarterly.build"),
    ("model", "binomial GLM of lateness on aggregated counts (YTD)"),
    ("projection", "points at risk (framework projection)"),
    ("survey", "satisfaction analysis of the quarter"),
    ("build_cached", "quarterly.build with every export's parsed copy from the parse cache"),
    ("notebook_execute", "papermill run of notebooks/quarterly.ipynb (build + every section)"),
    ("html_export", "nbconvert export of the executed notebook to the offline HTML"),
    ("floor_notebook", "FLOOR: empty notebook with the same imports, executed + exported"),
    (
        "quarterly_cli",
        "`parlib quarterly --year 2026 --quarter 3` (whole run, first run: no cache, no reports)",
    ),
    ("quarterly_cli_rerun", "the same command again, inputs unchanged (the published report is reused)"),
    (
        "quarterly_cli_rerun_force",
        "the same command with --force: the report is rebuilt, every raw file from the parse cache",
    ),
]


# the province scales (bench/province.py: the dossier table as Parquet) run these stages only
PROVINCE_STAGES = [
    ("prov_parquet_read", "the province's dossier table read from Parquet into pandas"),
    (
        "prov_reference_query",
        "REFERENCE: one plain DuckDB query computing the KPI table's k and n (bench/reference_kpi.sql) "
        "on the same Parquet; identical to the KPI step's counts?",
    ),
    (
        "prov_floor_query",
        "context: the issue's first plain query, office × month, 4 counts (bench/floor_kpi.sql)",
    ),
    (
        "prov_kpi_duckdb_parquet",
        "KPI table on DuckDB straight from the Parquet file (parlib.analysis.kpi_sql)",
    ),
    ("prov_kpi_duckdb", "KPI table on DuckDB from the pandas frame (what quarterly.build does)"),
    ("prov_kpi_pandas", "KPI table by the pandas implementation (reference); identical to DuckDB's?"),
    (
        "prov_dossier_stages",
        "quarterly.build's dossier-level work on DuckDB from Parquet: KPI table + offices vs baselines",
    ),
    (
        "prov_build",
        "quarterly.build after the reader: the province table as the reader's output + the 1m folder's other inputs",
    ),
]


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_process(cmd: list[str], cwd: Path) -> dict:
    """Run ``cmd``; wall time, exit status, ru_maxrss (wait4) and sampled tree RSS."""
    import psutil

    out_path = cwd / f".bench-out-{os.getpid()}.txt"
    t0 = time.perf_counter()
    with open(out_path, "w+", encoding="utf-8") as out:
        p = subprocess.Popen(cmd, cwd=str(PROJECT_ROOT), stdout=out, stderr=subprocess.STDOUT)
        peak = [0]
        done = threading.Event()

        def sample():
            try:
                proc = psutil.Process(p.pid)
            except psutil.Error:
                return
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss(proc))
                done.wait(0.05)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _pid, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        th.join()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    out_path.unlink()
    result = {
        "wall_s": wall,
        "exit": p.returncode,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "peak_tree_mb": peak[0] / 2**20,
    }
    for line in text.splitlines():
        if line.startswith("BENCH-RESULT "):
            result.update(json.loads(line[len("BENCH-RESULT ") :]))
    if p.returncode != 0:
        result["error"] = text[-3000:]
    return result


def stage_command(name: str, root: Path) -> list[str]:
    if name.startswith("quarterly_cli"):
        return [
            PY,
            "-m",
            "parlib.cli",
            "quarterly",
            "--year",
            str(gen.YEAR),
            "--quarter",
            str(gen.QUARTER),
            "--data",
            str(root / "data"),
            "--out",
            str(root / "reports"),
        ] + (["--force"] if name.endswith("_force") else [])
    return [PY, str(BENCH_DIR / "stages.py"), name, "--root", str(root)]


def prepare_stage(name: str, root: Path) -> None:
    """State a stage expects before it starts (outside its measurement)."""
    if name == "quarterly_cli":  # a first run: no parsed copies, no processed tables, no reports
        shutil.rmtree(root / "data" / "processed", ignore_errors=True)
        shutil.rmtree(root / "reports", ignore_errors=True)
    if name in ("build_cached", "read_dossiers_cached"):
        # warm the parse cache in its own process (a hit when already warm): the copy must match
        # the code as it is now, since the key covers the parser's source
        warm = "warm_cache" if name == "build_cached" else "read_dossiers_cached"
        res = run_process(stage_command(warm, root), root)
        if res["exit"]:
            raise RuntimeError(f"warming the parse cache failed:\n{res.get('error', '')}")


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    from importlib.metadata import version

    pkgs = {}
    for name in (
        "pandas",
        "numpy",
        "pyarrow",
        "duckdb",
        "python-calamine",
        "openpyxl",
        "statsmodels",
        "scipy",
        "matplotlib",
        "papermill",
        "nbconvert",
        "nbclient",
        "ipykernel",
    ):
        try:
            pkgs[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is reported as such
            pkgs[name] = "absent"
    import parlib

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "parlib": parlib.__version__,
        "git": _git(),
        "packages": pkgs,
    }


def _git() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def peak_mb(stage: dict) -> float | None:
    """The stage's peak memory (MB): the larger of its largest process's resident set and the
    sampled sum over its process tree (a report's kernel and helpers included)."""
    values = [stage.get(k) for k in ("peak_rss_mb", "peak_tree_mb") if stage.get(k) is not None]
    return max(values) if values else None


def summarise(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("exit") == 0 and "skipped" not in r]
    out = {"runs": len(runs), "ok_runs": len(ok)}
    for key in ("op_s", "wall_s", "peak_rss_mb", "peak_tree_mb"):
        vals = [r.get("seconds") if key == "op_s" else r.get(key) for r in ok]
        out[key] = _median(vals)
        out[f"{key}_all"] = [None if v is None else round(v, 3) for v in vals]
    out["peak_mb"] = peak_mb(out)
    for extra in (
        "rows",
        "files",
        "cells",
        "kpi_rows",
        "html_bytes",
        "cache_hits",
        "cache_misses",
        "identical",
    ):
        if ok and extra in ok[0]:
            out[extra] = ok[0][extra]
    skipped = [r.get("skipped") for r in runs if "skipped" in r]
    if skipped:
        out["skipped"] = skipped[0]
    errors = [r.get("error") for r in runs if r.get("exit") != 0]
    if errors:
        out["error"] = errors[0]
    return out


def derived(stages: dict) -> dict:
    """Floor and the ratios the targets are stated in (medians)."""

    def w(name, key="wall_s"):
        return (stages.get(name) or {}).get(key)

    d = {}
    floor_nb, pq = w("floor_notebook"), w("parquet_read", "op_s")
    if floor_nb is not None and pq is not None:
        d["floor_s"] = floor_nb + pq
    full, rerun = w("quarterly_cli"), w("quarterly_cli_rerun")
    if "floor_s" in d:
        if full is not None:
            d["full_run_s"], d["full_over_floor"] = full, full / d["floor_s"]
            d["full_above_floor_s"] = full - d["floor_s"]
        if rerun is not None:
            d["rerun_s"], d["rerun_over_floor"] = rerun, rerun / d["floor_s"]
        forced = w("quarterly_cli_rerun_force")
        if forced is not None:
            d["rerun_force_s"], d["rerun_force_over_floor"] = forced, forced / d["floor_s"]
    cold, warm = w("read_dossiers", "op_s"), w("read_dossiers_cached", "op_s")
    if cold is not None and warm is not None:
        d["parse_cache_saves_s"] = cold - warm
    for k in ("build_cached",):
        if w(k, "op_s") is not None:
            d[f"{k}_s"] = w(k, "op_s")
            d[f"{k}_peak_mb"] = w(k, "peak_rss_mb")
    ref = w("prov_reference_query", "op_s")
    for k in ("prov_kpi_duckdb_parquet", "prov_kpi_duckdb", "prov_kpi_pandas"):
        if ref and w(k, "op_s") is not None:
            d[f"{k}_over_reference"] = w(k, "op_s") / ref
    return d


def _pipeline_uses_cache() -> bool:
    """Whether quarterly.build passes a cache_dir to the dossier reader (the parse cache wired)."""
    import inspect

    from parlib.pipelines import quarterly

    return "cache_dir" in inspect.getsource(quarterly.build)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="10k,30k,100k,1m", help="comma list of " + ", ".join(ALL_SCALES))
    ap.add_argument("--runs", type=int, default=3, help="runs per stage at 10k and 30k (default 3)")
    ap.add_argument(
        "--runs-large", type=int, default=1, help="runs per stage at 100k and 1m (default 1: time budget)"
    )
    ap.add_argument("--quick", action="store_true", help="10k only, 1 run, no record (smoke test)")
    ap.add_argument("--stages", default="", help="comma list: only these stages")
    ap.add_argument(
        "--work", type=Path, default=BENCH_DIR / ".work", help="data and state (default bench/.work)"
    )
    ap.add_argument("--no-record", action="store_true", help="do not write bench/results.json and RESULTS.md")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="update bench/results.json: replace only the stages (and scales) run now",
    )
    ap.add_argument("--note", default="", help="a note recorded in results.json and RESULTS.md")
    args = ap.parse_args(argv)
    if args.quick:
        args.scales, args.runs, args.runs_large, args.no_record = "10k", 1, 1, True
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in ALL_SCALES]
    if unknown:
        ap.error(f"unknown scale(s) {unknown}; choose from {list(ALL_SCALES)}")
    only = {s.strip() for s in args.stages.split(",") if s.strip()}
    started = datetime.now(timezone.utc)
    t_all = time.perf_counter()
    results = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(sys.argv),
        "pipeline_uses_parse_cache": _pipeline_uses_cache(),
        "stage_descriptions": dict(STAGES + PROVINCE_STAGES),
        "scales": {},
    }
    args.work.mkdir(parents=True, exist_ok=True)
    for scale in scales:
        print(f"[{scale}] data …", flush=True)
        prep = (
            province.prepare
            if scale in province.SCALES
            else tenfold.prepare
            if scale in tenfold.SCALES
            else gen.prepare
        )
        stamp = prep(scale, args.work.resolve(), log=lambda m: print(m, flush=True))
        root = (args.work / scale).resolve()
        runs = args.runs_large if scale in LARGE else args.runs
        per_stage: dict[str, list[dict]] = {}
        for r in range(runs):
            for name, _what in PROVINCE_STAGES if scale in province.SCALES else STAGES:
                if only and name not in only:
                    continue
                if scale in SKIP.get(name, ((), ""))[0]:
                    per_stage.setdefault(name, [{"skipped": SKIP[name][1], "exit": 0}])
                    continue
                prepare_stage(name, root)
                res = run_process(stage_command(name, root), root)
                per_stage.setdefault(name, []).append(res)
                shown = res.get("seconds")
                print(
                    f"  [{scale} run {r + 1}/{runs}] {name:24s} wall {res['wall_s']:7.2f} s"
                    + (f"  op {shown:7.2f} s" if shown is not None else " " * 17)
                    + f"  peak {res['peak_rss_mb']:7.0f} MB  tree {res['peak_tree_mb']:7.0f} MB"
                    + ("  FAILED" if res["exit"] else "")
                    + (f"  ({res['skipped']})" if "skipped" in res else ""),
                    flush=True,
                )
        stages = {name: summarise(v) for name, v in per_stage.items()}
        if args.merge and (BENCH_DIR / "results.json").is_file():
            old = json.loads((BENCH_DIR / "results.json").read_text(encoding="utf-8"))["scales"].get(scale)
            if old:
                merged = dict(old["stages"])
                merged.update({k: dict(v, merged_at=results["date"]) for k, v in stages.items()})
                stages = merged
        results["scales"][scale] = {"data": stamp, "runs": runs, "stages": stages, "derived": derived(stages)}
    results["total_s"] = round(time.perf_counter() - t_all, 1)
    if args.note:
        results["note"] = results["last_note"] = args.note
    print(json.dumps({s: v["derived"] for s, v in results["scales"].items()}, indent=2))
    if args.merge and (BENCH_DIR / "results.json").is_file():
        old = json.loads((BENCH_DIR / "results.json").read_text(encoding="utf-8"))
        for scale, v in old["scales"].items():
            results["scales"].setdefault(scale, v)
        results["scales"] = {k: results["scales"][k] for k in ALL_SCALES if k in results["scales"]}
        results["merged_into"] = {"date": old["date"], "command": old["command"], "total_s": old["total_s"]}
        results["date"], results["command"] = (
            old["date"],
            f"{old['command']}, then {results['command']} at {results['date']}",
        )
        results["total_s"] = old["total_s"]
        notes = [n for n in (old.get("note"), results.get("note")) if n]
        if notes:
            results["note"] = " ".join(notes)
        if not args.note and old.get("last_note"):
            results["last_note"] = old["last_note"]
    if not args.no_record:
        from report import write_results

        write_results(results, BENCH_DIR)
        print(f"results: {BENCH_DIR / 'results.json'}, {BENCH_DIR / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
