"""Issue 19 item 3: the "nothing changed" check hashes only the raw files whose size or times
changed, and still covers their content (``parlib.report.inputs.input_hashes``)."""

from __future__ import annotations

import hashlib
import os

from parlib.core.paths import Paths
from parlib.report.inputs import MEMO_NAME, input_hashes


def _paths(tmp_path) -> Paths:
    raw = tmp_path / "data" / "raw"
    (raw / "config").mkdir(parents=True)
    (raw / "config" / "a.csv").write_bytes(b"x\n1\n")
    (raw / "config" / "b.csv").write_bytes(b"y\n2\n")
    return Paths(tmp_path / "data", tmp_path / "reports")


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_unchanged_files_are_not_hashed_again(tmp_path):
    paths = _paths(tmp_path)
    stats: dict = {}
    first = input_hashes(paths, stats=stats)
    assert stats == {"files": 2, "hashed": 2}
    assert first == [
        {"path": "raw/config/a.csv", "sha256": _sha(b"x\n1\n"), "bytes": 4},
        {"path": "raw/config/b.csv", "sha256": _sha(b"y\n2\n"), "bytes": 4},
    ]
    assert (paths.parse_cache / MEMO_NAME).is_file()
    assert input_hashes(paths, stats=stats) == first and stats["hashed"] == 0


def test_a_rewrite_with_the_same_size_and_modification_time_is_still_seen(tmp_path):
    """Copy tools keep the modification time; the change time they cannot keep."""
    paths = _paths(tmp_path)
    input_hashes(paths)
    a = paths.raw / "config" / "a.csv"
    st = a.stat()
    a.write_bytes(b"x\n9\n")  # same size
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))  # modification time put back
    stats: dict = {}
    out = input_hashes(paths, stats=stats)
    assert stats["hashed"] == 1
    assert out[0]["sha256"] == _sha(b"x\n9\n")


def test_new_removed_and_damaged_memo(tmp_path):
    paths = _paths(tmp_path)
    input_hashes(paths)
    (paths.raw / "config" / "c.csv").write_bytes(b"z\n")
    (paths.raw / "config" / "b.csv").unlink()
    stats: dict = {}
    out = input_hashes(paths, stats=stats)
    assert [r["path"] for r in out] == ["raw/config/a.csv", "raw/config/c.csv"] and stats["hashed"] == 1
    (paths.parse_cache / MEMO_NAME).write_text("{", encoding="utf-8")  # damaged: hash everything
    assert input_hashes(paths, stats=stats) == out and stats["hashed"] == 2
