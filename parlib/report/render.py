"""Run parameterised notebooks with papermill and export self-contained HTML.

One process renders every report of a run (papermill and nbconvert are imported once).
Each report goes through a ``ReportStage``: the executed notebook, the HTML, the Excel
workbook, ``summary.json`` and ``manifest.json`` appear in ``reports/<period>/`` together,
or (on failure) not at all.

HTML export: the ``parlib_report`` template (stock ``lab`` without scripts or CDN links,
A4 print styles), inputs and prompts hidden, cells tagged ``remove_cell`` dropped, outputs
of cells tagged ``remove_output`` dropped, ``<html lang="vi">``, title from the notebook
metadata, images embedded. Text written to stderr by a cell (warnings) is removed from the
HTML and recorded in the manifest instead, where tests check that there is none.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from parlib import __version__
from parlib.core.cache import code_fingerprint
from parlib.core.errors import ParlibError
from parlib.core.io import (
    INPUT_LOG_ENV,
    PROCESSED_STAGE_ENV,
    ReportStage,
    code_version,
    processed_stage_env,
    recover_commits,
    remove_stale_parts,
    remove_stale_staging,
    sha256_file,
    write_json,
)
from parlib.core.log import progress as log
from parlib.core.parallel import WORKERS_ENV
from parlib.core.paths import NOTEBOOKS_DIR, PROJECT_ROOT, TEMPLATES_DIR, Paths
from parlib.report import charts
from parlib.report.html_export import HtmlExportPreparation, _without_iri_checker, export_html
from parlib.report.inputs import input_hashes, notebook_reads, with_reads
from parlib.report.second_core import SecondCore


class NotebookFailed(ParlibError):
    """A notebook cell failed; the message names the cell and the error."""


# Errors raised on purpose inside a notebook keep their Vietnamese message.
_PARLIB_ERRORS = {"ParlibError", "StructuralError", "InputFormatError", "ConfigError", "NotebookFailed"}


@dataclass
class ReportSpec:
    """One report to render: the notebook, its parameters and where it goes."""

    notebook: str  # file name in notebooks/
    period: str  # sub-folder of the reports folder, e.g. '2026' or '2026-Q3'
    stem: str  # output file stem, e.g. 'annual_2026'
    title: str  # Vietnamese page title
    params: dict = field(default_factory=dict)


@dataclass
class RenderResult:
    spec: ReportSpec
    out_dir: Path
    files: list[Path]
    timings: dict[str, float]
    warnings: list[str]


def execute(spec: ReportSpec, output_nb: Path) -> None:
    """Execute ``notebooks/<spec.notebook>`` into ``output_nb`` with papermill's API.

    Raises NotebookFailed with the cell number and the (Vietnamese, when raised by parlib)
    error message when a cell fails.
    """
    _without_iri_checker()
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        # request_save_on_cell_execute=False: papermill otherwise rewrites the whole notebook,
        # images included, before and after every cell (measured: ~1 s per quarterly report);
        # it still writes it once at the end, and before raising when a cell fails.
        pm.execute_notebook(
            str(NOTEBOOKS_DIR / spec.notebook),
            str(output_nb),
            parameters=spec.params,
            kernel_name="python3",
            cwd=str(PROJECT_ROOT),
            progress_bar=False,
            log_output=False,
            report_mode=False,
            request_save_on_cell_execute=False,
            # the kernel's own log (an English notice about its local TCP transport, a
            # KeyboardInterrupt line at shutdown) never reaches the analyst's console
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as exc:
        if exc.ename in _PARLIB_ERRORS:
            raise NotebookFailed(
                f"{exc.evalue}\n(sổ phân tích {spec.notebook}, ô số {exc.exec_count})"
            ) from exc
        raise NotebookFailed(
            f"Sổ phân tích {spec.notebook} dừng ở ô số {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
            f"Xem chi tiết trong tệp {output_nb.name} (đã giữ lại ở {output_nb.parent})."
        ) from exc


# Packages whose version can change what a report shows (numbers, charts, HTML).
_KEY_PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "pyarrow",
    "python-calamine",
    "openpyxl",
    "papermill",
    "nbconvert",
    "nbformat",
    "nbclient",
    "ipykernel",
    "jinja2",
)


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in _KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = ""
    return out


def build_key(spec: ReportSpec, paths: Paths, inputs: list[dict]) -> str:
    """SHA-256 of everything a report is made from: the notebook, the HTML template, the whole
    parlib package source, the parameters and title, the data folder and the checksum of every
    raw input file, Python and the versions of the packages that compute and render it.
    Two runs with the same key produce the same report (up to its timestamps)."""

    h = hashlib.sha256()
    for p in [NOTEBOOKS_DIR / spec.notebook, *sorted(q for q in TEMPLATES_DIR.rglob("*") if q.is_file())]:
        h.update(p.name.encode("utf-8"))
        h.update(sha256_file(p).encode("ascii"))
    payload = {
        "notebook_and_template": h.hexdigest(),
        "parlib": code_fingerprint(),
        "version": __version__,
        "params": spec.params,
        "title": spec.title,
        "stem": spec.stem,
        "data_dir": str(paths.data.resolve()),
        "inputs": [{k: r[k] for k in ("path", "sha256", "bytes")} for r in inputs],
        "python": sys.version,
        "packages": _package_versions(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _file_records(files: list[Path], base: Path) -> list[dict]:
    return [{"path": p.relative_to(base).as_posix(), "sha256": sha256_file(p)} for p in sorted(files)]


def _changed(records: list[dict], base: Path) -> str | None:
    """The first recorded file that is missing or whose bytes changed (provenance sidecars:
    missing only, their creation time differs on every write), else None."""
    for rec in records:
        p = base / rec["path"]
        if not p.is_file():
            return rec["path"]
        if not p.name.endswith(".provenance.json") and sha256_file(p) != rec["sha256"]:
            return rec["path"]
    return None


def _local_time(iso) -> str:
    """'2026-11-24T07:00:57+00:00' -> '14:00 ngày 24/11/2026' (the machine's time zone)."""
    try:
        t = datetime.fromisoformat(str(iso)).astimezone()
    except ValueError:
        return str(iso)
    return f"{t:%H:%M} ngày {t:%d/%m/%Y}"


def reusable(spec: ReportSpec, paths: Paths, key: str) -> RenderResult | None:
    """The published report of ``spec`` when it was built from exactly the same things
    (``build_key``) and nothing it published (report files, processed tables) was removed or
    changed since; None otherwise (with a line saying why, when a report exists)."""
    out_dir = paths.report_dir(spec.period)
    manifest_path = out_dir / f"{spec.stem}.manifest.json"
    if not manifest_path.is_file():
        return None
    try:
        m = json.loads(manifest_path.read_text(encoding="utf-8"))
        same = m.get("build_key") == key and bool(m.get("outputs"))
        changed = (
            (_changed(m["outputs"], out_dir) or _changed(m.get("processed", []), paths.data))
            if same
            else None
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log(f"  • Không đọc được {manifest_path.name} ({type(exc).__name__}): lập lại báo cáo.")
        return None
    if not same:
        return None
    if changed:
        log(f"  • Tệp {changed} đã bị xoá hoặc sửa sau lần lập trước: lập lại báo cáo.")
        return None
    remove_stale_staging(out_dir)
    remove_stale_parts(paths.processed)
    log(
        f"  • Dữ liệu, mã nguồn và tham số không đổi kể từ lần lập lúc {_local_time(m.get('finished_at'))}: "
        "dùng lại báo cáo đã lập (thêm --force để lập lại)."
    )
    files = sorted([out_dir / r["path"] for r in m["outputs"]] + [manifest_path])
    return RenderResult(spec, out_dir, files, {"reused": True}, list(m.get("warnings", [])))


def published_unchanged(spec: ReportSpec, paths: Paths) -> RenderResult | None:
    """The published report of ``spec`` when nothing it was built from changed (:func:`reusable`),
    checked before the pipelines are imported or the inputs validated: a re-run then costs the
    cheap input check only. None when it must be (re)built."""
    recover_commits(paths.data)
    remove_stale_staging(paths.processed)
    return reusable(spec, paths, build_key(spec, paths, input_hashes(paths)))


def render(
    spec: ReportSpec, paths: Paths, *, extra_manifest: dict | None = None, force: bool = False, warm=None
) -> RenderResult:
    """Execute one notebook and publish its outputs into ``<out>/<period>/`` atomically.

    The notebook receives ``output_dir`` (the staging folder) among its parameters and
    writes its own ``<stem>.xlsx`` and ``summary.json`` there. Unless ``force``, a report whose
    inputs, code, parameters and published files are unchanged is not rebuilt
    (:func:`reusable`); the result then has ``timings == {"reused": True}``. ``warm``: a
    function run in a child process while the kernel starts (e.g. filling the parse cache).
    """
    out_dir = paths.report_dir(spec.period)
    recover_commits(paths.data)  # a publication a killed run left half done is completed first
    remove_stale_staging(paths.processed)  # then the staging folders of killed runs go
    inputs = input_hashes(paths)
    key = build_key(spec, paths, inputs)
    if not force and (hit := reusable(spec, paths, key)) is not None:
        return hit
    # the processed tables the notebook writes go to a staging folder, published with the report
    processed_stage = (
        paths.processed.parent / f".staging-{paths.processed.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    )
    try:
        return _render(spec, paths, out_dir, inputs, processed_stage, extra_manifest, warm)
    finally:
        shutil.rmtree(processed_stage, ignore_errors=True)


@contextmanager
def _kernel_environment(variables: dict[str, str]) -> Iterator[None]:
    """``variables`` in the environment the notebook kernel inherits, restored afterwards."""
    previous = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _stat_signatures(folder: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, size, mtime in ns) of every visible file directly in ``folder``: a file whose
    signature differs after the notebook ran (or is new) was written by it. Comparing signatures,
    not modification times against the start time, cannot mistake the previous run's tables —
    published a moment before — for this run's, nor list a staged table twice."""
    if not folder.is_dir():
        return {}
    out = {}
    for p in folder.iterdir():
        if p.name.startswith("."):
            continue
        st = p.stat()
        if stat.S_ISREG(st.st_mode):
            out[p.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def _render(spec, paths, out_dir, inputs, processed_stage, extra_manifest, warm) -> RenderResult:
    timings: dict[str, float] = {}
    started = datetime.now(timezone.utc)
    with ReportStage(out_dir, journal_dir=paths.data) as stage:
        # after the stage completed any killed run's commit: what is there before the notebook runs
        before = _stat_signatures(paths.processed)
        params = dict(spec.params)
        params.update({"data_dir": str(paths.data), "output_dir": str(stage.staging)})
        spec_run = ReportSpec(spec.notebook, spec.period, spec.stem, spec.title, params)
        nb_out = stage.path(f"{spec.stem}.ipynb")
        t0 = time.perf_counter()
        log(f"  • Chạy sổ phân tích {spec.notebook} …")
        # the kernel (started below, after the fork of the second core's child) logs every raw
        # file it parses and writes its processed tables into the processed staging folder
        input_log = stage.path(".inputs-read.jsonl")
        kernel_env = {
            INPUT_LOG_ENV: str(input_log),
            PROCESSED_STAGE_ENV: processed_stage_env(paths.processed, processed_stage),
        }
        background = html_ready = None
        try:
            # the child that fills the parse cache, then draws the charts the notebook announces
            background = SecondCore(warm) if warm is not None else None
            if background is not None:  # the second core already parses: no helper in the kernel
                kernel_env[WORKERS_ENV] = "1"  # (with both: 42.7 / 51.7 s against 41.8 / 48.0 s at 1M)
                kernel_env[charts.CHART_SOCKET_ENV] = background.address
            # nbconvert imported and the report template compiled while the kernel computes
            # (papermill imported here first: the two threads never import the same packages at
            # the same time), after the warm-up: it then takes the second core
            _without_iri_checker()
            import papermill  # noqa: F401

            html_ready = HtmlExportPreparation(background)
            with _kernel_environment(kernel_env):
                execute(spec_run, nb_out)
        except NotebookFailed:
            if nb_out.exists():  # keep the failed notebook for diagnosis, outside the report folder
                failed = paths.out / ".failed"
                failed.mkdir(parents=True, exist_ok=True)
                nb_out.replace(failed / nb_out.name)
            raise
        finally:
            if background is not None:
                background.stop()
            if html_ready is not None:
                html_ready.wait()  # never left importing behind a failed notebook (a later fork)
        # the manifest records the hashes of the bytes the notebook parsed (not of the files as
        # listed before it ran), and the build key is of those
        inputs = with_reads(inputs, notebook_reads(input_log, paths))
        input_log.unlink(missing_ok=True)
        key = build_key(spec, paths, inputs)
        timings["execute_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        log("  • Xuất báo cáo HTML …")
        html_ready.join()
        warnings = export_html(nb_out, stage.path(f"{spec.stem}.html"), spec.title)
        timings["export_html_s"] = round(time.perf_counter() - t0, 3)
        # processed tables this run wrote: staged by write_table (published with the report), or
        # written in place by a notebook that does not use it
        staged = sorted(p for p in processed_stage.rglob("*") if p.is_file() and not p.name.startswith("."))
        for p in staged:
            stage.publish_with(p, paths.processed / p.relative_to(processed_stage))
        staged_targets = {p.relative_to(processed_stage).as_posix() for p in staged}
        after = _stat_signatures(paths.processed)
        written = [
            paths.processed / name
            for name, sig in sorted(after.items())
            if before.get(name) != sig and name not in staged_targets
        ]
        processed = _file_records(written, paths.data) + [
            {
                "path": (paths.processed / p.relative_to(processed_stage)).relative_to(paths.data).as_posix(),
                "sha256": sha256_file(p),
            }
            for p in staged
        ]
        manifest = {
            "report": spec.stem,
            "notebook": spec.notebook,
            "title": spec.title,
            "parameters": {k: v for k, v in spec.params.items()},
            "data_dir": str(paths.data),
            "code_version": code_version(),
            "python": sys.version.split()[0],
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "timings": timings,
            "warnings": warnings,
            "inputs": inputs,
            "build_key": key,
            "outputs": _file_records([p for p in stage.staging.iterdir() if p.is_file()], stage.staging),
            "processed": sorted(processed, key=lambda r: r["path"]),
        }
        if extra_manifest:
            manifest.update(extra_manifest)
        write_json(stage.path(f"{spec.stem}.manifest.json"), manifest)
        files = sorted(p.name for p in stage.staging.iterdir())
    return RenderResult(spec, out_dir, [out_dir / f for f in files], timings, warnings)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
