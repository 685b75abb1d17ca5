"""Parsing several large raw files on two cores: this process and one helper process.

Parsing a quarterly export is mostly single-threaded (Python and pandas), so on a machine with
two cores or more a second process shortens a first parse of large exports (four CSV exports of
a million dossiers: about 7 s of parsing). Small inputs are parsed here only: starting the helper
costs about a second (a fresh interpreter importing pandas).

The helper is a fresh interpreter (``python -c``), not a ``multiprocessing`` child: it never
re-runs the caller's script or notebook, and nothing is forked from a process holding threads
(a Jupyter kernel, DuckDB). It inherits the environment, so the reads it makes are written to
the report's input log like this process's. Tasks and results go through its standard input and
output, pickled. The helper never decides a failure: a parse that raises there (a file with
problems, a bug, no memory) is parsed again here, so every error is raised and reported exactly
as without the helper.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Callable, TypeVar

from parlib.core.cache import STATS
from parlib.core.errors import ParlibError
from parlib.core.io import adopt_reads, reads_since, reads_so_far
from parlib.core.paths import PACKAGE_DIR

T = TypeVar("T")
R = TypeVar("R")

# the helper pays for itself when the files' estimated parse time reaches this (its start costs
# about 1 s); the estimate is size × the caller's seconds per MB of each format (measured)
MIN_SECONDS = 2.5
WORKERS_ENV = "PARLIB_PARSE_WORKERS"  # "1": never start the helper (one process parses all)
_SERVE = "from parlib.core.parallel import serve; serve()"


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _size(p: Path) -> int:
    """Size of ``p``; 0 when it cannot be read (missing, no permission): the parse of that file,
    here, raises the reader's own error."""
    try:
        return p.stat().st_size
    except OSError:
        return 0


def estimated_seconds(files: list[Path], seconds_per_mb: dict[str, float]) -> float:
    """Parse time of ``files`` estimated from their sizes: ``seconds_per_mb`` by lower-case
    suffix (``".csv"``); a suffix not listed takes the largest rate given."""
    fallback = max(seconds_per_mb.values(), default=0.0)
    return sum(_size(p) / 1e6 * seconds_per_mb.get(p.suffix.lower(), fallback) for p in files)


def _helper_wanted(files: list[Path], seconds_per_mb: dict[str, float], min_seconds: float) -> bool:
    if os.environ.get(WORKERS_ENV, "").strip() == "1" or len(files) < 2 or usable_cores() < 2:
        return False
    return estimated_seconds(files, seconds_per_mb) >= min_seconds


def parse_on_two_cores(
    files: list[Path],
    here: Callable[[Path], R],
    there: Callable[[Path], T],
    adopt: Callable[[Path, T], R] | None = None,
    *,
    seconds_per_mb: dict[str, float],
    min_seconds: float | None = None,
) -> dict[Path, R]:
    """``{file: here(file)}`` for every file, the work shared with a helper process.

    ``here(p)`` parses in this process (an exception propagates as in a plain loop);
    ``there(p)`` is what the helper runs — a module-level function (or a partial of one) with
    picklable arguments and result; ``adopt(p, result)`` turns its result into what ``here(p)``
    returns (default: the result as it is). This process takes the files largest first, the helper smallest first, one at a
    time, until none is left. Without two cores, with fewer than two files or an estimated parse
    time (:func:`estimated_seconds`) under ``min_seconds`` (default :data:`MIN_SECONDS`), every
    file is parsed here, in order.
    """
    files = list(files)
    if not _helper_wanted(files, seconds_per_mb, MIN_SECONDS if min_seconds is None else min_seconds):
        return {p: here(p) for p in files}
    todo = deque(sorted(files, key=lambda p: (-_size(p), str(p))))
    lock = threading.Lock()
    helper = _Helper(there, todo, lock)
    helper.start()
    out: dict[Path, R] = {}
    p = None
    try:
        while True:
            with lock:
                if not todo:
                    break
                p = todo.popleft()
            out[p] = here(p)
    except Exception:
        _stop(helper, todo, lock)
        # as one loop would: an earlier file's error (in the order given) is the one raised
        for q in files:
            if q == p:
                break
            if q not in out and q not in helper.results:
                here(q)
        raise
    except BaseException:  # an interrupt: the helper finishes its file and takes no other
        _stop(helper, todo, lock)
        raise
    helper.join()
    for q, (result, reads, stats) in helper.results.items():
        adopt_reads(reads)
        for k, v in stats.items():
            STATS[k] = STATS.get(k, 0) + v
        out[q] = result if adopt is None else adopt(q, result)
    for q in files:  # what the helper could not parse (reason printed by it) is parsed here
        if q not in out:
            out[q] = here(q)
    return {q: out[q] for q in files}


def parse_in_order(
    files: list[Path],
    here: Callable[[Path], R],
    there: Callable[[Path], R],
    *,
    seconds_per_mb: dict[str, float],
    cheap: Callable[[Path], bool] | None = None,
) -> list[R]:
    """``[here(p) for p in files]``, the large files parsed on two cores
    (:func:`parse_on_two_cores`; ``there`` returns what ``here`` returns). A file ``cheap`` says
    is cheap to read here (e.g. its parsed copy is in the parse cache) is never sent to the helper."""
    fresh = [p for p in dict.fromkeys(files) if cheap is None or not cheap(p)]
    done = parse_on_two_cores(fresh, here, there, seconds_per_mb=seconds_per_mb)
    return [done[p] if p in done else here(p) for p in files]


def _stop(helper: "_Helper", todo: deque, lock: threading.Lock) -> None:
    """No further file for the helper; wait until it has finished the one it has."""
    with lock:
        todo.clear()
    helper.join()


class _Helper(threading.Thread):
    """Feeds the helper process one file at a time from the small end of ``todo``."""

    def __init__(self, there: Callable, todo: deque, lock: threading.Lock):
        super().__init__(daemon=True)
        self.there, self.todo, self.lock = there, todo, lock
        self.results: dict[Path, object] = {}

    def run(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent), env.get("PYTHONPATH")]))
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        finished = False
        try:
            while True:
                with self.lock:
                    if not self.todo:
                        break
                    p = self.todo.pop()
                pickle.dump((self.there, p), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                proc.stdin.flush()
                ok, value, reads, stats = pickle.load(proc.stdout)
                if ok:
                    self.results[p] = (value, reads, stats)
                # else: printed by the helper; ``p`` is parsed again by the caller
            finished = True
        except Exception as exc:  # noqa: BLE001 - reported; the file it had is parsed again by the caller
            # the helper died (killed, out of memory) or its result could not be read back
            print(
                f"parlib: tiến trình phụ đọc tệp đã dừng ({type(exc).__name__}); tệp đọc lại ở tiến trình chính",
                file=sys.stderr,
            )
        finally:
            if not finished:  # it may be blocked writing a result nobody reads: never wait on it
                proc.kill()
            if proc.stdin:
                try:
                    proc.stdin.close()
                except OSError as exc:  # its end is gone already (killed): nothing left to flush
                    print(f"parlib: đóng kênh tiến trình phụ: {type(exc).__name__}", file=sys.stderr)
            proc.wait()
            if proc.stdout:
                proc.stdout.close()


def serve() -> None:
    """The helper process: ``(function, argument)`` pairs from standard input; to standard output
    ``(True, result, reads, stats)`` or ``(False, reason, {}, {})`` — ``reads``: the raw files the
    call read and their hashes (core.io), ``stats``: the parse cache's counts it added — until
    standard input ends. Interrupts are the caller's: it closes standard input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the results go to the original standard output; anything a parse prints — from Python or
    # from a library writing to descriptor 1 — goes to standard error instead
    sys.stdout.flush()
    stdout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    while True:
        try:
            fn, arg = pickle.load(stdin)
        except EOFError:
            return
        before, stats = reads_so_far(), dict(STATS)
        try:
            value = fn(arg)
            counts = {k: v - stats.get(k, 0) for k, v in STATS.items() if v != stats.get(k, 0)}
            reply = (True, value, reads_since(before), counts)
        except ParlibError:  # a file with problems: the caller parses it again and reports them
            reply = (False, "problems", {}, {})
        except Exception as exc:  # noqa: BLE001 - the caller parses the file itself and raises
            print(
                f"parlib: tiến trình phụ không đọc được {arg}: {type(exc).__name__}: {exc}", file=sys.stderr
            )
            reply = (False, f"{type(exc).__name__}", {}, {})
        pickle.dump(reply, stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()
