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

import copy
import hashlib
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .config import NOTEBOOKS_DIR, PROJECT_ROOT, TEMPLATES_DIR, Paths
from .errors import ParlibError
from .io import ReportStage, code_version, sha256_file, write_json, write_text


class NotebookFailed(ParlibError):
    """A notebook cell failed; the message names the cell and the error."""


# Errors raised on purpose inside a notebook keep their Vietnamese message.
_PARLIB_ERRORS = {"ParlibError", "StructuralError", "InputFormatError", "ConfigError", "NotebookFailed"}


@dataclass
class ReportSpec:
    """One report to render: the notebook, its parameters and where it goes."""

    notebook: str                 # file name in notebooks/
    period: str                   # sub-folder of the reports folder, e.g. '2026' or '2026-Q3'
    stem: str                     # output file stem, e.g. 'annual_2026'
    title: str                    # Vietnamese page title
    params: dict = field(default_factory=dict)


@dataclass
class RenderResult:
    spec: ReportSpec
    out_dir: Path
    files: list[Path]
    timings: dict[str, float]
    warnings: list[str]


def log(msg: str) -> None:
    """Progress line for the user (stderr, Vietnamese)."""
    print(msg, file=sys.stderr, flush=True)


def _input_hashes(paths: Paths) -> list[dict]:
    out = []
    if paths.raw.exists():
        for p in sorted(paths.raw.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                out.append({"path": str(p.relative_to(paths.data)), "sha256": sha256_file(p),
                            "bytes": p.stat().st_size})
    return out


def execute(spec: ReportSpec, output_nb: Path) -> None:
    """Execute ``notebooks/<spec.notebook>`` into ``output_nb`` with papermill's API.

    Raises NotebookFailed with the cell number and the (Vietnamese, when raised by parlib)
    error message when a cell fails.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(str(NOTEBOOKS_DIR / spec.notebook), str(output_nb), parameters=spec.params,
                            kernel_name="python3", cwd=str(PROJECT_ROOT), progress_bar=False,
                            log_output=False, report_mode=False)
    except PapermillExecutionError as exc:
        if exc.ename in _PARLIB_ERRORS:
            raise NotebookFailed(f"{exc.evalue}\n(sổ phân tích {spec.notebook}, ô số {exc.exec_count})") from exc
        raise NotebookFailed(
            f"Sổ phân tích {spec.notebook} dừng ở ô số {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
            f"Xem chi tiết trong tệp {output_nb.name} (đã giữ lại ở {output_nb.parent}).") from exc


def export_html(executed_nb: Path, html_path: Path, title: str) -> list[str]:
    """Export ``executed_nb`` to self-contained HTML; returns the stderr texts removed."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(str(executed_nb), as_version=4)
    nb = copy.deepcopy(nb)
    removed: list[str] = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                removed.append(out.get("text", ""))
            else:
                kept.append(out)
        cell["outputs"] = kept
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="parlib_report", extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    exporter.language_code = "vi"
    tags = TagRemovePreprocessor(remove_cell_tags={"remove_cell"},
                                 remove_all_outputs_tags={"remove_output"},
                                 remove_input_tags={"remove_input"})
    exporter.register_preprocessor(tags, enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    write_text(html_path, body)
    return removed


def render(spec: ReportSpec, paths: Paths, *, extra_manifest: dict | None = None) -> RenderResult:
    """Execute one notebook and publish its outputs into ``<out>/<period>/`` atomically.

    The notebook receives ``output_dir`` (the staging folder) among its parameters and
    writes its own ``<stem>.xlsx`` and ``summary.json`` there.
    """
    out_dir = paths.report_dir(spec.period)
    timings: dict[str, float] = {}
    started = datetime.now(timezone.utc)
    with ReportStage(out_dir) as stage:
        params = dict(spec.params)
        params.update({"data_dir": str(paths.data), "output_dir": str(stage.staging)})
        spec_run = ReportSpec(spec.notebook, spec.period, spec.stem, spec.title, params)
        nb_out = stage.path(f"{spec.stem}.ipynb")
        t0 = time.perf_counter()
        log(f"  • Chạy sổ phân tích {spec.notebook} …")
        try:
            execute(spec_run, nb_out)
        except NotebookFailed:
            if nb_out.exists():  # keep the failed notebook for diagnosis, outside the report folder
                failed = paths.out / ".failed"
                failed.mkdir(parents=True, exist_ok=True)
                nb_out.replace(failed / nb_out.name)
            raise
        timings["execute_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        log("  • Xuất báo cáo HTML …")
        warnings = export_html(nb_out, stage.path(f"{spec.stem}.html"), spec.title)
        timings["export_html_s"] = round(time.perf_counter() - t0, 3)
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
            "inputs": _input_hashes(paths),
        }
        if extra_manifest:
            manifest.update(extra_manifest)
        write_json(stage.path(f"{spec.stem}.manifest.json"), manifest)
        files = sorted(p.name for p in stage.staging.iterdir())
    return RenderResult(spec, out_dir, [out_dir / f for f in files], timings, warnings)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
