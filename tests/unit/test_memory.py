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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim is Linux-only")
def test_release_free_memory_hands_freed_heap_pages_back():
    """Freed small blocks stay in the tuned heap (never trimmed) until released: after freeing
    200 MB of 1 MB arrays the process keeps them; released, its resident size falls."""
    import psutil

    memory.tune_allocator()
    proc = psutil.Process()
    blocks = [np.ones(1 << 17) for _ in range(200)]  # 1 MB each: from glibc's heap, not mmap
    held = proc.memory_info().rss
    del blocks
    kept = proc.memory_info().rss
    assert kept > held - (100 << 20)  # the tuned heap keeps what was freed
    assert memory.release_free_memory(rows=memory.LARGE_ROWS - 1) is False  # a small table: nothing done
    assert proc.memory_info().rss > kept - (100 << 20)
    assert memory.release_free_memory() is True
    assert proc.memory_info().rss < kept - (150 << 20)
