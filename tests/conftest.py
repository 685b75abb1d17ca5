"""Shared test setup.

Nothing is written into the checkout: before any test module is imported, the bundled
``data/raw`` is copied to a scratch folder and ``PARLIB_DATA_DIR`` / ``PARLIB_REPORTS_DIR``
point ``Paths()`` there (so parse caches, processed tables and reports of tests that use the
default folders land in the scratch copy; each xdist worker has its own).

Two folders: ``tests/unit`` (one function or module at a time, seconds) and
``tests/integration`` (whole pipelines and notebooks, robustness suites: fuzz, mutation, kill
and canary runs, parse-cache and generator round trips). Everything under ``integration`` is
marked ``slow``: ``make test-fast`` runs the unit tests, ``make test`` both.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENPYXL_LXML", "False")  # as parlib/__init__.py, before any test imports openpyxl

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_PROJECT = Path(__file__).resolve().parent.parent
_SCRATCH: list[Path] = []


_INTEGRATION = Path(__file__).resolve().parent / "integration"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(_INTEGRATION):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    scratch = Path(tempfile.mkdtemp(prefix="parlib-tests-"))
    shutil.copytree(_PROJECT / "data" / "raw", scratch / "data" / "raw")
    (scratch / "data" / "processed").mkdir()
    (scratch / "reports").mkdir()
    os.environ["PARLIB_DATA_DIR"] = str(scratch / "data")
    os.environ["PARLIB_REPORTS_DIR"] = str(scratch / "reports")
    _SCRATCH.append(scratch)


def pytest_unconfigure(config):
    for folder in _SCRATCH:
        shutil.rmtree(folder, ignore_errors=True)
