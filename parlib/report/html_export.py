"""The executed notebook exported to the self-contained HTML report (nbconvert, the
``parlib_report`` template), and that export prepared while the notebook runs.

The first export in a process costs about 0,7 s before any page is written: importing nbconvert
and its dependencies, then compiling the template's Jinja files. None of it depends on the
notebook, so :class:`HtmlExportPreparation` does it on a thread of the command line while the
kernel computes (the command line only waits for the kernel then); the export after the notebook
then costs the page itself (0,1–0,2 s for a quarterly report). One exporter per process
(:func:`_exporter`), used by one thread at a time: the preparation is joined before the export.
"""

from __future__ import annotations

import functools
import sys
import threading
from pathlib import Path

from parlib.core.io import write_text
from parlib.core.paths import TEMPLATES_DIR


def _without_iri_checker() -> None:
    """Keep jsonschema (imported by nbformat) from loading its optional IRI format checker.

    jupyterlab's server installs ``rfc3987_syntax``, which compiles a grammar when imported:
    2.0 s of every report run (measured, ``python -X importtime``). The notebook schema never
    checks the "iri" format, so the checker is not needed; jsonschema skips it when the import
    fails, which a ``None`` entry in ``sys.modules`` makes it do."""
    sys.modules.setdefault("rfc3987_syntax", None)


@functools.lru_cache(maxsize=1)
def _exporter():
    """The report's HTML exporter (its Jinja environment keeps the compiled template)."""
    _without_iri_checker()
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="parlib_report", extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    exporter.language_code = "vi"
    tags = TagRemovePreprocessor(
        remove_cell_tags={"remove_cell"},
        remove_all_outputs_tags={"remove_output"},
        remove_input_tags={"remove_input"},
    )
    exporter.register_preprocessor(tags, enabled=True)
    return exporter


def prepare_export() -> None:
    """Import nbconvert and compile the report template: a two-cell notebook (a heading, an
    HTML output) exported and thrown away."""
    _without_iri_checker()
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Chuẩn bị\n\n*mẫu*"),
        nbformat.v4.new_code_cell(
            "", outputs=[nbformat.v4.new_output("display_data", data={"text/html": "<p>mẫu</p>"})]
        ),
    ]
    nb.metadata["title"] = "mẫu"
    _exporter().from_notebook_node(nb)


class HtmlExportPreparation:
    """:func:`prepare_export` on a thread, started after ``wait_for`` (a started
    ``multiprocessing.Process``, or anything with a ``join()``, e.g. the warm-up of the parse
    cache on the second core: the preparation takes the core after it). :meth:`join` before exporting; it raises
    what the preparation raised (the export would meet the same problem)."""

    def __init__(self, wait_for=None):
        self.error: BaseException | None = None
        self._wait_for = wait_for
        self.thread = threading.Thread(target=self._run, name="parlib-html-export", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            if self._wait_for is not None:
                sentinel = getattr(self._wait_for, "sentinel", None)
                if sentinel is not None:  # a process: wait on its sentinel, never reap it here
                    from multiprocessing.connection import wait

                    wait([sentinel])
                else:
                    self._wait_for.join()
            prepare_export()
        except Exception as exc:  # re-raised by join() in the thread that exports
            self.error = exc

    def wait(self) -> None:
        """Wait for the preparation to end (its failure, if any, is raised by :meth:`join`)."""
        self.thread.join()

    def join(self) -> None:
        self.wait()
        if self.error is not None:
            raise self.error


def export_html(executed_nb: Path, html_path: Path, title: str) -> list[str]:
    """Export ``executed_nb`` to self-contained HTML; returns the stderr texts removed."""
    _without_iri_checker()
    import nbformat

    nb = nbformat.read(str(executed_nb), as_version=4)  # a fresh copy: changed freely below
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
    body, _ = _exporter().from_notebook_node(nb)
    write_text(html_path, body)
    return removed
