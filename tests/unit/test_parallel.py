"""core.parallel: files parsed on two cores give what one loop gives, whoever parsed each file.

The helper process runs the module-level functions below (it imports this module: the tests
put this folder on its PYTHONPATH). To make sure the helper really takes part, the main
process's first parse waits until the helper has started a file (a marker file it writes).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from parlib.core import parallel
from parlib.core.errors import ParlibError


def _number(p: Path) -> int:
    return int(p.read_text(encoding="utf-8").split()[0])


def _mark(p: Path) -> None:
    (p.parent / f"{p.name}.started").write_text(str(os.getpid()), encoding="utf-8")


def there_square(p: Path) -> tuple[int, int]:
    """What the helper runs: (its process id, the number squared)."""
    _mark(p)
    return os.getpid(), _number(p) ** 2


def there_refuses_bad(p: Path) -> tuple[int, int]:
    _mark(p)
    if p.name.startswith("bad"):
        raise ParlibError("tệp hỏng")
    return os.getpid(), _number(p) ** 2


def there_dies(p: Path) -> tuple[int, int]:
    _mark(p)
    os._exit(3)


def _started(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.started"))


class Here:
    """The main process's parse: waits (once) until the helper has started a file."""

    def __init__(self, folder: Path, wait: bool = True):
        self.folder, self.wait, self.calls = folder, wait, []

    def __call__(self, p: Path) -> tuple[str, int]:
        if self.wait and not self.calls:
            deadline = time.monotonic() + 120
            while not _started(self.folder):
                assert time.monotonic() < deadline, "the helper process never started a file"
                time.sleep(0.02)
        self.calls.append(p)
        if p.name.startswith("bad"):
            return "here", -1
        return "here", _number(p) ** 2


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.delenv(parallel.WORKERS_ENV, raising=False)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)  # the decision, not the machine
    out = []
    for i in range(1, 7):  # sizes differ: 1 … 6 lines of padding
        p = tmp_path / f"f{i}.txt"
        p.write_text(f"{i}\n" + "#\n" * i, encoding="utf-8")
        out.append(p)
    return out


def _adopt(seen: list):
    def adopt(p: Path, result: tuple[int, int]) -> tuple[str, int]:
        pid, value = result
        seen.append((p, pid))
        return "there", value

    return adopt


def test_the_helper_shares_the_work_and_the_results_equal_one_loop(files):
    here, seen = Here(files[0].parent), []
    got = parallel.parse_on_two_cores(
        files, here, there_square, _adopt(seen), seconds_per_mb={".txt": 1.0}, min_seconds=0
    )
    assert list(got) == files  # in the order given
    assert {p: v for p, (_who, v) in got.items()} == {p: i * i for i, p in enumerate(files, 1)}
    assert seen, "the helper parsed nothing"
    assert all(pid != os.getpid() for _p, pid in seen)
    # every file parsed exactly once, here or there
    assert sorted(here.calls + [p for p, _ in seen]) == sorted(files)
    assert {got[p][0] for p in here.calls} == {"here"} and {got[p][0] for p, _ in seen} == {"there"}
    # this process takes the largest files first, the helper the smallest
    assert files[-1] in here.calls and files[0] in [p for p, _ in seen]


def test_a_file_the_helper_cannot_parse_is_parsed_here(files, tmp_path):
    bad = tmp_path / "bad.txt"  # the smallest file: the helper's first
    bad.write_text("x", encoding="utf-8")
    every = [*files, bad]
    here = Here(tmp_path)
    got = parallel.parse_on_two_cores(
        every, here, there_refuses_bad, _adopt([]), seconds_per_mb={".txt": 1.0}, min_seconds=0
    )
    assert (tmp_path / "bad.txt.started").exists()  # the helper tried it …
    assert bad in here.calls and got[bad] == ("here", -1)  # … and it was parsed here
    assert {p: v for p, (_w, v) in got.items() if p != bad} == {p: i * i for i, p in enumerate(files, 1)}


def test_a_helper_that_dies_loses_nothing(files, capfd):
    here = Here(files[0].parent)
    got = parallel.parse_on_two_cores(
        files, here, there_dies, _adopt([]), seconds_per_mb={".txt": 1.0}, min_seconds=0
    )
    assert got == {p: ("here", i * i) for i, p in enumerate(files, 1)}
    assert sorted(here.calls) == sorted(files)
    assert "tiến trình phụ đọc tệp đã dừng" in capfd.readouterr().err


@pytest.mark.parametrize("why", ["small", "one_core", "switched_off", "one_file"])
def test_no_helper_when_it_cannot_pay(files, monkeypatch, why):
    kwargs = {"seconds_per_mb": {".txt": 1.0}, "min_seconds": 0}
    if why == "small":  # estimated at 1 s per MB: a few microseconds, under the 1 s asked for
        kwargs["min_seconds"] = 1.0
    elif why == "one_core":
        monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    elif why == "switched_off":
        monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    chosen = files[:1] if why == "one_file" else files
    here = Here(files[0].parent, wait=False)
    got = parallel.parse_on_two_cores(chosen, here, there_square, _adopt([]), **kwargs)
    assert here.calls == chosen  # one loop, in order
    assert got == {p: ("here", i * i) for i, p in enumerate(chosen, 1)}
    assert _started(files[0].parent) == []


def there_slow(p: Path) -> tuple[int, int]:
    _mark(p)
    time.sleep(0.5)
    return os.getpid(), _number(p) ** 2


def test_an_error_here_propagates_and_stops_the_helper(files):
    class Failing(Here):
        def __call__(self, p: Path):
            super().__call__(p)
            raise ValueError("không đọc được")

    with pytest.raises(ValueError, match="không đọc được"):
        parallel.parse_on_two_cores(
            files,
            Failing(files[0].parent),
            there_slow,
            _adopt([]),
            seconds_per_mb={".txt": 1.0},
            min_seconds=0,
        )
    # the helper finished the file it had and took no other: not all six were started
    assert 1 <= len(_started(files[0].parent)) < len(files) - 1


def test_estimated_seconds_by_format(tmp_path):
    csv, xlsx, other = tmp_path / "a.CSV", tmp_path / "b.xlsx", tmp_path / "c.dat"
    csv.write_bytes(b"x" * 2_000_000)
    xlsx.write_bytes(b"x" * 500_000)
    other.write_bytes(b"x" * 100_000)
    rates = {".csv": 0.015, ".xlsx": 0.22}
    # 2 MB × 0,015 + 0,5 MB × 0,22 + 0,1 MB × 0,22 (an unknown format takes the largest rate)
    assert parallel.estimated_seconds([csv, xlsx, other], rates) == pytest.approx(0.03 + 0.11 + 0.022)


def there_prints(p: Path) -> tuple[int, int]:
    """Prints to standard output from Python and straight to descriptor 1."""
    _mark(p)
    print("một dòng in ra")
    os.write(1, b"ghi thang vao mo ta 1\n")
    return os.getpid(), _number(p) ** 2


def test_what_a_parse_prints_in_the_helper_does_not_corrupt_its_results(files, capfd):
    here, seen = Here(files[0].parent), []
    got = parallel.parse_on_two_cores(
        files, here, there_prints, _adopt(seen), seconds_per_mb={".txt": 1.0}, min_seconds=0
    )
    assert seen and {p: v for p, (_w, v) in got.items()} == {p: i * i for i, p in enumerate(files, 1)}
    err = capfd.readouterr().err
    assert "một dòng in ra" in err and "ghi thang vao mo ta 1" in err


def _refuse_to_load():
    raise MemoryError("không đủ bộ nhớ")


class _Unloadable:
    """Pickles fine in the helper; loading it back in this process fails."""

    def __reduce__(self):
        return (_refuse_to_load, ())


def there_unloadable(p: Path):
    _mark(p)
    # a failure part-way through a large result: the helper is still writing the rest of it
    return os.getpid(), (_Unloadable(), b"x" * 8_000_000)


def test_a_result_that_cannot_be_read_back_neither_hangs_nor_loses_a_file(files, capfd):
    import threading

    here, box = Here(files[0].parent), {}
    run = threading.Thread(
        target=lambda: box.update(
            got=parallel.parse_on_two_cores(
                files, here, there_unloadable, _adopt([]), seconds_per_mb={".txt": 1.0}, min_seconds=0
            )
        ),
        daemon=True,
    )
    run.start()
    run.join(120)
    assert not run.is_alive(), "the run hung on a helper blocked writing its result"
    assert box["got"] == {p: ("here", i * i) for i, p in enumerate(files, 1)}
    assert "MemoryError" in capfd.readouterr().err


def there_refuses_all_bad(p: Path) -> tuple[int, int]:
    _mark(p)
    if "bad" in p.name:
        raise ValueError(f"không đọc được {p.name}")
    return os.getpid(), _number(p) ** 2


def test_the_first_error_in_the_order_given_is_raised_as_one_loop_would(files, tmp_path):
    small_bad = tmp_path / "a_bad.txt"  # first in the order given, smallest: the helper's first
    small_bad.write_text("1", encoding="utf-8")
    big_bad = tmp_path / "z_bad.txt"  # last in the order, largest: this process's first
    big_bad.write_text("9\n" + "#\n" * 100, encoding="utf-8")

    class Raising(Here):
        def __call__(self, p: Path):
            super().__call__(p)
            if "bad" in p.name:
                raise ValueError(f"không đọc được {p.name}")
            return "here", _number(p) ** 2

    every = [small_bad, *files, big_bad]
    with pytest.raises(ValueError, match="a_bad.txt"):
        parallel.parse_on_two_cores(
            every,
            Raising(tmp_path),
            there_refuses_all_bad,
            _adopt([]),
            seconds_per_mb={".txt": 1.0},
            min_seconds=0,
        )


def test_a_missing_file_is_left_to_the_reader(files, tmp_path):
    missing = tmp_path / "missing.txt"
    here = Here(tmp_path, wait=False)

    def here_raising(p: Path):
        if not p.exists():
            raise FileNotFoundError(f"tệp không tồn tại: {p.name}")
        return here(p)

    with pytest.raises(FileNotFoundError, match="tệp không tồn tại"):
        parallel.parse_on_two_cores(
            [*files, missing], here_raising, there_square, _adopt([]), seconds_per_mb={".txt": 1e9}
        )
