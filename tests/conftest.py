"""Shared test setup.

Nothing is written into the checkout: before any test module is imported, the bundled
``data/raw`` is copied to a scratch folder and ``PARLIB_DATA_DIR`` / ``PARLIB_REPORTS_DIR``
point ``Paths()`` there (so parse caches, processed tables and reports of tests that use the
default folders land in the scratch copy; each xdist worker has its own).

The suites that run whole pipelines or rewrite many files (end-to-end notebooks, robustness:
fuzz, mutation, kill and canary runs, parse-cache and generator round trips) are marked
``slow`` here by module, so ``make test-fast`` runs the unit tests only and ``make test`` all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_PROJECT = Path(__file__).resolve().parent.parent
_SCRATCH: list[Path] = []

SLOW_MODULES = {
    "test_atomic_runs",
    "test_cache",
    "test_e2e_annual",
    "test_e2e_quarterly",
    "test_fuzz_readers",
    "test_generate_operational",
    "test_hostile_text",
    "test_privacy_canary",
    "test_report_reuse",
    "test_rootcause_scenarios",
    "test_row_accounting",
    "test_speed_equivalence",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
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
