"""The raw inputs of a report: what the build key covers and what the manifest records.

* ``input_hashes`` lists every file under ``data/raw`` with its SHA-256, for the build key
  (``render.build_key``). It is the "nothing changed" check of a re-run, so it must stay cheap
  as the data grows: a file whose size, modification time, change time and inode are those
  recorded at the last run keeps its recorded hash (``data/processed/.cache/input_hashes.json``);
  only new or touched files are read and hashed. The key still covers content: any write to a
  file changes its modification and change times (the change time cannot be set back by
  ``touch`` or by copy tools that keep modification times).
* ``notebook_reads`` collects what the notebook actually parsed (``parlib.core.io.read_input``
  appends a line per read to the input log named by ``PARLIB_INPUT_LOG``); ``with_reads``
  puts those hashes into the list, so the manifest records the hash of the bytes the report
  was made from, even when a file was replaced between the listing and the read. A file read
  twice with different bytes (being copied in while the notebook ran) stops the report.
"""

from __future__ import annotations

import json
from pathlib import Path

from parlib.core.errors import InputFormatError, Problem
from parlib.core.io import sha256_file, stat_key, write_json
from parlib.core.paths import Paths

MEMO_NAME = "input_hashes.json"
_MEMO_FORMAT = 1


def input_hashes(paths: Paths, *, stats: dict | None = None) -> list[dict]:
    """``[{path, sha256, bytes}]`` of every file under ``paths.raw`` (relative to the data
    folder, sorted), hashing only files whose size or times changed since the last call
    (module docstring). ``stats`` (optional) receives ``{"files", "hashed"}``."""
    memo_path = paths.parse_cache / MEMO_NAME
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
        known = memo["files"] if memo.get("format") == _MEMO_FORMAT else {}
    except (OSError, ValueError, KeyError, TypeError):
        known = {}  # no memo (first run) or a damaged one: hash everything
    out, fresh, hashed = [], {}, 0
    if paths.raw.exists():
        for p in sorted(paths.raw.rglob("*")):
            if not p.is_file() or p.name.startswith("."):
                continue
            rel = str(p.relative_to(paths.data))
            st = p.stat()
            rec = known.get(rel)
            if isinstance(rec, dict) and rec.get("stat") == stat_key(st) and rec.get("sha256"):
                digest = rec["sha256"]
            else:
                digest, hashed = sha256_file(p), hashed + 1
            fresh[rel] = {"stat": stat_key(st), "sha256": digest}
            out.append({"path": rel, "sha256": digest, "bytes": st.st_size})
    if fresh != known and paths.data.exists():
        try:
            write_json(memo_path, {"format": _MEMO_FORMAT, "files": fresh})
        except OSError:
            pass  # only a shortcut for the next run: a read-only data folder hashes again next time
    if stats is not None:
        stats.update(files=len(out), hashed=hashed)
    return out


def notebook_reads(log_path: Path, paths: Paths) -> dict[str, dict]:
    """``{relative path: {sha256, bytes}}`` of the raw files the notebook parsed (its input log).

    Raises InputFormatError naming the file when one was parsed twice with different bytes.
    """
    if not log_path.is_file():
        return {}
    seen: dict[str, dict] = {}
    changed: list[str] = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line cut by a killed writer: that read did not finish
        p = Path(rec["path"])
        rel = str(p.relative_to(paths.data)) if p.is_relative_to(paths.data.resolve()) else str(p)
        now = {"sha256": rec["sha256"], "bytes": rec["bytes"]}
        if rel in seen and seen[rel]["sha256"] != now["sha256"] and rel not in changed:
            changed.append(rel)
        seen[rel] = now
    if changed:
        raise InputFormatError(
            "Tệp dữ liệu thay đổi trong lúc lập báo cáo.",
            [
                Problem(
                    "tệp được đọc hai lần với nội dung khác nhau (đang được chép vào hoặc đang sửa?); "
                    "hãy chạy lại khi tệp đã chép xong",
                    file=rel,
                )
                for rel in changed
            ],
        )
    return seen


def with_reads(inputs: list[dict], reads: dict[str, dict]) -> list[dict]:
    """``inputs`` with the hash and size of every file the notebook parsed (``parsed: true``)
    replaced by those of the bytes it parsed; files parsed but not listed are added."""
    out = []
    for rec in inputs:
        used = reads.get(rec["path"])
        out.append({**rec, **used, "parsed": True} if used else dict(rec))
    listed = {rec["path"] for rec in inputs}
    out += [{"path": rel, **used, "parsed": True} for rel, used in sorted(reads.items()) if rel not in listed]
    return out
