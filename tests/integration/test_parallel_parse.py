"""Issue 19: the dossier exports of a first run parsed on two cores (core.parallel) give the
same dossiers, issues, ledger and errors as one loop, and every file's read is logged.

The bundled sample's seven exports are small, so the size threshold is set to zero; the main
process's first parse waits until the helper process has read a file (its line in the input
log), so the helper really parses some of them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from parlib.core import parallel
from parlib.core.cache import STATS
from parlib.core.errors import StructuralError
from parlib.core.io import INPUT_LOG_ENV, parsed_hash, sha256_file
from parlib.core.paths import Paths
from parlib.ingest import dossiers as dmod
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import load_procedures


@pytest.fixture
def exports(tmp_path):
    paths = Paths()
    folder = tmp_path / "raw" / "dossiers"
    folder.mkdir(parents=True)
    for p in sorted((paths.raw / "dossiers").glob("*.xlsx")):
        shutil.copy2(p, folder / p.name)
    return (
        sorted(folder.glob("*.xlsx")),
        load_procedures(paths.config / "procedures.csv"),
        load_calendar(paths),
    )


def _read(files, procs, cal, data_dir, cache_dir=None):
    return dmod.read_dossier_exports(files, procs, cal, data_dir=data_dir, cache_dir=cache_dir)


def _log_lines(log: Path) -> list[dict]:
    return [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def _force_helper(tmp_path, monkeypatch, module, name: str, folder: str):
    """Forces the helper (threshold 0, two cores), logs reads, and records what the main
    process parsed with ``module.name``; its first parse waits until the helper has read a file
    of ``raw/<folder>`` (other reads, e.g. the item table, are logged too)."""
    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv(INPUT_LOG_ENV, str(log))
    monkeypatch.delenv(parallel.WORKERS_ENV, raising=False)
    monkeypatch.setattr(parallel, "MIN_SECONDS", 0)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    original, here = getattr(module, name), []

    def parsed_here(path, *args, **kwargs):
        if not here:
            deadline = time.monotonic() + 180
            while not [x for x in _log_lines(log) if f"/raw/{folder}/" in x["path"]]:
                assert time.monotonic() < deadline, "the helper process never read a file"
                time.sleep(0.02)
        here.append(Path(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(module, name, parsed_here)
    return log, here, original


@pytest.fixture
def two_cores(tmp_path, monkeypatch):
    return _force_helper(tmp_path, monkeypatch, dmod, "_parsed_file", "dossiers")


@pytest.mark.parametrize("cache", [False, True])
def test_two_cores_give_what_one_loop_gives(exports, tmp_path, monkeypatch, two_cores, cache):
    files, procs, cal = exports
    log, here, original = two_cores
    data = tmp_path
    misses = STATS["misses"]
    got = _read(files, procs, cal, data, tmp_path / "cache" if cache else None)
    assert here and set(here) < set(files), "each process should have parsed some of the files"
    # the helper's reads are this process's too: provenance names the hash of the bytes parsed
    assert all(parsed_hash(p) == (sha256_file(p), p.stat().st_size) for p in files)
    if cache:  # and its parse-cache counts
        assert STATS["misses"] - misses == len(files)
    if cache:  # the helper's files were stored in the parse cache too
        assert len(list((tmp_path / "cache" / "dossiers").glob("*.json"))) == len(files)
    # every file's read logged once (by whichever process parsed it), with the hash of its bytes
    lines = _log_lines(log)
    assert sorted(x["path"] for x in lines) == sorted(str(p.resolve()) for p in files)
    assert all(x["sha256"] == sha256_file(x["path"]) for x in lines)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    monkeypatch.setattr(dmod, "_parsed_file", original)
    one = _read(files, procs, cal, data)
    for table in ("dossiers", "issues", "ledger"):
        pd.testing.assert_frame_equal(getattr(got, table), getattr(one, table), check_exact=True)
    assert len(one.dossiers) > 1000


def test_a_broken_export_stops_the_run_with_the_same_problems(exports, tmp_path, monkeypatch, two_cores):
    files, procs, cal = exports
    _log, here, _original = two_cores
    broken = files[0].parent / "ho_so_2024_Q4.csv"  # the smallest file: the helper's first
    broken.write_text("Báo cáo\nkhông có tiêu đề\n", encoding="utf-8")
    other = files[0].parent / "ho_so_2025_Q0.csv"  # another broken one
    other.write_text("Số hồ sơ;Tên\n1;a\n", encoding="utf-8")
    every = sorted([*files, broken, other])
    with pytest.raises(StructuralError) as two:
        _read(every, procs, cal, tmp_path)
    assert broken in here  # the helper could not parse it: parsed (and reported) here
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    with pytest.raises(StructuralError) as one:
        _read(every, procs, cal, tmp_path)
    assert two.value.problems == one.value.problems
    assert {p.file for p in one.value.problems} >= {
        "raw/dossiers/ho_so_2024_Q4.csv",
        "raw/dossiers/ho_so_2025_Q0.csv",
    }


@pytest.fixture
def survey_two_cores(tmp_path, monkeypatch):
    from parlib.ingest import survey as smod

    return (smod, *_force_helper(tmp_path, monkeypatch, smod, "_read_one_cached", "survey"))


def test_survey_files_on_two_cores_give_what_one_loop_gives(tmp_path, monkeypatch, survey_two_cores):
    from parlib.ingest.survey import load_survey_items

    smod, log, here, original = survey_two_cores
    paths = Paths()
    folder = tmp_path / "raw" / "survey"
    folder.mkdir(parents=True)
    for p in sorted((paths.raw / "survey").glob("*.xlsx")):
        shutil.copy2(p, folder / p.name)
    files = sorted(folder.glob("*.xlsx"))
    items = load_survey_items(paths.config / "survey_items.csv")
    got = smod.read_surveys(files, items, base=tmp_path, cache_dir=tmp_path / "cache")
    assert here and set(here) < set(files), "each process should have read some of the files"
    read = sorted(x["path"] for x in _log_lines(log) if x["path"].endswith(".xlsx"))  # not the item table
    assert read == sorted(str(p.resolve()) for p in files)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    monkeypatch.setattr(smod, "_read_one_cached", original)
    one = smod.read_surveys(files, items, base=tmp_path)
    for table in ("responses", "answers", "issues", "ledger"):
        pd.testing.assert_frame_equal(getattr(got, table), getattr(one, table), check_exact=True)
    assert len(one.answers) > 1000
    # a broken workbook among them (the smallest: the helper's first): the same error as one loop
    broken = folder / "khao_sat_2024_Q4.xlsx"
    broken.write_bytes(b"not a workbook")
    every = sorted([*files, broken])
    monkeypatch.delenv(parallel.WORKERS_ENV)
    with pytest.raises(Exception) as two:
        smod.read_surveys(every, items, base=tmp_path)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    with pytest.raises(Exception) as one_err:
        smod.read_surveys(every, items, base=tmp_path)
    assert type(two.value) is type(one_err.value) and str(two.value) == str(one_err.value)
    assert getattr(two.value, "problems", None) == getattr(one_err.value, "problems", None)


def test_without_the_helper_the_survey_read_stops_at_the_first_broken_workbook(tmp_path, monkeypatch):
    """As before the two-core read: a broken first workbook stops the read before the others."""
    from parlib.ingest.survey import load_survey_items, read_surveys

    paths = Paths()
    items = load_survey_items(paths.config / "survey_items.csv")
    folder = tmp_path / "raw" / "survey"
    folder.mkdir(parents=True)
    for p in sorted((paths.raw / "survey").glob("*.xlsx")):
        shutil.copy2(p, folder / p.name)
    broken = folder / "khao_sat_2024_Q4.xlsx"
    broken.write_bytes(b"not a workbook")
    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv(INPUT_LOG_ENV, str(log))
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    with pytest.raises(Exception, match="khao_sat_2024_Q4|bảng tính|đọc"):
        read_surveys(sorted(folder.glob("*.xlsx")), items, base=tmp_path)
    assert [x["path"] for x in _log_lines(log)] == [str(broken.resolve())]


@pytest.mark.parametrize("warm", [True, False])
def test_no_helper_in_the_kernel_while_the_command_line_warms_the_cache(tmp_path, monkeypatch, warm):
    """The command line parses the quarter's files on the second core while the kernel starts
    (render's ``warm``); the kernel then parses in one process (both at once were slower)."""
    from parlib.report import render as report

    (tmp_path / "data" / "raw" / "config").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "config" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    monkeypatch.delenv(parallel.WORKERS_ENV, raising=False)
    seen = []
    monkeypatch.setattr(
        report, "execute", lambda spec, nb_out: seen.append(os.environ.get(parallel.WORKERS_ENV))
    )
    monkeypatch.setattr(report, "export_html", lambda *a, **k: [])
    spec = report.ReportSpec("quarterly.ipynb", "2026", "x_2026", "Thử", {})  # never run: execute is replaced
    report.render(spec, Paths(tmp_path / "data", tmp_path / "reports"), warm=(lambda: None) if warm else None)
    assert seen == (["1"] if warm else [None])
    assert os.environ.get(parallel.WORKERS_ENV) is None  # restored after the run
