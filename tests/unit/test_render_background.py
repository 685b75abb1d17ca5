"""The command line's child (parlib.report.render._Background): the HTML export's preparation
waits for its warm-up only, not for the charts it then draws; it stops when told, and without a
socket the report goes on with every chart drawn in the kernel."""

import os
import time

from parlib.report import charts
from parlib.report.render import _Background


def _warm():
    time.sleep(0.3)


def test_join_returns_at_the_end_of_the_warm_up_and_stop_ends_the_child():
    bg = _Background(_warm)
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
    made = []

    def no_socket(directory):
        made.append(directory)
        raise OSError("AF_UNIX path too long")

    monkeypatch.setattr(charts, "listener", no_socket)
    done = tmp_path / "warmed"
    bg = _Background(lambda: done.write_text("ok", encoding="utf-8"))
    assert bg.address == ""
    bg.join()
    bg.stop()
    assert done.read_text(encoding="utf-8") == "ok"
    assert bg.worker.exitcode == 0 and bg.error is None
    assert made and not os.path.exists(made[0])


def _failing_warm():
    raise RuntimeError("tệp hỏng")


def test_a_failed_warm_up_is_logged_and_the_child_still_stops(capsys):
    bg = _Background(_failing_warm)
    bg.join()
    bg.stop()
    assert bg.worker.exitcode == 1
    assert "Đọc trước dữ liệu song song bị lỗi" in capsys.readouterr().err
