"""The allocator settings of a large build (parlib.core.memory)."""

import sys

import numpy as np
import pytest

from parlib.core import memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_tune_allocator_applies_once_and_turns_numpy_huge_pages_off():
    first = memory.tune_allocator()
    assert first == {"glibc": True, "numpy": True}  # Debian's glibc accepts all three settings
    assert memory.tune_allocator() is first  # once per process
    # numpy's setter returns the previous value: off since the tuning
    assert np._core.multiarray._set_madvise_hugepage(False) is False
