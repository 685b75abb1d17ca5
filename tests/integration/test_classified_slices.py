"""The quarter's classified dossiers a slice at a time (parlib.pipelines.classified) are the
classification of all of them at once: the same frame, the same processed table, the same
processing time and quarter count, on the sample and on the sample with edge cases planted;
a slice that cannot be classified raises the whole classification's error and leaves no file;
a quarterly build that streams them publishes the table a whole build publishes."""

import shutil

import pandas as pd
import pytest
from test_kpi_sql_equivalence import _planted

from parlib.analysis.kpi import classify_dossiers
from parlib.analysis.processing_time import processing_time
from parlib.core.errors import ConfigError
from parlib.core.io import write_table
from parlib.core.paths import PROJECT_ROOT, Paths
from parlib.core.periods import Period
from parlib.model.dossier_rules import KpiRules
from parlib.pipelines import classified as pc
from parlib.pipelines import quarterly

pytestmark = pytest.mark.slow

Q3 = Period(2026, 3)


def _whole(dossiers, cal, rules):
    c = classify_dossiers(dossiers, cal, Q3.end, period_start=Q3.start, rules=rules)
    received = int(((c["received_at"] >= Q3.start) & (c["received_at"] <= Q3.end)).sum())
    return c, processing_time(c, cal, ["office_name"]), received


@pytest.mark.parametrize("seed", [None, 4])
@pytest.mark.parametrize(
    "rules", [KpiRules(), KpiRules(end_of_processing="earliest")], ids=["priority", "earliest"]
)
def test_slices_stacked_are_the_whole_classification(sample, seed, rules, tmp_path):
    dossiers, _procs, cal = sample
    d = dossiers if seed is None else _planted(dossiers, seed)
    c, time, received = _whole(d, cal, rules)
    assert 1000 < len(c) < len(d) and received > 100
    for rows in (997, 4096):  # slices of prime size, one large slice
        stacked = pd.concat(list(pc.classified_slices(d, cal, Q3, rules, rows)))
        pd.testing.assert_frame_equal(stacked, c, check_exact=True)
        got = pc.classify_quarter(d, cal, Q3, rules, target=tmp_path / "t.parquet", chunk_rows=rows)
        pd.testing.assert_frame_equal(got.processing_time, time, check_exact=True)
        assert (got.rows, got.received, got.frame) == (len(c), received, None)
        got.table.discard()
    # one frame: fewer dossiers than a slice, or nothing to write to
    for rows, target in ((len(d), tmp_path / "t.parquet"), (997, None)):
        got = pc.classify_quarter(d, cal, Q3, rules, target=target, chunk_rows=rows)
        pd.testing.assert_frame_equal(got.frame, c, check_exact=True)
        pd.testing.assert_frame_equal(got.processing_time, time, check_exact=True)
        assert (got.rows, got.received, got.table) == (len(c), received, None)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_after_the_slices_leaves_no_file_and_no_writer(sample, tmp_path, monkeypatch):
    import threading

    dossiers, _procs, cal = sample

    def broken(*args, **kwargs):
        raise MemoryError("planted")

    monkeypatch.setattr(pc, "processing_time", broken)
    with pytest.raises(MemoryError):
        pc.classify_quarter(dossiers, cal, Q3, KpiRules(), target=tmp_path / "t.parquet", chunk_rows=997)
    assert list(tmp_path.iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name == "parlib-table"]


def test_streamed_table_is_the_whole_frames_table(sample, tmp_path):
    dossiers, _procs, cal = sample
    c, _time, _received = _whole(dossiers, cal, KpiRules())
    direct = write_table(c, tmp_path / "a" / "dossiers.parquet")
    got = pc.classify_quarter(
        dossiers, cal, Q3, KpiRules(), target=tmp_path / "b" / "dossiers.parquet", chunk_rows=997
    )
    assert got.frame is None and got.rows == len(c)
    published = write_table(None, tmp_path / "b" / "dossiers.parquet", encoded=got.table)
    pd.testing.assert_frame_equal(pd.read_parquet(published), pd.read_parquet(direct), check_exact=True)


def test_a_slice_that_cannot_be_classified_raises_the_whole_error_and_leaves_no_file(sample, tmp_path):
    dossiers, _procs, cal = sample
    year = max(cal.years) + 1  # no official holiday schedule
    late = dossiers.iloc[:3000].copy()
    shift = pd.Timestamp(f"{year}-01-05") - late["received_at"].min()
    for col in ("received_at", "supplement_requested_at", "supplement_completed_at", "finished_at"):
        late[col] = late[col] + shift
    period = Period(year, 1)
    with pytest.raises(ConfigError) as whole:
        classify_dossiers(late, cal, period.end, period_start=period.start)
    target = tmp_path / "dossiers.parquet"
    with pytest.raises(ConfigError) as sliced:
        pc.classify_quarter(late, cal, period, KpiRules(), target=target, chunk_rows=500)
    assert str(sliced.value) == str(whole.value) and str(year) in str(whole.value)
    assert list(tmp_path.iterdir()) == []


def test_a_build_streaming_the_classified_dossiers_publishes_the_same_tables(tmp_path, monkeypatch):
    tables = {}
    results = {}
    for name, rows in (("whole", None), ("sliced", 1500)):
        data = tmp_path / name / "data"
        shutil.copytree(PROJECT_ROOT / "data" / "raw", data / "raw")
        with monkeypatch.context() as m:
            if rows:
                m.setattr(pc, "CHUNK_ROWS", rows)
            results[name] = quarterly.build(2026, 3, Paths(data, tmp_path / name / "reports"))
        tables[name] = {p.name: pd.read_parquet(p) for p in (data / "processed").glob("*.parquet")}
    whole, sliced = results["whole"], results["sliced"]
    assert sliced.classified is None and whole.classified is not None
    assert sliced.extra["classified_rows"] == whole.extra["classified_rows"] == len(whole.classified) > 3000
    assert set(tables["sliced"]) == set(tables["whole"]) and "dossiers_2026_Q3.parquet" in tables["whole"]
    for name, table in tables["whole"].items():
        pd.testing.assert_frame_equal(tables["sliced"][name], table, check_exact=True, obj=name)
    pd.testing.assert_frame_equal(sliced.extra["processing_time"], whole.extra["processing_time"])
    pd.testing.assert_frame_equal(sliced.extra["sample"], whole.extra["sample"])
    processed = tmp_path / "sliced" / "data" / "processed"
    assert not [p.name for p in processed.iterdir() if p.name.endswith(".part")]
