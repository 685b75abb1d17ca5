"""Atomic output writing, checksums and provenance.

* Every output is written to a temporary file in the same folder and moved into place
  with ``os.replace``, so a failed or killed run never leaves a half-written file.
* Processed tables are Parquet with a JSON *provenance sidecar* (``<name>.provenance.json``)
  recording inputs and their SHA-256, parameters, code version and row count.
* ``ReportStage`` collects a run's report files in a hidden staging folder and publishes
  them together at the end; on failure nothing is published and the previous report stays.
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
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd

from parlib import __version__
from parlib.core.paths import PROJECT_ROOT

_HASHES: dict[tuple, str] = {}


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file; remembered per (path, size, mtime) so a run hashes each input once."""
    st = os.stat(path)
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
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
    _remove_orphans(target.parent, f".{target.name}.", ".part")
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
    if isinstance(o, (pd.Timestamp, datetime)):
        return o.isoformat()
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def input_record(path: str | Path, base: Path | None = None) -> dict:
    p = Path(path)
    name = str(p.resolve().relative_to(base)) if base and p.resolve().is_relative_to(base) else p.name
    return {"path": name, "sha256": sha256_file(p), "bytes": p.stat().st_size}


def write_table(
    df: pd.DataFrame,
    target: str | Path,
    *,
    inputs: list[str | Path] = (),
    params: dict | None = None,
    base: Path | None = None,
) -> Path:
    """Write ``df`` to Parquet atomically with a provenance sidecar next to it.

    The sidecar ``<stem>.provenance.json`` holds: table, rows, columns, inputs (path,
    sha256, bytes), params, code_version, created_at.
    """
    target = Path(target)
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False)
    sidecar = {
        "table": target.stem,
        "rows": int(len(df)),
        "columns": [str(c) for c in df.columns],
        "inputs": [input_record(p, base) for p in inputs],
        "params": params or {},
        "code_version": code_version(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_json(target.with_name(target.stem + ".provenance.json"), sidecar)
    return target


class ReportStage:
    """Stage a run's report files and publish them together.

    >>> with ReportStage(out_dir) as stage:      # doctest: +SKIP
    ...     stage.path("annual_2026.html").write_text(html)
    On normal exit every staged file is moved into ``out_dir`` (each with os.replace);
    on an exception the staging folder is removed and ``out_dir`` is left untouched.
    Staging folders of killed runs (their process id is in the name) are removed on entry.
    """

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)
        self.staging = (
            self.out_dir.parent / f".staging-{self.out_dir.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )

    def __enter__(self) -> "ReportStage":
        remove_stale_staging(self.out_dir)
        self.staging.mkdir(parents=True, exist_ok=False)
        return self

    def path(self, name: str) -> Path:
        return self.staging / name

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                for f in sorted(self.staging.iterdir()):
                    os.replace(f, self.out_dir / f.name)
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
        return False
