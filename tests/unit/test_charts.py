"""Charts drawn ahead on the second core (parlib.report.charts): the same bytes as drawn in the
kernel, drawn in the kernel whenever the child cannot (absent, failing, not started yet), and a
child that always stops when told to."""

import multiprocessing
import os
import socket
import time

import numpy as np
import pandas as pd
import pytest

from parlib.report import charts as C

FORK = multiprocessing.get_context("fork")


def line_chart(values: pd.Series, title: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.plot(values.index, values.to_numpy(), marker="o")
    ax.set_title(title)  # Vietnamese text: the glyphs of DejaVu Sans
    return fig


def failing_chart(message: str):
    raise ValueError(message)


def pid_chart(path: str, title: str):
    """A chart that notes which process drew it (one line per drawing)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{os.getpid()} {title}\n")
    return line_chart(pd.Series([1.0, 2.0]), title)


def slow_chart(seconds: float, title: str):
    time.sleep(seconds)
    return line_chart(pd.Series([3.0, 1.0]), title)


@pytest.fixture(autouse=True)
def _style_and_no_child(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    C.apply_style()
    monkeypatch.delenv(C.CHART_SOCKET_ENV, raising=False)
    yield
    if C._AHEAD is not None:
        C._AHEAD.close()
    C._AHEAD = None


@pytest.fixture
def child(tmp_path, monkeypatch):
    """A child serving charts, forked as the command line forks it; stopped and joined after."""
    sock, address = C.listener(str(tmp_path))
    proc = FORK.Process(target=C.serve, args=(sock,), daemon=True)
    proc.start()
    sock.close()
    monkeypatch.setenv(C.CHART_SOCKET_ENV, address)
    yield proc, address
    if C._AHEAD is not None:  # the kernel ends before the command line stops the child
        C._AHEAD.close()
    C.stop(address)
    proc.join(10)
    assert proc.exitcode == 0, "the child did not stop when told to"


def charts():
    s = pd.Series(np.arange(6.0) ** 1.5, index=range(1, 7))
    return [
        C.Chart(line_chart, (s, "Tỷ lệ hồ sơ đúng hạn")),
        C.Chart(line_chart, (s * 2, "Tỷ lệ xin lỗi")),
        C.Chart(line_chart, (s[::-1], "Hài lòng")),
    ]


def test_key_follows_the_function_and_arguments():
    a, b, c = charts()
    assert a.key() == C.Chart(line_chart, (a.args[0].copy(), a.args[1])).key()
    assert len({a.key(), b.key(), c.key()}) == 3
    assert C.Chart(failing_chart, ("x",)).key() != C.Chart(line_chart, ("x",)).key()


def test_without_a_child_every_chart_is_drawn_here():
    drawn = C.chart_pngs(charts())
    assert drawn == [C.png_bytes(c.figure()) for c in charts()]
    assert all(p.startswith(b"\x89PNG") for p in drawn)
    C.draw_ahead(charts())  # no socket in the environment: nothing to connect to
    assert C._AHEAD is None


def test_the_child_draws_the_same_bytes(child):
    local = [C.png_bytes(c.figure()) for c in charts()]
    C.draw_ahead(charts())
    assert C._AHEAD is not None
    deadline = time.monotonic() + 20
    while len(C._AHEAD.pngs) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(C._AHEAD.pngs) == 3, "the child drew every chart announced"
    assert C.chart_pngs(charts()) == local


def test_a_chart_the_child_cannot_draw_is_drawn_here_and_raises_here(child):
    bad = C.Chart(failing_chart, ("không vẽ được",))
    C.draw_ahead([bad, *charts()])
    with pytest.raises(ValueError, match="không vẽ được"):
        C.chart_pngs([bad])
    assert C.chart_pngs(charts()) == [C.png_bytes(c.figure()) for c in charts()]


def test_arguments_changed_since_announced_are_drawn_here(child):
    first = charts()
    C.draw_ahead(first)
    changed = C.Chart(line_chart, (first[0].args[0] + 1, first[0].args[1]))
    assert C.chart_pngs([changed]) == [C.png_bytes(changed.figure())]


def test_charts_not_started_are_drawn_here_and_skipped_there(child, tmp_path):
    log = tmp_path / "drawn.txt"
    slow = C.Chart(slow_chart, (1.0, "chậm"))
    later = [C.Chart(pid_chart, (str(log), f"biểu đồ {i}")) for i in range(3)]
    C.draw_ahead([slow, *later])
    deadline = time.monotonic() + 10
    while slow.key() not in C._AHEAD.started and time.monotonic() < deadline:
        time.sleep(0.01)
    # the child is drawing the slow chart: the three others are drawn here meanwhile
    got = C.chart_pngs([*later, slow])
    assert got[:3] == [C.png_bytes(c.figure()) for c in later]
    assert got[3] == C.png_bytes(slow.figure())
    time.sleep(0.5)  # were the skipped charts drawn in the child too, they would be by now
    drawers = [line.split()[0] for line in log.read_text(encoding="utf-8").splitlines()]
    assert drawers and set(drawers) == {str(os.getpid())}, "a chart drawn here was drawn there too"


def test_the_child_stops_without_any_kernel(tmp_path):
    sock, address = C.listener(str(tmp_path))
    proc = FORK.Process(target=C.serve, args=(sock,), daemon=True)
    proc.start()
    sock.close()
    C.stop(address)
    proc.join(10)
    assert proc.exitcode == 0


def test_the_child_stops_after_a_kernel_that_went_away_or_sent_garbage(tmp_path):
    sock, address = C.listener(str(tmp_path))
    proc = FORK.Process(target=C.serve, args=(sock,), daemon=True)
    proc.start()
    sock.close()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:  # a kernel that goes away
        s.connect(address)
        C._send_frame(s, (charts()[0].key(), line_chart, charts()[0].args, {}))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:  # bytes that are no message
        s.connect(address)
        s.sendall(b"\x00\x00\x00\x00\x00\x00\x00\x05abcde")
    C.stop(address)
    proc.join(10)
    assert proc.exitcode == 0


def test_stop_without_a_child_does_nothing(tmp_path):
    C.stop(str(tmp_path / "none.sock"))  # no error: nothing listens there


def warning_chart(title: str):
    import warnings

    warnings.warn("a chart that warns", UserWarning, stacklevel=1)
    return line_chart(pd.Series([1.0, 3.0]), title)


def _late_serve(sock, seconds):
    time.sleep(seconds)  # the command line's child fills the parse cache first
    C.serve(sock)


def test_a_chart_that_warns_in_the_child_is_drawn_here_and_warns_here(child):
    chart = C.Chart(warning_chart, ("cảnh báo",))
    C.draw_ahead([chart])
    deadline = time.monotonic() + 10
    while chart.key() not in C._AHEAD.pngs and time.monotonic() < deadline:
        time.sleep(0.02)
    assert C._AHEAD.pngs.get(chart.key(), b"x") is None  # the child declined it
    with pytest.warns(UserWarning, match="a chart that warns"):
        assert C.chart_pngs([chart]) == [C.png_bytes(chart.figure())]


def test_a_new_announcement_ends_the_previous_connection_and_is_served(child):
    first = charts()
    C.draw_ahead([C.Chart(slow_chart, (0.5, "chậm")), *first])
    time.sleep(0.1)
    again = [C.Chart(line_chart, (pd.Series([5.0, 6.0]), "lần hai"))]
    C.draw_ahead(again)  # the first connection ended while its reading thread waited on it
    deadline = time.monotonic() + 15
    while again[0].key() not in C._AHEAD.pngs and time.monotonic() < deadline:
        time.sleep(0.02)
    assert C._AHEAD.pngs.get(again[0].key()) == C.png_bytes(again[0].figure())


def test_a_section_never_waits_for_a_child_still_filling_the_cache(tmp_path, monkeypatch):
    sock, address = C.listener(str(tmp_path))
    proc = FORK.Process(target=_late_serve, args=(sock, 4.0), daemon=True)
    proc.start()
    sock.close()
    monkeypatch.setenv(C.CHART_SOCKET_ENV, address)
    big = C.Chart(line_chart, (pd.Series(np.arange(300_000.0)), "lớn"))  # ≈ 2.4 MB to send
    small = C.Chart(line_chart, (pd.Series([1.0, 2.0]), "nhỏ"))
    try:
        C.draw_ahead([big, small])
        t = time.monotonic()
        assert C.chart_pngs([small]) == [C.png_bytes(small.figure())]
        assert time.monotonic() - t < 2.0, "the section waited for the child"
    finally:
        C._AHEAD.close()
        C._AHEAD = None
        C.stop(address)
        proc.join(20)
    assert proc.exitcode == 0


def test_ending_a_connection_is_seen_at_once_even_while_a_thread_reads_it():
    """Closing a socket another thread is blocked reading keeps the connection open on Linux:
    the child would wait on it forever and never see ``stop``. Shut down first."""
    import threading

    ours, theirs = socket.socketpair()
    reader = threading.Thread(target=ours.recv, args=(1,), daemon=True)
    reader.start()
    time.sleep(0.1)  # the reader is blocked in recv
    C._shut(ours)
    theirs.settimeout(2)
    assert theirs.recv(1) == b"", "the other end did not see the connection end"
    reader.join(2)
    theirs.close()


def titled_chart(values: pd.Series, title_of):
    return line_chart(values, title_of())


def test_a_chart_whose_arguments_cannot_be_pickled_is_drawn_here(child):
    bad = C.Chart(titled_chart, (pd.Series([1.0, 2.0]), lambda: "tiêu đề"))  # a lambda: not picklable
    ok = charts()
    C.draw_ahead([bad, *ok])  # that chart alone is not announced
    assert C._AHEAD is not None and len(C._AHEAD.requests) == len(ok)
    assert C.chart_pngs([bad, *ok]) == [C.png_bytes(c.figure()) for c in [bad, *ok]]
