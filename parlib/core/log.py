"""Progress messages of every stage, through :mod:`logging` (logger ``parlib``).

Progress goes to standard error (the stream current at the time of writing, so a caller that
redirects ``sys.stderr`` still sees it); results (the paths of the reports built) go to
standard output. ``parlib -q`` shows warnings and errors only, ``-v`` adds detail (DEBUG).
"""

from __future__ import annotations

import logging
import sys

LOGGER = logging.getLogger("parlib")


class _CurrentStderr(logging.StreamHandler):
    """A stream handler bound to whatever ``sys.stderr`` is when a record is written."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # the base class assigns it; the current stderr always wins
        pass


if not any(isinstance(h, _CurrentStderr) for h in LOGGER.handlers):
    _handler = _CurrentStderr()
    _handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(_handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False


def set_verbosity(level: int) -> None:
    """-1: warnings and errors only; 0: progress (default); 1 or more: detail."""
    LOGGER.setLevel(logging.WARNING if level < 0 else logging.INFO if level == 0 else logging.DEBUG)


def progress(msg: str) -> None:
    """A progress line for the user (Vietnamese)."""
    LOGGER.info(msg)


def detail(msg: str) -> None:
    """A line shown with ``-v`` only."""
    LOGGER.debug(msg)


def warn(msg: str) -> None:
    """A warning shown even with ``-q``."""
    LOGGER.warning(msg)
