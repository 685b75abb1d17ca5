"""Shared test setup.

The suites that run whole pipelines or rewrite many files (end-to-end notebooks, robustness:
fuzz, mutation, kill and canary runs, parse-cache and generator round trips) are marked
``slow`` here by module, so ``make test-fast`` runs the unit tests only and ``make test`` all.
"""

from __future__ import annotations

import pytest

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
