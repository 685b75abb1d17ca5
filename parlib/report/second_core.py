"""The command line's child process on the second core: it fills the parse cache while the
notebook's kernel starts, then draws the charts the notebook announces
(:mod:`parlib.report.charts`) until the notebook has run.

It is forked before the command line starts any thread (a thread where fork is unavailable): it
runs without holding the GIL, and the memory it used is returned when it exits. It never decides
anything: whatever it does not do (a file it could not parse, a chart it did not draw) the
notebook does itself, and raises what it raises. :meth:`SecondCore.stop` always returns — the
child told to stop, waited for while it fills the cache (the kernel may still read those files),
then at most :data:`SecondCore.STOP_WAIT_S` and ended — and leaves no folder behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

from parlib.core.log import progress as log
from parlib.report import charts


class SecondCore:
    """``warm()`` then the charts, in a forked child (see the module docstring)."""

    STOP_WAIT_S = 15.0  # once the child only draws, how long it may take to stop when told

    def __init__(self, warm):
        import multiprocessing

        self.error: str | None = None
        self.charts_dir: str | None = None
        self.address, listening = "", None
        _remove_stale_dirs()
        try:
            self.charts_dir = tempfile.mkdtemp(prefix=f"{_DIR_PREFIX}{os.getpid()}-")
            listening, self.address = charts.listener(self.charts_dir)
        except (OSError, AttributeError):  # no Unix socket here (a path too long, no AF_UNIX)
            self._remove_dir()  # every chart is drawn in the kernel
            self.address, listening = "", None
        self.forked = "fork" in multiprocessing.get_all_start_methods()
        try:
            # warmed: the warm-up is over (the HTML export's preparation may start); warm_ok: it
            # succeeded (a later failure is one of drawing the charts, not of reading the files)
            if self.forked:
                context = multiprocessing.get_context("fork")
                self.warmed, self.warm_ok = context.Event(), context.Event()
                self.worker = context.Process(
                    target=_child,
                    args=(warm, listening, self.warmed, self.warm_ok),
                    name="parlib-warm",
                    daemon=True,
                )
            else:
                self.warmed, self.warm_ok = threading.Event(), threading.Event()
                self.worker = threading.Thread(
                    target=self._run, args=(warm, listening), name="parlib-warm", daemon=True
                )
            self.worker.start()
        except BaseException:
            if listening is not None:
                listening.close()
            self._remove_dir()
            raise
        self._listening = listening
        if self.forked and listening is not None:
            listening.close()  # the child holds it

    def _run(self, warm, listening) -> None:
        try:
            _warm_then_serve(warm, listening, self.warmed, self.warm_ok)
        except Exception as exc:  # reported by stop()
            self.error = f"{type(exc).__name__}: {exc}"

    def _ended(self, timeout: float = 0) -> bool:
        """Whether the child has ended (a process: its sentinel, so that it is never reaped by
        another thread than the one that joins it)."""
        if self.forked:
            from multiprocessing.connection import wait

            return bool(wait([self.worker.sentinel], timeout))
        self.worker.join(timeout)
        return not self.worker.is_alive()

    def join(self) -> None:
        """Wait for the end of the warm-up (or of the child): what the HTML export's preparation
        waits for before it takes the second core."""
        while not self.warmed.wait(0.05):
            if self._ended():
                return

    def stop(self) -> None:
        """After the notebook: the child told to stop drawing; waited for while it fills the
        parse cache, then for at most :data:`STOP_WAIT_S`, then ended. A failure is logged
        (never hidden); an interrupt is not a failure."""
        try:
            if self.address:
                charts.stop(self.address)  # read by the child once it serves
            self.join()
            if not self._ended(self.STOP_WAIT_S) and self.forked:
                self.worker.terminate()
                self.error = self.error or "không dừng khi được yêu cầu"
            if self.forked:
                self.worker.join()
        finally:
            if self._listening is not None and not self.forked:
                self._listening.close()
            self._remove_dir()
        code = getattr(self.worker, "exitcode", 0)
        if code == _INTERRUPTED:
            return  # the child was interrupted with this process (Ctrl-C): nothing failed
        if code and self.error is None:
            self.error = f"mã thoát {code}"
        if self.error is None:
            return
        if self.warm_ok.is_set():
            log(f"  ! Vẽ trước biểu đồ song song bị lỗi ({self.error}); sổ phân tích đã tự vẽ các biểu đồ.")
        else:
            log(f"  ! Đọc trước dữ liệu song song bị lỗi ({self.error}); sổ phân tích đã tự đọc lại dữ liệu.")

    def _remove_dir(self) -> None:
        if self.charts_dir is not None:
            shutil.rmtree(self.charts_dir, ignore_errors=True)
            self.charts_dir = None


_INTERRUPTED = 130  # the child's exit status after an interrupt (Ctrl-C reaches the whole group)
_DIR_PREFIX = "parlib-charts-"  # + the command line's process id: /tmp/parlib-charts-<pid>-<random>


def _remove_stale_dirs() -> None:
    """The socket folders of command lines that ended without removing theirs (killed outright:
    nothing runs then), found by their process id no longer running."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_DIR_PREFIX}*"):
        pid = folder.name[len(_DIR_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # gone: its folder is a leftover
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # another user's process, running
            continue


def _child(warm, listening, warmed, warm_ok) -> None:
    """The forked child's whole life: an interrupt ends it quietly (the command line reports it)."""
    try:
        _warm_then_serve(warm, listening, warmed, warm_ok)
    except KeyboardInterrupt:
        os._exit(_INTERRUPTED)


def _warm_then_serve(warm, listening, warmed, warm_ok) -> None:
    """``warm()``, then (with a socket) draw the charts the notebook announces until told to stop
    (:func:`parlib.report.charts.serve`) — also after a failed warm-up, not after an interrupt."""
    try:
        warm()
    except Exception:
        warmed.set()
        if listening is not None:
            charts.serve(listening)
        raise
    warm_ok.set()
    warmed.set()
    if listening is not None:
        charts.serve(listening)
