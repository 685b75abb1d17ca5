"""How the process allocates memory for a large build.

A province-scale build allocates and frees arrays of millions of rows hundreds of times. With
the allocators' defaults every such array is fresh memory from the kernel: glibc maps each one
above 128 kB (then 32 MB at most, as it adapts) and unmaps it when freed; numpy asks for
transparent huge pages on every large array, so the kernel zeroes a whole 2 MB page at each
first touch. On the 2-core virtual machine of the benchmark, zeroing pages was a third of the
CPU time of the 1M build (``perf``: ``clear_page_erms`` under ``do_huge_pmd_anonymous_page``,
one million page faults, 22–28 s of system time for two builds).

:func:`tune_allocator` keeps freed memory for reuse instead: arrays up to 32 MB come from
glibc's heap, which is not returned to the kernel while the process runs (a build's peak is
what the process needs anyway), and numpy stops asking for huge pages. Measured on the 1M
department folder (two builds in one process, interleaved with untuned runs): 48–51 s →
36–45 s, system time 21–26 s → 11–19 s, peak memory 3,2 → 3,3 GB (docs/performance.md).
Results are unchanged: only where the bytes live changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # the largest glibc accepts on 64-bit
TRIM_THRESHOLD = (1 << 31) - 1  # never give the heap back while the process runs
TOP_PAD = 256 << 20  # grow the heap in 256 MB steps (address space only, until touched)

_DONE: dict[str, bool] = {}


def tune_allocator() -> dict[str, bool]:
    """Apply the settings above once per process; returns which applied (``glibc``: mallopt
    accepted all three; ``numpy``: huge-page advice off). Elsewhere than Linux with glibc the
    allocator is left as it is."""
    if _DONE:
        return _DONE
    _DONE["glibc"] = _tune_glibc()
    _DONE["numpy"] = _no_numpy_huge_pages()
    return _DONE


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, loaded once (None where it cannot be: not Linux, not found)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _tune_glibc() -> bool:
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)  # absent from musl
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    done = [mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD), mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)]
    done.append(mallopt(M_TOP_PAD, TOP_PAD))
    return all(r == 1 for r in done)


def _no_numpy_huge_pages() -> bool:
    import numpy as np

    setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    if setter is None:
        return False
    setter(False)
    return True


LARGE_ROWS = 1 << 20  # a table from which freed memory is worth handing back


def release_free_memory(rows: int | None = None) -> bool:
    """Hand freed memory back to the kernel now: Arrow's pool (the parsed copies read from
    Parquet) and glibc's heap (``malloc_trim``). Called where a large build has just freed
    gigabytes: kept for reuse, they would count in the peak on top of the next step's arrays.
    With ``rows`` (the size of the table just freed) nothing is done below :data:`LARGE_ROWS`
    (a department's build: the calls and the pages touched again cost more than they save).
    True when glibc trimmed something."""
    if rows is not None and rows < LARGE_ROWS:
        return False
    import pyarrow as pa

    pa.default_memory_pool().release_unused()  # Arrow's own pool (parsed copies read from Parquet)
    if not _DONE.get("glibc"):  # glibc tuned: _libc() is glibc's
        return False
    trim = _libc().malloc_trim
    trim.argtypes = [ctypes.c_size_t]
    return trim(0) == 1
