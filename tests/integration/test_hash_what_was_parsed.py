"""Issue 16 item 6: each raw file is read once, and the manifest and the provenance record the
hash of exactly the bytes the report was made from.

A tiny notebook stands in for the real ones: it parses ``raw/config/a.csv`` with the parlib
reader, writes a processed table with its provenance and a ``summary.json`` holding the value it
read. A hook replaces the raw file at a chosen moment (before the notebook reads it, or after it
read it and before the manifest is written); the recorded hashes must be those of the bytes
whose value the report shows.
"""

from __future__ import annotations

import hashlib
import json

import nbformat
import pytest

from parlib.core.errors import ParlibError
from parlib.core.paths import Paths
from parlib.report import render as report
from parlib.report.render import ReportSpec, render

VERSIONS = {1: b"x\n1\n", 2: b"x\n2\n", 3: b"x\n3\n"}


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _write_notebook(folder, *, reread: bool = False) -> None:
    params = nbformat.v4.new_code_cell('data_dir = ""\noutput_dir = ""')
    params.metadata["tags"] = ["parameters"]
    code = (
        "import json\n"
        "from pathlib import Path\n"
        "from parlib.core.io import write_table\n"
        "from parlib.ingest.readers import read_csv_table\n"
        'src = Path(data_dir) / "raw" / "config" / "a.csv"\n'
        "df = read_csv_table(src)\n"
    )
    if reread:  # the file is replaced between two reads of the same run
        code += 'src.write_bytes(b"x\\n3\\n")\ndf = read_csv_table(src)\n'
    code += (
        'write_table(df, Path(data_dir) / "processed" / "a.parquet", inputs=[src], base=Path(data_dir))\n'
        '(Path(output_dir) / "summary.json").write_text(json.dumps({"x": df["x"].tolist()}), encoding="utf-8")\n'
    )
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(folder / "reads.ipynb"))


@pytest.fixture
def setup(tmp_path, monkeypatch):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    monkeypatch.setattr(report, "NOTEBOOKS_DIR", nb_dir)
    data = tmp_path / "data"
    (data / "raw" / "config").mkdir(parents=True)
    (data / "raw" / "config" / "a.csv").write_bytes(VERSIONS[1])
    return Paths(data, tmp_path / "reports"), nb_dir


SPEC = ReportSpec("reads.ipynb", "2026", "reads_2026", "Thử", {})


def _replace_at(monkeypatch, paths, when: str, version: int) -> None:
    """The hook: replace the raw file before the notebook runs, or after it ran."""
    real = report.execute
    src = paths.raw / "config" / "a.csv"

    def execute(spec, output_nb):
        if when == "before_read":
            src.write_bytes(VERSIONS[version])
        real(spec, output_nb)
        if when == "after_read":
            src.write_bytes(VERSIONS[version])

    monkeypatch.setattr(report, "execute", execute)


def _recorded(paths):
    out = paths.report_dir("2026")
    manifest = json.loads((out / "reads_2026.manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    prov = json.loads((paths.processed / "a.provenance.json").read_text(encoding="utf-8"))
    [listed] = [r for r in manifest["inputs"] if r["path"] == "raw/config/a.csv"]
    [sidecar] = prov["inputs"]
    return summary["x"], listed, sidecar


@pytest.mark.parametrize(("when", "used"), [("before_read", 2), ("after_read", 1)])
def test_recorded_hash_is_of_the_bytes_the_report_used(setup, monkeypatch, when, used):
    paths, nb_dir = setup
    _write_notebook(nb_dir)
    _replace_at(monkeypatch, paths, when, 2)
    render(SPEC, paths)
    shown, listed, sidecar = _recorded(paths)
    assert shown == [str(used)]  # the report shows the value of version ``used``
    assert listed["sha256"] == _sha(VERSIONS[used]) and listed["parsed"] is True
    assert listed["bytes"] == len(VERSIONS[used])
    assert sidecar["sha256"] == _sha(VERSIONS[used])


def test_the_next_run_sees_a_file_replaced_after_the_read(setup, monkeypatch):
    """After a file was replaced behind the run's back, the build key (of the bytes used) differs
    from the new file's: the next run rebuilds instead of reusing the report."""
    paths, nb_dir = setup
    _write_notebook(nb_dir)
    _replace_at(monkeypatch, paths, "after_read", 2)
    render(SPEC, paths)
    monkeypatch.setattr(report, "execute", _real_execute)
    again = render(SPEC, paths)
    assert "execute_s" in again.timings
    assert _recorded(paths)[0] == ["2"]


_real_execute = report.execute


def test_a_file_read_twice_with_different_bytes_stops_the_report(setup):
    paths, nb_dir = setup
    _write_notebook(nb_dir, reread=True)
    with pytest.raises(ParlibError, match="thay đổi trong lúc lập báo cáo") as err:
        render(SPEC, paths)
    assert "a.csv" in str(err.value)
    assert not paths.report_dir("2026").exists() or not any(paths.report_dir("2026").iterdir())
