"""Charts as descriptions, drawn in the kernel or ahead of time on the second core.

A :class:`Chart` is a plot function of :mod:`parlib.report.figures` and its arguments; a section
shows it with :func:`parlib.report.display.figures_row` or :func:`parlib.report.display.figure`,
and its picture is the PNG of the figure the function returns (:func:`png_bytes`).

Drawing a chart (text layout and rasterising: 0,1–0,2 s each) is most of what the quarterly
report's sections cost after the build, and the second core is idle then. So the quarterly
notebook announces its charts right after the build (:func:`draw_ahead`) and, when the command
line runs it, the child process that filled the parse cache while the kernel started draws them
(:func:`serve`) while the kernel computes the root causes and the first sections; a section then
takes the picture drawn, or waits for the one being drawn.

The child never decides anything: a chart it could not draw, a chart whose arguments changed
since it was announced, or no child at all (a notebook run in JupyterLab, the tests), and the
chart is drawn in the kernel, which raises what it raises. The pictures are the same bytes either
way: the same function, arguments and settings (:func:`apply_style`, used by both).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import queue
import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Callable

CHART_SOCKET_ENV = "PARLIB_CHART_SOCKET"  # the child's socket, in the kernel's environment
# PNG compression: level 3 gives smaller files than PIL's default (6) on these charts, in 15 %
# less time (the image is the same, pixel for pixel)
PNG_COMPRESS_LEVEL = 3
WAIT_S = 60.0  # the longest a section waits for a picture the child is drawing


@dataclass(frozen=True)
class Chart:
    """``plot(*args, **kwargs)``: a module-level function returning a matplotlib figure, with
    arguments that can be pickled (frames, texts, numbers)."""

    plot: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def figure(self):
        return self.plot(*self.args, **self.kwargs)

    def key(self) -> str:
        """The chart's identity: a digest of the function's name and of its pickled arguments."""
        blob = pickle.dumps((self.plot.__module__, self.plot.__qualname__, self.args, self.kwargs), 5)
        return hashlib.sha256(blob).hexdigest()


def apply_style() -> None:
    """The settings every chart is drawn with (the notebook's first cell and the child): DejaVu
    Sans, 110 dpi, figures saved as laid out (each lays itself out: cropping to a tight box would
    draw it twice), a missing glyph an error (a font without Vietnamese letters fails the run
    instead of printing boxes)."""
    import warnings

    import matplotlib

    matplotlib.rcParams["font.family"] = "DejaVu Sans"
    matplotlib.rcParams["figure.dpi"] = 110
    matplotlib.rcParams["savefig.bbox"] = "standard"
    warnings.filterwarnings("error", message=r".*Glyph .* missing from font.*")


def png_bytes(fig) -> bytes:
    """``fig`` as PNG (110 dpi, as laid out), closed."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=110, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    finally:
        plt.close(fig)
    return buf.getvalue()


def chart_pngs(charts: list[Chart]) -> list[bytes]:
    """The pictures of ``charts``. With charts announced (:func:`draw_ahead`): those the child
    has not started are drawn here first (it is told to skip them), while it finishes the ones
    it is drawing; then those are taken. Without: all drawn here."""
    ahead = _AHEAD
    if ahead is None:  # no child: nothing to look up (no argument pickled)
        return [png_bytes(c.figure()) for c in charts]
    keys = [_key(c) for c in charts]
    out: list[bytes | None] = [ahead.done_or_claim(k) if k is not None else None for k in keys]
    waiting = [i for i, png in enumerate(out) if png is _BEING_DRAWN]
    for i, png in enumerate(out):
        if png is None:
            out[i] = png_bytes(charts[i].figure())
    for i in waiting:
        png = ahead.wait(keys[i])
        out[i] = png if png is not None else png_bytes(charts[i].figure())
    return out


def _key(chart: Chart) -> str | None:
    """``chart.key()``; None for a chart whose arguments cannot be pickled (drawn here)."""
    try:
        return chart.key()
    except (pickle.PicklingError, TypeError, AttributeError):
        return None


# ---------------------------------------------------------------- the kernel's side

_AHEAD: "_Ahead | None" = None


def draw_ahead(charts: list[Chart]) -> None:
    """Ask the child of the command line (``PARLIB_CHART_SOCKET``) to draw ``charts`` while this
    process goes on; nothing when there is no such child or it cannot be reached."""
    global _AHEAD
    address = os.environ.get(CHART_SOCKET_ENV, "")
    if _AHEAD is not None:
        _AHEAD.close()
        _AHEAD = None
    if not address or not charts:
        return
    try:
        _AHEAD = _Ahead(address, charts)
    except OSError:  # no child listening (it failed, or ended): every chart is drawn here
        _AHEAD = None


_BEING_DRAWN = b""  # done_or_claim: the child is drawing it (wait), not a picture


class _Ahead:
    """The connection to the child: the requests sent, then the pictures received, each on its
    own thread, so that this process never waits for the child except for a picture it needs."""

    def __init__(self, address: str, charts: list[Chart]):
        # a chart whose arguments cannot be pickled is not announced (it is drawn here)
        self.requests = [(k, c.plot, c.args, c.kwargs) for c in charts if (k := _key(c)) is not None]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(address)
        except OSError:
            self.sock.close()
            raise
        self.wanted = {r[0] for r in self.requests}
        self.pngs: dict[str, bytes | None] = {}
        self.started: set[str] = set()  # the child has started drawing these
        self.claimed: set[str] = set()  # drawn here (the child was told to skip them)
        self.ended = False
        self.cond = threading.Condition()
        # every message goes out from one thread, in order: the requests, then the skips; a
        # section never waits for a send (the child accepts only once it filled the parse cache)
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        for request in self.requests:
            self.outbox.put(request)
        threading.Thread(target=self._send, name="parlib-charts-send", daemon=True).start()
        threading.Thread(target=self._receive, name="parlib-charts-receive", daemon=True).start()

    def _send(self) -> None:
        try:
            while (message := self.outbox.get()) is not None:
                _send_frame(self.sock, message)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            self._end()  # a chart that cannot be sent: this one and the rest are drawn here

    def _receive(self) -> None:
        while (message := _next_message(self.sock)) is not None:
            with self.cond:
                if message[0] == "start":
                    self.started.add(message[1])
                else:
                    self.pngs[message[0]] = message[1]
                self.cond.notify_all()
            if self._settled():
                break
        self._end()  # the end, or the child went away: what it did not draw is drawn here

    def _settled(self) -> bool:
        """Every chart announced is drawn, there or here: the connection has done its work."""
        return self.wanted <= self.pngs.keys() | self.claimed

    def _end(self) -> None:
        with self.cond:
            self.ended = True
            self.cond.notify_all()
        self.close()

    def close(self) -> None:
        """End the connection: shut down first, so that the child sees its end even while a
        thread here is still blocked reading it (closing alone would keep it open)."""
        self.outbox.put(None)
        _shut(self.sock)

    def done_or_claim(self, key: str) -> bytes | None:
        """The picture of ``key`` if the child drew it; :data:`_BEING_DRAWN` if it is drawing it;
        else None — draw it here (the child, told so, skips it)."""
        if key not in self.wanted:
            return None
        with self.cond:
            if key in self.pngs or key in self.started and not self.ended:
                return self.pngs.get(key, _BEING_DRAWN)
            claim = not self.ended
            self.claimed.add(key)
        if claim:
            self.outbox.put(("skip", key))
            if self._settled():
                self._end()  # nothing more to receive: the child may serve the next connection
        return None

    def wait(self, key: str) -> bytes | None:
        """The picture of ``key`` the child is drawing; None if it failed or went away."""
        with self.cond:
            self.cond.wait_for(lambda: key in self.pngs or self.ended, WAIT_S)
            return self.pngs.get(key)


# ---------------------------------------------------------------- the child's side


def listener(directory: str) -> tuple[socket.socket, str]:
    """A listening socket in ``directory`` (private to this user) and its address, made before
    the child is forked: the kernel may connect before the child accepts (the connection waits)."""
    address = os.path.join(directory, "charts.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(address)
    sock.listen(4)
    return sock, address


def serve(sock: socket.socket) -> None:
    """Draw the charts each connection asks for, in order (but those the kernel said it draws
    itself), until a connection says ``stop``. Run by the command line's child after it filled
    the parse cache."""
    import matplotlib

    matplotlib.use("Agg")
    apply_style()
    # what drawing the first chart would import, imported while the kernel is still building
    import matplotlib.pyplot  # noqa: F401

    import parlib.report.figures.quarterly  # noqa: F401
    import parlib.report.figures.survey  # noqa: F401

    while True:
        conn, _ = sock.accept()
        with conn:
            inbox = _Inbox(conn)
            request = inbox.next()
            if request == ("stop",):
                return
            try:
                while request is not None:
                    key, plot, args, kwargs = request
                    _send_frame(conn, ("start", key))
                    _send_frame(conn, (key, _drawn(plot, args, kwargs)))
                    request = inbox.next()
            except (OSError, ValueError):
                continue  # the kernel went away (or sent what cannot be read): the next connection
            finally:
                _shut(conn)  # seen at once by the kernel's reading thread


class _Inbox:
    """The requests of one connection, read on a thread as they come: the next one to draw is
    the first not skipped (the kernel draws a chart itself when it needs it before the child
    starts it)."""

    def __init__(self, conn: socket.socket):
        self.conn = conn
        self.requests: list = []
        self.skipped: set[str] = set()
        self.closed = False
        self.cond = threading.Condition()
        threading.Thread(target=self._read, name="parlib-charts-inbox", daemon=True).start()

    def _read(self) -> None:
        try:
            while (message := _next_message(self.conn)) is not None:
                with self.cond:
                    if message[0] == "skip":
                        self.skipped.add(message[1])
                    else:
                        self.requests.append(message)
                    self.cond.notify_all()
        finally:  # whatever ended the reading, the connection is over: next() must not wait
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def next(self):
        """The next request not skipped, ``("stop",)``, or None at the end of the connection."""
        with self.cond:
            while True:
                while self.requests and self.requests[0][0] in self.skipped:
                    self.requests.pop(0)
                if self.requests:
                    return self.requests.pop(0)
                if self.closed:
                    return None
                self.cond.wait()


def _drawn(plot, args, kwargs) -> bytes | None:
    """The chart's PNG; None — the kernel draws it, and raises or warns as it does — when drawing
    it raised or warned here."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            png = png_bytes(plot(*args, **kwargs))
        except Exception:  # drawn again in the kernel, which raises it
            return None
    return None if caught else png


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not connected, or already ended
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _next_message(sock: socket.socket):
    """The next message of a connection; None at its end — its end, or anything that cannot be
    read (the other side went away; a plot function this process cannot import): whatever was
    not drawn there is drawn in the kernel."""
    try:
        return _recv_frame(sock)
    except Exception:  # the reason does not change what follows: the connection is over
        return None


def stop(address: str) -> None:
    """Tell the child to stop serving (after the notebook ran); nothing if it is not there."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(address)  # fails when no child listens: nothing to stop
        _send_frame(s, ("stop",))


def _send_frame(sock: socket.socket, obj) -> None:
    blob = pickle.dumps(obj, 5)
    sock.sendall(struct.pack("!Q", len(blob)) + blob)


def _recv_frame(sock: socket.socket):
    """The next pickled message; None at the end of the connection."""
    head = _recv_exactly(sock, 8)
    if head is None:
        return None
    body = _recv_exactly(sock, struct.unpack("!Q", head)[0])
    if body is None:
        raise EOFError("cut message")
    return pickle.loads(body)


def _recv_exactly(sock: socket.socket, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            if got:
                raise EOFError("cut message")
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
