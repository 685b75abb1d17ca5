"""The HTML export prepared while the notebook runs (parlib.report.html_export): the same page
as an export in a fresh process, the preparation's failure not hidden."""

from __future__ import annotations

import subprocess
import sys
import threading

import nbformat
import pytest

from parlib.report import html_export


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Báo cáo\n\nĐoạn *văn*."),
        nbformat.v4.new_code_cell(
            "x",
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={"text/html": "<table><tr><td>98,3 %</td></tr></table>"}
                ),
                nbformat.v4.new_output("stream", name="stderr", text="cảnh báo\n"),
            ],
        ),
    ]
    nbformat.write(nb, str(path))
    return path


def test_a_prepared_export_writes_the_same_page_as_a_cold_one(tmp_path):
    nb = _notebook(tmp_path / "r.ipynb")
    code = (
        "import sys; from pathlib import Path; from parlib.report.html_export import export_html\n"
        f"print(export_html(Path({str(nb)!r}), Path({str(tmp_path / 'cold.html')!r}), 'Tiêu đề'))\n"
    )
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    ready = html_export.HtmlExportPreparation()
    ready.join()
    removed = html_export.export_html(nb, tmp_path / "warm.html", "Tiêu đề")
    assert cold.strip() == repr(removed) == repr(["cảnh báo\n"])
    warm = (tmp_path / "warm.html").read_text(encoding="utf-8")
    assert warm == (tmp_path / "cold.html").read_text(encoding="utf-8")
    assert "98,3 %" in warm and "cảnh báo" not in warm


def test_the_preparation_waits_for_the_warm_up_and_raises_its_failure(monkeypatch):
    order = []
    gate = threading.Event()

    def warm():
        gate.wait(5)
        order.append("warm")

    first = threading.Thread(target=warm)
    first.start()

    def broken():
        order.append("prepare")
        raise RuntimeError("template missing")

    monkeypatch.setattr(html_export, "prepare_export", broken)
    ready = html_export.HtmlExportPreparation(first)
    gate.set()
    with pytest.raises(RuntimeError, match="template missing"):
        ready.join()
    assert order == ["warm", "prepare"]
