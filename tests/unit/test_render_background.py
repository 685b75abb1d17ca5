"""The command line's child on the second core (parlib.report.second_core.SecondCore): the HTML
export's preparation waits for its warm-up only, not for the charts it then draws; ``stop``
always returns and leaves no folder, whatever the child did; without a socket the report goes
on with every chart drawn in the kernel."""

import os
import signal
import socket
import struct
import time

from parlib.report import charts
from parlib.report.second_core import SecondCore


def _warm():
    time.sleep(0.3)


def test_join_returns_at_the_end_of_the_warm_up_and_stop_ends_the_child():
    bg = SecondCore(_warm)
    t = time.monotonic()
    bg.join()
    assert time.monotonic() - t < 5
    assert bg.worker.is_alive(), "the child goes on serving charts after its warm-up"
    assert bg.address and os.path.exists(bg.address)
    folder = bg.charts_dir
    bg.stop()
    assert not bg.worker.is_alive() and bg.worker.exitcode == 0 and bg.error is None
    assert not os.path.exists(folder)


def test_without_a_socket_the_warm_up_still_runs_and_nothing_is_left(monkeypatch, tmp_path):
    for error in (OSError("AF_UNIX path too long"), AttributeError("no AF_UNIX")):
        made = []

        def no_socket(directory, error=error):
            made.append(directory)
            raise error

        monkeypatch.setattr(charts, "listener", no_socket)
        done = tmp_path / "warmed"
        bg = SecondCore(lambda done=done: done.write_text("ok", encoding="utf-8"))
        assert bg.address == ""
        bg.join()
        bg.stop()
        assert done.read_text(encoding="utf-8") == "ok"
        assert bg.worker.exitcode == 0 and bg.error is None
        assert made and not os.path.exists(made[0])
        done.unlink()


def _failing_warm():
    raise RuntimeError("tệp hỏng")


def test_a_failed_warm_up_is_logged_and_the_child_still_stops(capsys):
    bg = SecondCore(_failing_warm)
    bg.join()
    bg.stop()
    assert bg.worker.exitcode == 1
    assert "Đọc trước dữ liệu song song bị lỗi" in capsys.readouterr().err


def _interrupted_warm():
    raise KeyboardInterrupt


def test_an_interrupted_child_ends_quietly(capsys):
    bg = SecondCore(_interrupted_warm)
    folder = bg.charts_dir
    bg.stop()
    assert bg.worker.exitcode == 130
    assert "lỗi" not in capsys.readouterr().err  # Ctrl-C is not a failure of the child
    assert not os.path.exists(folder)


def test_a_child_killed_while_drawing_says_the_charts_were_drawn_in_the_notebook(capsys):
    bg = SecondCore(_warm)
    bg.join()
    os.kill(bg.worker.pid, signal.SIGKILL)
    bg.stop()
    err = capsys.readouterr().err
    assert "Vẽ trước biểu đồ song song bị lỗi" in err and "mã thoát -9" in err
    assert "Đọc trước dữ liệu" not in err


def test_a_request_the_child_cannot_read_ends_that_connection_not_the_child():
    bg = SecondCore(_warm)
    bg.join()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(bg.address)
        body = b"cno_such_module_here\nplot\n."  # a plot function this process cannot import
        s.sendall(struct.pack("!Q", len(body)) + body)
        time.sleep(0.3)
    t = time.monotonic()
    bg.stop()
    assert time.monotonic() - t < 5 and bg.worker.exitcode == 0


def test_the_folders_of_killed_command_lines_are_removed():
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    base = Path(tempfile.gettempdir())
    stale = base / f"parlib-charts-{dead_pid}-abc123"
    live = base / f"parlib-charts-{os.getppid()}-def456"  # a running process's folder: kept
    for folder in (stale, live):
        folder.mkdir(exist_ok=True)
        (folder / "charts.sock").write_text("", encoding="utf-8")
    try:
        bg = SecondCore(_warm)
        bg.stop()
        assert not stale.exists()
        assert live.exists()
    finally:
        for folder in (stale, live):
            if folder.exists():
                (folder / "charts.sock").unlink()
                folder.rmdir()
