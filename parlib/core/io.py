"""Atomic output writing, checksums and provenance.

* Every output is written to a temporary file in the same folder and moved into place
  with ``os.replace``, so a failed or killed run never leaves a half-written file.
* Processed tables are Parquet with a JSON *provenance sidecar* (``<name>.provenance.json``)
  recording inputs and their SHA-256, parameters, code version and row count.
* Raw inputs are read with ``read_input``: once per parse, hashed, and the provenance records
  the hash of exactly those bytes (``input_record``); a parsed copy reused for a file whose
  size and times are unchanged records the hash of the bytes it was parsed from
  (``note_unchanged_input``).
* ``ReportStage`` collects a run's report files in a hidden staging folder and publishes
  them together at the end; on failure nothing is published and the previous report stays.
  While a report is rendered, ``write_table`` writes the processed tables into a staging folder
  too (``PARLIB_PROCESSED_STAGE``), and both are published in one ``commit_moves``: a journal
  lists the moves before any is made, so a kill in the middle is completed by the next run
  (``recover_commits``).
* A run killed outright (SIGKILL, power cut) cannot clean up: its hidden temporary files
  carry its process id (``.<name>.<pid>.<random>.part``, ``.staging-<period>-<pid>-<random>``)
  and the next write to the same place removes those whose process no longer exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from parlib import __version__

if TYPE_CHECKING:  # pandas is imported by the functions that use it (a reused report stays light)
    import pandas as pd

from parlib.core.paths import PROJECT_ROOT

_HASHES: dict[tuple, str] = {}
# raw inputs: resolved path -> (sha256, size) of the bytes last parsed by this process, and the
# bytes of the file being parsed right now (``held_input``)
_READ: dict[str, tuple[str, int]] = {}
_HELD: dict[str, bytes] = {}
INPUT_LOG_ENV = "PARLIB_INPUT_LOG"


def read_input(path: str | Path) -> bytes:
    """The bytes of a raw input file, for a reader to parse (never ``open`` a raw file directly).

    While the file is held (:func:`held_input`, e.g. by the parse cache, which hashed them) the
    same bytes are returned without reading the file again. Otherwise the file is read once and
    hashed: its SHA-256 is what :func:`input_record` writes in provenance, so a file replaced
    while a run reads it is recorded with the hash of the bytes actually parsed. When the
    environment names an input log (``PARLIB_INPUT_LOG``, set by the report renderer for its
    notebook) one JSON line ``{"path", "sha256", "bytes"}`` is appended per read.
    """
    return _read_hashed(path)[0]


def _read_hashed(path: str | Path) -> tuple[bytes, str]:
    key = str(Path(path).resolve())
    if key in _HELD:
        return _HELD[key], _READ[key][0]
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    _record_read(key, digest, len(data))
    return data, digest


def _record_read(key: str, digest: str, size: int) -> None:
    _READ[key] = (digest, size)
    log = os.environ.get(INPUT_LOG_ENV)
    if log:
        line = json.dumps({"path": key, "sha256": digest, "bytes": size}) + "\n"
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))  # one write of a short line: appends never interleave
        finally:
            os.close(fd)


def note_unchanged_input(path: str | Path, sha256: str, size: int) -> None:
    """Record ``path`` as read with ``sha256`` without reading it: the parse cache reuses a
    copy parsed from a file whose size and times are unchanged (``parlib.core.cache``), so the
    provenance and the report's input log name the hash of the bytes that copy came from."""
    _record_read(str(Path(path).resolve()), sha256, size)


@contextmanager
def held_input(path: str | Path) -> Iterator[tuple[bytes, str]]:
    """Read a raw input once and keep its bytes while the block runs: yields (bytes, sha256);
    every :func:`read_input` of the same file inside the block gets these bytes."""
    key = str(Path(path).resolve())
    data, digest = _read_hashed(path)
    outer = key in _HELD
    _HELD[key] = data
    try:
        yield data, digest
    finally:
        if not outer:
            _HELD.pop(key, None)


def reads_since(before: dict[str, tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """The reads this process recorded that are not in ``before`` (a copy of them taken earlier
    with :func:`reads_so_far`): what a helper process sends back with its result."""
    return {k: v for k, v in _READ.items() if before.get(k) != v}


def reads_so_far() -> dict[str, tuple[str, int]]:
    return dict(_READ)


def adopt_reads(reads: dict[str, tuple[str, int]]) -> None:
    """Record reads a helper process made for this one (already in the input log: not logged
    again), so that provenance names the hash of the bytes it parsed (:func:`parsed_hash`)."""
    _READ.update(reads)


def parsed_hash(path: str | Path) -> tuple[str, int] | None:
    """(sha256, size) of the bytes of ``path`` this process last parsed, or None."""
    return _READ.get(str(Path(path).resolve()))


def stat_key(st: os.stat_result) -> list[int]:
    """What says a file is unchanged without reading it: size, modification and change times,
    inode (the change time catches a rewrite that kept size and modification time)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file; remembered per path and :func:`stat_key`, so a run hashes each file once."""
    key = (str(Path(path).resolve()), *stat_key(os.stat(path)))
    if key not in _HASHES:
        _HASHES[key] = _sha256(path, chunk)
    return _HASHES[key]


def _sha256(path: str | Path, chunk: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


_CODE_VERSION: str | None = None
_UMASK = os.umask(0)
os.umask(_UMASK)


def code_version() -> str:
    """Package version plus the git commit (and '+dirty') when run from a checkout."""
    global _CODE_VERSION
    if _CODE_VERSION is None:
        version = __version__
        try:
            out = subprocess.run(
                ["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty"],
                capture_output=True,
                text=True,
                timeout=5,
            )
            if out.returncode == 0 and out.stdout.strip():
                version = f"{__version__}+{out.stdout.strip()}"
        except (OSError, subprocess.SubprocessError):
            pass  # not a git checkout (installed package): the package version alone is honest
        _CODE_VERSION = version
    return _CODE_VERSION


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process (or an absurd number): never touch its files
    return True


def _remove_orphans(folder: Path, prefix: str, suffix: str = "") -> None:
    """Remove ``<prefix><pid>.<rest><suffix>`` / ``<prefix><pid>-<rest>`` entries of ``folder``
    left by a process that no longer exists (a killed run)."""
    if not folder.is_dir():
        return
    for p in folder.iterdir():
        name = p.name
        if not (name.startswith(prefix) and name.endswith(suffix)):
            continue
        head = name[len(prefix) :].split(".", 1)[0].split("-", 1)[0]
        if not head.isdigit() or int(head) == os.getpid() or _pid_alive(int(head)):
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def remove_orphans(target: str | Path) -> None:
    """Remove the temporary copies of ``target`` (``.<name>.<pid>.<random>.part``) left by
    processes that no longer exist."""
    target = Path(target)
    _remove_orphans(target.parent, f".{target.name}.", ".part")


def remove_stale_parts(folder: str | Path) -> None:
    """Remove the hidden ``.<name>.<pid>.<random>.part`` files under ``folder`` (sub-folders
    such as the parse cache included) left by killed processes (what :func:`atomic_path`
    removes target by target, for a whole folder)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for p in folder.rglob(".*.part"):
        m = re.fullmatch(r"\.(.+)\.(\d+)\.[^.]+\.part", p.name)
        if m and int(m.group(2)) != os.getpid() and not _pid_alive(int(m.group(2))):
            p.unlink(missing_ok=True)


def remove_stale_staging(out_dir: str | Path) -> None:
    """Remove the staging folders of ``out_dir`` left by killed runs (see ReportStage)."""
    out_dir = Path(out_dir)
    _remove_orphans(out_dir.parent, f".staging-{out_dir.name}-")


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it into place only on success.

    The temporary file is hidden and named ``.<name>.<pid>.<random>.part``; leftovers of a
    killed process for the same target are removed first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp creates 0600; outputs are shared files
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(target: str | Path, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(target: str | Path, obj) -> Path:
    return write_text(
        target, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False, default=_json_default) + "\n"
    )


def _json_default(o):
    if isinstance(o, datetime):  # pd.Timestamp too
        return o.isoformat()
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def input_record(path: str | Path, base: Path | None = None) -> dict:
    """Provenance of one input: its path, and the SHA-256 and size of the bytes this process
    parsed (:func:`read_input`), or of the file now when it was not parsed here."""
    p = Path(path)
    name = str(p.resolve().relative_to(base)) if base and p.resolve().is_relative_to(base) else p.name
    parsed = parsed_hash(p)
    if parsed is not None:
        return {"path": name, "sha256": parsed[0], "bytes": parsed[1]}
    return {"path": name, "sha256": sha256_file(p), "bytes": p.stat().st_size}


def parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed Python values are written as text (the frame itself when
    there is none: no copy of the classified dossiers, 0,02–0,15 s at 1M)."""
    objects = [c for c in df.columns if df[c].dtype == object]
    if not objects:
        return df
    out = df.copy()
    for c in objects:
        out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
    return out


PARQUET_PIECE_ROWS = 1 << 20  # pyarrow's default row group: a piece is one row group


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """``df.to_parquet(path, index=False)``, converted to Arrow one row group's worth of rows at
    a time: the file reads back as the same frame, and writing ten million classified dossiers
    holds a quarter of a gigabyte of Arrow copy at a time instead of their whole copy
    (measured: 1,2 GB). A frame with a column of Python objects (a piece's types could differ
    from the first piece's) or a column name that is not text is converted whole."""
    whole = any(str(t) == "object" for t in df.dtypes) or not all(isinstance(c, str) for c in df.columns)
    if len(df) <= PARQUET_PIECE_ROWS or whole:
        df.to_parquet(path, index=False)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = pa.Table.from_pandas(df.iloc[:PARQUET_PIECE_ROWS], preserve_index=False)
    with pq.ParquetWriter(path, first.schema) as writer:
        writer.write_table(first, row_group_size=PARQUET_PIECE_ROWS)
        del first
        for start in range(PARQUET_PIECE_ROWS, len(df), PARQUET_PIECE_ROWS):
            piece = df.iloc[start : start + PARQUET_PIECE_ROWS]
            writer.write_table(
                pa.Table.from_pandas(piece, schema=writer.schema, preserve_index=False),
                row_group_size=PARQUET_PIECE_ROWS,
            )


def write_table(
    df: pd.DataFrame | None,
    target: str | Path,
    *,
    inputs: list[str | Path] = (),
    params: dict | None = None,
    base: Path | None = None,
    encoded=None,
) -> Path:
    """Write ``df`` to Parquet atomically with a provenance sidecar next to it.

    Text columns are scrubbed of phones, e-mails, ID numbers and street addresses on the way
    (``parlib.core.text.scrub_frame``; the readers already did, this is a second net).
    The sidecar ``<stem>.provenance.json`` holds: table, rows, columns, inputs (path,
    sha256, bytes), params, code_version, created_at. ``encoded``: a
    :class:`parlib.core.background.BackgroundTable` of ``df`` (or ``StreamedTable``; ``df`` may
    then be None: a table never held whole) for this target, whose file is published instead of
    encoding ``df`` here.
    """
    target = staged_target(Path(target))  # inside a report run: its processed staging folder
    if df is None and encoded is None:
        raise ValueError(f"{target.name}: no frame and no encoded table to write")
    if encoded is not None:
        tmp, rows, columns = encoded.result(target)
        if df is not None and (rows != len(df) or columns != [str(c) for c in df.columns]):
            encoded.discard()
            raise ValueError(
                f"{target.name}: the encoded table is not this frame ({rows} rows, {len(df)} given)"
            )
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; outputs are shared files
        os.replace(tmp, target)
    else:
        from parlib.core.text import scrub_frame

        df = scrub_frame(df)  # the readers scrub every text column; this is the last net before disk
        with atomic_path(target) as tmp:
            write_parquet(df, tmp)
        rows, columns = int(len(df)), [str(c) for c in df.columns]
    sidecar = {
        "table": target.stem,
        "rows": rows,
        "columns": columns,
        "inputs": [input_record(p, base) for p in inputs],
        "params": params or {},
        "code_version": code_version(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_json(target.with_name(target.stem + ".provenance.json"), sidecar)
    return target


# ---------------------------------------------------------------- staging and commit

PROCESSED_STAGE_ENV = "PARLIB_PROCESSED_STAGE"
KILL_ENV = "PARLIB_KILL_AT"


def kill_point(name: str) -> None:
    """Fault injection for the kill tests: SIGKILL this process at the named point of a commit
    (``staged``, ``journal``, ``half``, ``moved``) when ``PARLIB_KILL_AT`` names it."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def processed_stage_env(processed: Path, staging: Path) -> str:
    """The value of ``PARLIB_PROCESSED_STAGE`` that sends the processed tables written under
    ``processed`` to ``staging`` (see :func:`staged_target`)."""
    return json.dumps([str(Path(processed).resolve()), str(Path(staging).resolve())])


def staged_target(target: Path) -> Path:
    """Where :func:`write_table` writes ``target``: itself, or — while a report is rendered and
    ``target`` is under the processed folder the renderer named in ``PARLIB_PROCESSED_STAGE`` —
    the same relative place in the run's processed staging folder, published with the report."""
    spec = os.environ.get(PROCESSED_STAGE_ENV)
    if not spec:
        return target
    try:
        processed, staging = json.loads(spec)
        rel = target.resolve().relative_to(Path(processed))
    except (ValueError, TypeError):
        return target  # not a processed table (or a malformed variable): written in place
    return Path(staging) / rel


def commit_moves(moves: list[tuple[Path, Path]], journal_dir: str | Path) -> None:
    """Move every (staged, final) pair into place as one step that a kill cannot leave half done
    for parlib: the list is written to a journal (``.commit-<pid>-<random>.json`` in
    ``journal_dir``, atomically), the files are moved, the journal is removed. A kill between the
    first and the last move leaves the journal; :func:`recover_commits` (run before anything
    else by the next report run) completes the moves."""
    journal = Path(journal_dir) / f".commit-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
    write_json(journal, {"moves": [[str(s), str(d)] for s, d in moves]})
    kill_point("journal")
    _apply_moves(moves, inject=True)
    kill_point("moved")
    journal.unlink()


def _apply_moves(moves, *, inject: bool = False) -> None:
    for i, (src, dst) in enumerate(moves):
        if inject and i == len(moves) // 2:
            kill_point("half")
        src, dst = Path(src), Path(dst)
        if src.exists():  # already moved by the interrupted commit otherwise
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)


def recover_commits(journal_dir: str | Path) -> int:
    """Complete the commits that killed processes left half done (their journals); returns how
    many. A journal is written atomically, so it is either whole or absent."""
    folder = Path(journal_dir)
    done = 0
    if not folder.is_dir():
        return done
    for journal in sorted(folder.glob(".commit-*.json")):
        head = journal.name.removeprefix(".commit-").split("-", 1)[0]
        if not head.isdigit() or int(head) == os.getpid() or _pid_alive(int(head)):
            continue
        try:
            moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours to interpret: leave it for a person to look at
        _apply_moves(moves)
        journal.unlink(missing_ok=True)
        done += 1
    return done


class ReportStage:
    """Stage a run's report files and publish them together.

    >>> with ReportStage(out_dir) as stage:      # doctest: +SKIP
    ...     stage.path("annual_2026.html").write_text(html)
    On normal exit every staged file — and every pair added with :meth:`publish_with` (the run's
    processed tables) — is moved into place by :func:`commit_moves` (journal in ``journal_dir``,
    default the parent of ``out_dir``; the manifest last); on an exception the staging folder is
    removed and nothing is touched. On entry, commits of killed runs are completed and their
    staging folders (their process id is in the name) removed.
    """

    def __init__(self, out_dir: str | Path, *, journal_dir: str | Path | None = None):
        self.out_dir = Path(out_dir)
        self.journal_dir = Path(journal_dir) if journal_dir is not None else self.out_dir.parent
        self.staging = (
            self.out_dir.parent / f".staging-{self.out_dir.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )
        self.moves: list[tuple[Path, Path]] = []

    def __enter__(self) -> "ReportStage":
        recover_commits(self.journal_dir)
        remove_stale_staging(self.out_dir)
        self.staging.mkdir(parents=True, exist_ok=False)
        return self

    def path(self, name: str) -> Path:
        return self.staging / name

    def publish_with(self, staged: Path, final: Path) -> None:
        """Publish ``staged`` as ``final`` in the same commit as the report."""
        self.moves.append((Path(staged), Path(final)))

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                files = sorted(
                    self.staging.iterdir(), key=lambda f: (f.name.endswith(".manifest.json"), f.name)
                )
                kill_point("staged")
                commit_moves(self.moves + [(f, self.out_dir / f.name) for f in files], self.journal_dir)
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
        return False
