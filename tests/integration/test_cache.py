"""Parse cache (parlib.cache): hit, miss after a change, identical results, damaged copies.

Every test counts the reader's calls: 1 call after two ``cached`` calls = the second was a hit.
"""

import hashlib
import json

import pandas as pd
import pytest

from parlib.core.cache import cache_key, cached
from parlib.core.io import read_input, sha256_file
from parlib.ingest.dossier_columns import load_procedures

PROCEDURES = (
    "procedure_code,procedure_name,field_name,office_name,deadline_value,deadline_unit,after_15h,"
    "online_level,fee_vnd,has_paper_result,difficulty\n"
    "1.000005,Thủ tục 5 ngày,Xây dựng,Phòng A,5,working_days,false,toàn trình,150000,true,normal\n"
    "1.000002,Thủ tục liên thông,Nhà ở,Phòng B,2,working_days,true,một phần,,false,fast\n"
)


class Counting:
    """A reader that counts its calls and returns a typed frame built from the file's lines."""

    def __init__(self):
        self.calls = 0

    def __call__(self, path):
        self.calls += 1
        lines = read_input(path).decode("utf-8").splitlines()  # how parlib readers read a raw file
        n = len(lines)
        return pd.DataFrame(
            {
                "text": pd.array(lines, dtype="str"),
                "when": pd.Series(pd.to_datetime(["2026-02-13 15:30"] * n)).astype("datetime64[us]"),
                "count": pd.array([len(x) if x else None for x in lines], dtype="Int64"),
                "flag": pd.array([x.startswith("a") if x else None for x in lines], dtype="boolean"),
            }
        )


@pytest.fixture
def src(tmp_path):
    p = tmp_path / "raw" / "export.csv"
    p.parent.mkdir()
    p.write_text("alpha\nbeta\n\nađ\n", encoding="utf-8")
    return p


def test_second_call_is_a_hit_with_an_equal_frame(src, tmp_path):
    reader = Counting()
    first = cached("test", src, reader, cache_dir=tmp_path / "cache")
    second = cached("test", src, reader, cache_dir=tmp_path / "cache")
    assert reader.calls == 1
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    # 4 lines: 'alpha' 5 chars, 'beta' 4, '' -> <NA>, 'ađ' 2
    assert second["count"].tolist()[:2] == [5, 4] and second["count"].isna().tolist() == [
        False,
        False,
        True,
        False,
    ]
    assert str(second["when"].dtype) == "datetime64[us]"


def test_changed_bytes_are_a_miss_and_the_stale_copy_is_removed(src, tmp_path):
    reader = Counting()
    cache_dir = tmp_path / "cache"
    cached("test", src, reader, cache_dir=cache_dir)
    src.write_text("alpha\nbeta\ngamma\n", encoding="utf-8")
    out = cached("test", src, reader, cache_dir=cache_dir)
    assert reader.calls == 2
    assert out["text"].tolist() == ["alpha", "beta", "gamma"]
    assert len(list((cache_dir / "test").glob("*.json"))) == 1  # the old copy was pruned
    cached("test", src, reader, cache_dir=cache_dir)
    assert reader.calls == 2


def test_key_depends_on_kind_extra_and_reader(src, tmp_path):
    sha = sha256_file(src)
    reader = Counting()
    base = cache_key("test", sha, reader)
    assert cache_key("test", sha, reader) == base
    assert cache_key("other", sha, reader) != base
    assert cache_key("test", sha, reader, extra="raw/export.csv") != base
    assert cache_key("test", sha, load_procedures) != base
    cached("test", src, reader, cache_dir=tmp_path / "c")
    cached("test", src, reader, cache_dir=tmp_path / "c", extra="another display name")
    assert reader.calls == 2


def test_identical_results_direct_and_from_cache_with_a_parlib_reader(tmp_path):
    path = tmp_path / "procedures.csv"
    path.write_text(PROCEDURES, encoding="utf-8")
    direct = load_procedures(path)
    first = cached("procedures", path, load_procedures, cache_dir=tmp_path / "cache")
    again = cached("procedures", path, load_procedures, cache_dir=tmp_path / "cache")
    for got in (first, again):
        pd.testing.assert_frame_equal(got, direct, check_exact=True)
    # blank fee -> 0.0 (load_procedures rule), still after the round trip
    assert again.loc[again["procedure_code"] == "1.000002", "fee_vnd"].item() == 0.0


def test_dict_of_frames_and_attrs_round_trip(src, tmp_path):
    calls = []

    def reader(path):
        calls.append(path)
        a = Counting()(path)
        a.attrs["cols"] = {"dossier_id": 2}
        return {"rows": a, "tail": a.iloc[2:]}

    first = cached("multi", src, reader, cache_dir=tmp_path / "c")
    second = cached("multi", src, reader, cache_dir=tmp_path / "c")
    assert len(calls) == 1 and list(second) == ["rows", "tail"]
    assert second["rows"].attrs == {"cols": {"dossier_id": 2}}
    pd.testing.assert_frame_equal(second["tail"], first["tail"])
    assert second["tail"].index.tolist() == [2, 3]


@pytest.mark.parametrize("damage", ["truncate_part", "garbage_index", "delete_part", "wrong_rows"])
def test_damaged_copy_is_parsed_again_not_a_crash(src, tmp_path, damage, capsys):
    reader = Counting()
    cache_dir = tmp_path / "cache"
    expected = cached("test", src, reader, cache_dir=cache_dir)
    index = next((cache_dir / "test").glob("*.json"))
    part = next((cache_dir / "test").glob("*.parquet"))
    if damage == "truncate_part":
        part.write_bytes(part.read_bytes()[:40])
    elif damage == "garbage_index":
        index.write_text("{not json", encoding="utf-8")
    elif damage == "delete_part":
        part.unlink()
    else:
        meta = json.loads(index.read_text(encoding="utf-8"))
        meta["parts"][0]["rows"] = 99
        index.write_text(json.dumps(meta), encoding="utf-8")
    got = cached("test", src, reader, cache_dir=cache_dir)
    assert reader.calls == 2
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    cached("test", src, reader, cache_dir=cache_dir)  # the re-parse repaired the copy
    assert reader.calls == 2


def test_mutating_the_result_never_touches_the_cache(src, tmp_path):
    reader = Counting()
    cached("test", src, reader, cache_dir=tmp_path / "c")
    hit = cached("test", src, reader, cache_dir=tmp_path / "c")
    hit.loc[0, "text"] = "changed"
    assert cached("test", src, reader, cache_dir=tmp_path / "c").loc[0, "text"] == "alpha"


def test_file_changing_during_the_parse_never_mixes_versions(src, tmp_path):
    """The file is replaced while the reader parses it: the reader parsed the bytes the key was
    hashed from (read once), so the stored copy is the old version's under the old hash, and the
    next call parses the new version."""
    original = src.read_bytes()

    def reader(path):
        src.write_text("rewritten while reading\n", encoding="utf-8")
        return Counting()(path)

    first = cached("test", src, reader, cache_dir=tmp_path / "c")
    assert first["text"].tolist() == ["alpha", "beta", "", "ađ"]
    index = json.loads(next((tmp_path / "c" / "test").glob("*.json")).read_text(encoding="utf-8"))
    assert index["sha256"] == hashlib.sha256(original).hexdigest()
    second = cached("test", src, Counting(), cache_dir=tmp_path / "c")
    assert second["text"].tolist() == ["rewritten while reading"]


def test_unstorable_frame_is_returned_uncached(src, tmp_path, capsys):
    calls = []

    def reader(path):
        calls.append(1)
        return pd.DataFrame({"mixed": pd.Series([1, "a", 2.5], dtype=object)})

    out = cached("test", src, reader, cache_dir=tmp_path / "c")
    assert out["mixed"].tolist() == [1, "a", 2.5]
    cached("test", src, reader, cache_dir=tmp_path / "c")
    assert len(calls) == 2
    assert not list((tmp_path / "c" / "test").glob("*"))  # no orphan part left behind


def test_reader_errors_propagate_and_are_not_cached(src, tmp_path):
    def reader(path):
        raise ValueError("bad file")

    with pytest.raises(ValueError, match="bad file"):
        cached("test", src, reader, cache_dir=tmp_path / "c")
    with pytest.raises(TypeError):
        cached("test", src, lambda p: [1, 2], cache_dir=tmp_path / "c")


def test_dossier_exports_identical_with_and_without_the_parse_cache(tmp_path):
    """The bundled sample's two 2025-Q3/Q4 exports (one writes dates as text, duplicates carried
    over between them): the reader gives the same three tables without the cache, with a cold
    cache (parse + store) and with a warm one (every file from the cache)."""
    from parlib.core.paths import Paths
    from parlib.ingest.calendar import load_calendar
    from parlib.ingest.dossiers import read_dossier_exports

    paths = Paths()
    files = [paths.raw / "dossiers" / f"ho_so_2025_Q{q}.xlsx" for q in (3, 4)]
    procs = load_procedures(paths.config / "procedures.csv")
    cal = load_calendar(paths)
    direct = read_dossier_exports(files, procs, cal, data_dir=paths.data)
    cold = read_dossier_exports(files, procs, cal, data_dir=paths.data, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache" / "dossiers").glob("*.json"))) == 2  # one copy per file
    warm = read_dossier_exports(files, procs, cal, data_dir=paths.data, cache_dir=tmp_path / "cache")
    for got in (cold, warm):
        for table in ("dossiers", "issues", "ledger"):
            pd.testing.assert_frame_equal(getattr(got, table), getattr(direct, table), check_exact=True)
    assert len(direct.dossiers) > 1000 and (direct.ledger["status"] == "skipped").any()


def test_survey_files_identical_with_and_without_the_parse_cache(tmp_path, capsys):
    """Every bundled survey file: the same four tables without the cache, cold and warm; a
    changed question table or scale is a miss (it changes what a valid answer is)."""
    from parlib.core.cache import STATS
    from parlib.core.paths import Paths
    from parlib.ingest.survey import load_survey_items, read_surveys
    from parlib.model.survey import SurveyConfig

    paths = Paths()
    files = sorted((paths.raw / "survey").glob("khao_sat_*.xlsx"))
    items = load_survey_items(paths.config / "survey_items.csv")
    direct = read_surveys(files, items, base=paths.data)
    cold = read_surveys(files, items, base=paths.data, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache" / "survey").glob("*.json"))) == len(files)  # every copy was stored
    hits = STATS["hits"]
    warm = read_surveys(files, items, base=paths.data, cache_dir=tmp_path / "cache")
    assert STATS["hits"] - hits == len(files)
    for got in (cold, warm):
        for table in ("responses", "answers", "issues", "ledger"):
            pd.testing.assert_frame_equal(getattr(got, table), getattr(direct, table), check_exact=True)
    assert len(direct.responses) > 1000 and (direct.issues["rule"] == "survey_answer_out_of_scale").any()
    misses = STATS["misses"]
    strict = read_surveys(
        files[:1],
        items,
        SurveyConfig(scale_max=4, satisfied_min=3),
        base=paths.data,
        cache_dir=tmp_path / "cache",
    )
    fewer = read_surveys(files[:1], items.iloc[1:], base=paths.data, cache_dir=tmp_path / "cache")
    assert STATS["misses"] - misses == 2
    assert (
        strict.answers["answer"].max() == 4
        and fewer.answers["item_code"].nunique() == items["item_code"].nunique() - 1
    )
    assert "không lưu được" not in capsys.readouterr().err


def test_feedback_logs_identical_with_and_without_the_parse_cache(tmp_path, capsys):
    """The bundled feedback logs (2025, 2026): the same three tables without the cache, cold
    and warm."""
    from parlib.core.cache import STATS
    from parlib.core.paths import Paths
    from parlib.ingest.calendar import load_calendar
    from parlib.ingest.feedback import read_feedback

    paths = Paths()
    files = sorted((paths.raw / "feedback").glob("pakn_*.xlsx"))
    cal = load_calendar(paths)
    direct = read_feedback(files, cal)
    cold = read_feedback(files, cal, cache_dir=tmp_path / "cache")
    hits = STATS["hits"]
    warm = read_feedback(files, cal, cache_dir=tmp_path / "cache")
    assert STATS["hits"] - hits == len(files) >= 2
    for got in (cold, warm):
        for a, b in zip(got, direct):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert len(direct[0]) > 100 and set(direct[2]["status"]) >= {"used", "skipped"}
    assert "không lưu được" not in capsys.readouterr().err


def test_code_fingerprint_covers_the_reader_module_and_its_parlib_imports():
    from parlib.core.cache import _closure, code_fingerprint
    from parlib.core.paths import PACKAGE_DIR

    files = {p.relative_to(PACKAGE_DIR).as_posix() for p in _closure("parlib.ingest.dossiers")}
    assert {
        "ingest/dossiers.py",
        "ingest/readers.py",
        "core/calendar.py",
        "core/issues.py",
        "core/errors.py",
        "model/dossier_rules.py",
    } <= files
    # the reader depends on no analysis: editing a KPI keeps the dossier parse cache valid
    assert not any(f.startswith(("analysis/", "pipelines/", "report/", "cli/")) for f in files)
    assert "ingest/survey.py" not in files
    assert code_fingerprint("parlib.ingest.dossiers") != code_fingerprint("parlib.ingest.survey")
    # a reader outside parlib (this test module): the whole package is its code
    assert code_fingerprint("tests.test_cache") == code_fingerprint(None)


def test_code_closure_from_the_text_covers_what_parsing_finds(monkeypatch):
    """The closure reads import statements from the text; for every parlib module it holds
    every file that parsing the modules finds (more only where a docstring quotes an import)."""
    from parlib.core import cache
    from parlib.core.paths import PACKAGE_DIR

    modules = [
        "parlib."
        + p.relative_to(PACKAGE_DIR).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
        for p in sorted(PACKAGE_DIR.rglob("*.py"))
    ]
    assert len(modules) > 80
    fast = {m: set(cache._closure(m)) for m in modules}
    monkeypatch.setattr(cache, "_imports", cache._imports_by_ast)  # the reference: parse every module
    extra = 0
    for m in modules:
        ref = set(cache._closure(m))
        assert ref <= fast[m], (m, sorted(ref - fast[m]))
        extra += len(fast[m] - ref)
    assert extra <= len(modules)  # not the whole package every time


def test_code_closure_reads_every_form_of_import(tmp_path):
    from parlib.core import cache

    src = tmp_path / "mod.py"
    src.write_text(
        "from parlib.core import (  # comment\n    io,\n    text as t,  # why\n    cells\n)\n"
        "import parlib.core.log as lg, os\n"
        "def f():\n    from .periods import Period\n    from .. import ingest\n",
        encoding="utf-8",
    )
    got = set(cache._imports(src, "parlib.core"))
    assert got == set(cache._imports_by_ast(src, "parlib.core"))
    assert {
        "parlib.core",
        "parlib.core.io",
        "parlib.core.text",
        "parlib.core.cells",
        "parlib.core.log",
        "parlib.core.periods",
        "parlib.core.periods.Period",
        "parlib",
        "parlib.ingest",
    } <= got


def test_warm_parse_cache_fills_what_the_quarterly_build_reads(tmp_path):
    """The command line parses the quarter's files on the second core while the kernel starts;
    the build must then take every dossier export, feedback log and survey file from the cache
    (no miss), and its results are those of a build without the warm-up (same data folder)."""
    import shutil

    from parlib.core.cache import STATS
    from parlib.core.paths import PROJECT_ROOT, Paths
    from parlib.pipelines import quarterly

    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", data / "raw")
    paths = Paths(data, tmp_path / "reports")
    files = quarterly.input_files(paths, quarterly.Period(2026, 3))
    assert quarterly.warm_parse_cache(2026, 3, paths) == []
    n = len(files["dossiers"]) + len(files["feedback"]) + len(files["survey"])
    assert n >= 10
    for kind, group in (("dossiers", "dossiers"), ("feedback", "feedback"), ("survey", "survey")):
        assert len(list((data / "processed" / ".cache" / kind).glob("*.json"))) == len(files[group])
    hits, misses = STATS["hits"], STATS["misses"]
    warm = quarterly.build(2026, 3, paths, write=False)
    assert (STATS["hits"] - hits, STATS["misses"] - misses) == (n, 0)
    shutil.rmtree(data / "processed" / ".cache")
    cold = quarterly.build(2026, 3, paths, write=False)
    for name in ("kpis", "status", "survey_table", "issues", "ledger"):
        pd.testing.assert_frame_equal(getattr(warm, name), getattr(cold, name), check_exact=True, obj=name)


def test_unchanged_file_is_not_read_again(src, tmp_path, monkeypatch):
    """Size, modification time, change time and inode as recorded with the stored copy: the copy
    is used without reading the file, and the run records the hash it was parsed from."""
    import os

    import parlib.core.io as io
    from parlib.core.cache import STATS

    old = src.stat().st_mtime_ns - 10_000_000_000  # written 10 s ago: not "racy"
    os.utime(src, ns=(old, old))
    reader = Counting()
    first = cached("test", src, reader, cache_dir=tmp_path / "c")
    io._READ.pop(str(src.resolve()), None)

    def no_read(path):
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr(io, "_read_hashed", no_read)
    unread = STATS["unread"]
    second = cached("test", src, reader, cache_dir=tmp_path / "c")
    assert reader.calls == 1 and STATS["unread"] == unread + 1
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    data = src.read_bytes()
    assert io.parsed_hash(src) == (hashlib.sha256(data).hexdigest(), len(data))


def test_same_size_and_modification_time_still_reads_a_rewritten_file(src, tmp_path):
    """A copy tool keeping the modification time, same length: the change time moved, so the file
    is read, hashed and parsed again."""
    import os

    reader = Counting()
    cached("test", src, reader, cache_dir=tmp_path / "c")
    before = src.stat()
    src.write_text("alphA\nbetA\n\nađ\n", encoding="utf-8")  # same number of bytes
    os.utime(src, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (src.stat().st_size, src.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    out = cached("test", src, reader, cache_dir=tmp_path / "c")
    assert reader.calls == 2 and out["text"].tolist() == ["alphA", "betA", "", "ađ"]


def test_a_file_written_just_before_its_read_is_hashed_again_next_time(src, tmp_path):
    """Written less than 2 s before the read: its times are not trusted (a rewrite in the same
    timestamp tick would keep them), so the next call reads and hashes it; the copy is still
    reused when the bytes are the same."""
    import parlib.core.io as io
    from parlib.core.cache import STATS

    reader = Counting()
    cached("test", src, reader, cache_dir=tmp_path / "c")  # the fixture wrote it just now
    index = json.loads(next((tmp_path / "c" / "test").glob("*.json")).read_text(encoding="utf-8"))
    assert index["stat"] is None
    unread = STATS["unread"]
    io._READ.pop(str(src.resolve()), None)
    cached("test", src, reader, cache_dir=tmp_path / "c")
    assert reader.calls == 1 and STATS["unread"] == unread and str(src.resolve()) in io._READ


@pytest.mark.parametrize(
    "source, module",
    [
        ("import os; import parlib.core.log\n", "parlib.core.log"),
        ("if True: import parlib.core.numbers\n", "parlib.core.numbers"),
        ("try: from parlib.core import io\nexcept ImportError: pass\n", "parlib.core.io"),
        ("from parlib.core import cells, \\\n    text\n", "parlib.core.text"),
        ("from parlib.core import (  # see f()\n    labels,\n)\n", "parlib.core.labels"),
        ("from parlib.analysis import(kpi)\n", "parlib.analysis.kpi"),
    ],
)
def test_code_closure_reads_the_forms_the_pattern_does_not(tmp_path, source, module):
    """Two statements on a line, an import after a colon, a continued line, a comment with a
    parenthesis inside an import list, ``import(``: the module is still found."""
    from parlib.core import cache

    src = tmp_path / "mod.py"
    src.write_text(source, encoding="utf-8")
    assert module in cache._imports(src, "parlib.core")
