"""A report built from unchanged things is reused, not rebuilt (parlib.report.reusable).

"Unchanged" = same build key (notebook, template, parlib source, parameters, data folder,
checksum of every raw file, Python and package versions) and every published file (report
files, processed tables the run wrote) still there with the bytes it had. Anything else
rebuilds. A tiny notebook stands in for the real ones (a kernel start each, ~2 s).
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from parlib.core.io import remove_stale_parts
from parlib.core.paths import Paths
from parlib.report import render as report
from parlib.report.inputs import input_hashes
from parlib.report.render import ReportSpec, build_key, render


def _write_notebook(folder, extra: str = "") -> None:
    params = nbformat.v4.new_code_cell('year = 2026\ndata_dir = ""\noutput_dir = ""')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "from pathlib import Path\n"
        'out = Path(data_dir) / "processed"\n'
        "out.mkdir(parents=True, exist_ok=True)\n"
        '(out / "t.csv").write_text(f"year\\n{year}\\n", encoding="utf-8")\n'
        '(Path(output_dir) / "summary.json").write_text(\'{"year": %d}\' % year, encoding="utf-8")\n'
        f'print("báo cáo thử", year){extra}'
    )
    nb = nbformat.v4.new_notebook(cells=[params, body])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(folder / "tiny.ipynb"))


@pytest.fixture
def setup(tmp_path, monkeypatch):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    _write_notebook(nb_dir)
    monkeypatch.setattr(report, "NOTEBOOKS_DIR", nb_dir)
    data = tmp_path / "data"
    (data / "raw" / "config").mkdir(parents=True)
    (data / "raw" / "config" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    return Paths(data, tmp_path / "reports"), nb_dir


def _spec(year=2026):
    return ReportSpec("tiny.ipynb", f"{year}", f"tiny_{year}", f"Thử {year}", {"year": year})


def _bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _rebuilt(res) -> bool:
    return "execute_s" in res.timings


@pytest.mark.slow
def test_unchanged_report_is_reused_and_every_change_rebuilds(setup, capsys):
    paths, nb_dir = setup
    out = paths.report_dir("2026")
    assert _rebuilt(render(_spec(), paths))
    first = _bytes(out)
    m = json.loads((out / "tiny_2026.manifest.json").read_text(encoding="utf-8"))
    assert {r["path"] for r in m["outputs"]} == {"tiny_2026.html", "tiny_2026.ipynb", "summary.json"}
    assert [r["path"] for r in m["processed"]] == ["processed/t.csv"]

    capsys.readouterr()
    again = render(_spec(), paths)
    assert again.timings == {"reused": True} and _bytes(out) == first  # nothing rewritten
    assert "dùng lại báo cáo đã lập" in capsys.readouterr().err
    assert sorted(p.name for p in again.files) == sorted(first)

    # a raw file changes -> rebuilt; then reused again
    (paths.raw / "config" / "a.csv").write_text("x\n2\n", encoding="utf-8")
    assert _rebuilt(render(_spec(), paths))
    assert not _rebuilt(render(_spec(), paths))
    # a new raw file (even one this notebook does not read) -> rebuilt
    (paths.raw / "config" / "b.csv").write_text("y\n", encoding="utf-8")
    assert _rebuilt(render(_spec(), paths))
    # the published HTML edited by hand -> rebuilt, and the edit is gone
    html = out / "tiny_2026.html"
    html.write_text(html.read_text(encoding="utf-8") + "<!-- sửa tay -->", encoding="utf-8")
    capsys.readouterr()
    assert _rebuilt(render(_spec(), paths))
    assert "tiny_2026.html đã bị xoá hoặc sửa" in capsys.readouterr().err
    assert "sửa tay" not in html.read_text(encoding="utf-8")
    # a processed table the run wrote is deleted -> rebuilt, and it is back
    (paths.processed / "t.csv").unlink()
    assert _rebuilt(render(_spec(), paths)) and (paths.processed / "t.csv").is_file()
    # the notebook changes -> rebuilt
    _write_notebook(nb_dir, extra="\nprint('thêm một dòng')")
    assert _rebuilt(render(_spec(), paths))
    # --force -> rebuilt although nothing changed
    assert not _rebuilt(render(_spec(), paths))
    assert _rebuilt(render(_spec(), paths, force=True))
    # a damaged manifest -> rebuilt, with a line saying so
    (out / "tiny_2026.manifest.json").write_text("{", encoding="utf-8")
    capsys.readouterr()
    assert _rebuilt(render(_spec(), paths))
    assert "Không đọc được tiny_2026.manifest.json" in capsys.readouterr().err


def test_build_key_covers_inputs_parameters_notebook_and_data_folder(setup, tmp_path):
    paths, nb_dir = setup
    inputs = input_hashes(paths)
    key = build_key(_spec(), paths, inputs)
    assert build_key(_spec(), paths, inputs) == key  # deterministic
    assert build_key(_spec(2027), paths, inputs) != key
    changed = [dict(inputs[0], sha256="0" * 64)]
    assert build_key(_spec(), paths, changed) != key
    assert build_key(_spec(), Paths(tmp_path / "other", paths.out), inputs) != key
    _write_notebook(nb_dir, extra="\n1")
    assert build_key(_spec(), paths, inputs) != key


def test_stale_temporary_files_of_dead_processes_are_removed(tmp_path):
    dead = 2**22 + 12345  # above the default pid_max of 4 194 304: no such process
    stale = tmp_path / f".kpis_2026_Q3.parquet.{dead}.ab_c1.part"
    mine = tmp_path / f".kpis_2026_Q3.parquet.{os.getpid()}.zz9.part"
    table = tmp_path / "kpis_2026_Q3.parquet"
    for p in (stale, mine, table):
        p.write_bytes(b"x")
    (tmp_path / ".cache").mkdir()
    nested = tmp_path / ".cache" / f".k.0.parquet.{dead}.q1.part"
    nested.write_bytes(b"x")
    remove_stale_parts(tmp_path)
    assert not stale.exists() and not nested.exists()
    assert mine.exists() and table.exists()
