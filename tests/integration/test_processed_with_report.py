"""Issue 16 item 5: a run's processed tables and their provenance are published with its report.

A tiny notebook stands in for the real ones (a kernel start each, a few seconds): it parses
``raw/config/a.csv``, writes two processed tables with ``write_table`` (Parquet + provenance) and a
``summary.json`` with the value it read. A first run publishes version 1; the raw file becomes
version 2 and a second run, in a child process, is killed with SIGKILL at one point:

* during the notebook (the processed tables are written, the report is not),
* during the HTML export (the issue's case: it used to rewrite the processed provenance files
  while the previous report stayed),
* with everything staged and the manifest written, before the commit starts,
* with the commit journal written, before the first move,
* half-way through the moves,
* after the last move, before the journal is removed.

Before the commit starts both trees must be byte-for-byte as before. From the journal on, the next
run (here: ``recover_commits``, which every report run calls first) completes the commit, and
both trees are then complete and consistent: every file the manifest lists has the recorded
hash, the report shows version 2, and the provenance records version 2's hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import _robustness as R
import nbformat
import pytest

from parlib.core.io import recover_commits
from parlib.core.paths import PROJECT_ROOT, Paths

VERSIONS = {1: b"x\n1\n", 2: b"x\n2\n"}
STEM = "reads_2026"


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _write_notebook(folder: Path) -> None:
    params = nbformat.v4.new_code_cell(
        'data_dir = ""\noutput_dir = ""\nkill_in_notebook = False\nwrite_in_place = False'
    )
    params.metadata["tags"] = ["parameters"]
    code = textwrap.dedent(
        """\
        import json, os, signal
        from pathlib import Path
        from parlib.core.io import write_table
        from parlib.ingest.readers import read_csv_table
        src = Path(data_dir) / "raw" / "config" / "a.csv"
        df = read_csv_table(src)
        for name in ("a", "b"):
            write_table(df, Path(data_dir) / "processed" / f"{name}.parquet", inputs=[src], base=Path(data_dir))
        if write_in_place:  # a table written without write_table: straight into the processed folder
            (Path(data_dir) / "processed" / "c.txt").write_text(str(df["x"].tolist()), encoding="utf-8")
        if kill_in_notebook:  # the command that runs this notebook is killed while it runs
            os.kill(int(os.environ["PARLIB_TEST_RENDER_PID"]), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)
        (Path(output_dir) / "summary.json").write_text(json.dumps({"x": df["x"].tolist()}), encoding="utf-8")
        """
    )
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(folder / "reads.ipynb"))


# the second run, in a child process: render with the tiny notebook, killed at ``point``
_RUNNER = """
import os, signal, sys
from pathlib import Path
from parlib.core.paths import Paths
from parlib.report import render as report
nb_dir, data, out, point = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
report.NOTEBOOKS_DIR = nb_dir
os.environ["PARLIB_TEST_RENDER_PID"] = str(os.getpid())
params = {}
if point == "notebook":
    params["kill_in_notebook"] = True
elif point == "in_place":
    params["write_in_place"] = True
elif point == "export":
    report.export_html = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
else:
    os.environ["PARLIB_KILL_AT"] = point
report.render(report.ReportSpec("reads.ipynb", "2026", "reads_2026", "Thử", params), Paths(data, out))
"""

BEFORE_COMMIT = ["notebook", "export", "staged"]
DURING_COMMIT = ["journal", "half", "moved"]


@pytest.fixture
def first_run(tmp_path):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    _write_notebook(nb_dir)
    data = tmp_path / "data"
    (data / "raw" / "config").mkdir(parents=True)
    (data / "raw" / "config" / "a.csv").write_bytes(VERSIONS[1])
    paths = Paths(data, tmp_path / "reports")
    assert _run(nb_dir, paths, "none").returncode == 0
    return nb_dir, paths


def _run(nb_dir: Path, paths: Paths, point: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, str(nb_dir), str(paths.data), str(paths.out), point],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _visible(paths: Paths) -> dict[str, str]:
    """SHA-256 of every visible file of both trees (processed tables, report folder)."""
    files = [*paths.processed.glob("*"), *paths.report_dir("2026").glob("*")]
    return {
        str(p.relative_to(paths.data.parent)): _sha(p.read_bytes())
        for p in files
        if p.is_file() and not p.name.startswith(".")
    }


# what the tiny notebook writes with write_table: each listed once in the manifest
TABLES = [
    "processed/a.parquet",
    "processed/a.provenance.json",
    "processed/b.parquet",
    "processed/b.provenance.json",
]


def _check_processed(paths: Paths, manifest: dict, expected: list[str]) -> None:
    """The manifest lists exactly ``expected`` (sorted, each once), with the files' hashes."""
    assert [r["path"] for r in manifest["processed"]] == expected
    for rec in manifest["processed"]:
        assert _sha((paths.data / rec["path"]).read_bytes()) == rec["sha256"], rec["path"]


def _check_consistent(paths: Paths, version: int) -> None:
    out = paths.report_dir("2026")
    manifest = json.loads((out / f"{STEM}.manifest.json").read_text(encoding="utf-8"))
    for rec in manifest["outputs"]:
        assert _sha((out / rec["path"]).read_bytes()) == rec["sha256"], rec["path"]
    _check_processed(paths, manifest, TABLES)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["x"] == [str(version)]
    [listed] = [r for r in manifest["inputs"] if r["path"] == "raw/config/a.csv"]
    assert listed["sha256"] == _sha(VERSIONS[version])
    for name in ("a", "b"):
        prov = json.loads((paths.processed / f"{name}.provenance.json").read_text(encoding="utf-8"))
        assert prov["inputs"][0]["sha256"] == _sha(VERSIONS[version])


@pytest.mark.parametrize("point", BEFORE_COMMIT + DURING_COMMIT)
def test_killed_run_leaves_both_trees_as_before_or_both_new(first_run, point):
    nb_dir, paths = first_run
    _check_consistent(paths, 1)
    # the first run's tables as if published an instant ago (a fast machine: CI listed them twice
    # when "written by this run" meant "modified less than a second before it started")
    now = time.time()
    for p in paths.processed.glob("*"):
        os.utime(p, (now, now))
    before = _visible(paths)
    (paths.raw / "config" / "a.csv").write_bytes(VERSIONS[2])
    run = _run(nb_dir, paths, point)
    assert run.returncode == -9, run.stderr[-2000:]
    journals = sorted(paths.data.glob(".commit-*.json"))
    if point in BEFORE_COMMIT:
        assert _visible(paths) == before  # byte for byte, nothing added
        assert journals == []
    else:
        assert len(journals) == 1
    recover_commits(paths.data)  # what the next run does first
    assert sorted(paths.data.glob(".commit-*.json")) == []
    _check_consistent(paths, 1 if point in BEFORE_COMMIT else 2)
    # the next run cleans the killed run's hidden leftovers and publishes version 2 consistently
    assert _run(nb_dir, paths, "none").returncode == 0
    _check_consistent(paths, 2)
    hidden = [p.name for p in (*paths.data.iterdir(), *paths.out.iterdir()) if p.name.startswith(".staging")]
    assert hidden == []
    R.record_figures(**{f"kill_point_{point}": "before" if point in BEFORE_COMMIT else "completed"})


def test_tables_written_in_place_and_staged_are_each_listed_once(first_run):
    """The manifest lists what this run wrote: the staged tables and a table a notebook wrote
    straight into the processed folder, each once, even when the previous run's tables were
    published an instant before this run started."""
    nb_dir, paths = first_run
    now = time.time()
    for p in paths.processed.glob("*"):
        os.utime(p, (now, now))
    (paths.raw / "config" / "a.csv").write_bytes(VERSIONS[2])
    run = _run(nb_dir, paths, "in_place")
    assert run.returncode == 0, run.stderr[-2000:]
    manifest = json.loads((paths.report_dir("2026") / f"{STEM}.manifest.json").read_text(encoding="utf-8"))
    _check_processed(paths, manifest, [*TABLES, "processed/c.txt"])
    assert (paths.processed / "c.txt").read_text(
        encoding="utf-8"
    ) == "['2']"  # the CSV reader keeps text as text
