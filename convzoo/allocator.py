"""Keep freed memory in the process for the next forward pass, where the C library is glibc.

PyTorch's CPU tensors come from malloc. glibc serves an allocation above its mmap threshold (128 KB
at first, raised as such blocks are freed, at most 32 MB) with pages it maps afresh and unmaps on
free, and hands free heap memory back to the kernel once enough of it sits at the heap's top; either
way the next call writes to new pages, and the kernel's page faults and page zeroing can cost a
quarter of a small network's forward pass on a CPU. Two documented mallopt(3) settings stop that:
no fresh mappings (M_MMAP_MAX 0: every block comes from the heap) and a trim threshold of 2 GB.
Freed memory then stays in the heap and is reused, so the process keeps its peak memory instead of
returning it between steps, as PyTorch's CUDA caching allocator does on a GPU. Intel's tuning guide
reaches the same end by preloading jemalloc or tcmalloc, which needs a setting before the process
starts; this needs none.

Elsewhere (macOS, Windows, musl) this does nothing. `CONVZOO_MALLOC=system` leaves glibc's
defaults in place.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
TRIM_THRESHOLD = 2**31 - 1  # the largest int mallopt takes: 2 GB free at the heap's top
OPT_OUT = "CONVZOO_MALLOC"


def keep_freed_memory() -> bool:
    """Make glibc serve every block from its heap and keep freed memory there for reuse.

    Returns whether the settings took effect: False off glibc or with CONVZOO_MALLOC=system.
    Process-wide and lasting (forked data-loading workers inherit it); safe to call more than once."""
    if os.environ.get(OPT_OUT, "").strip().lower() == "system":
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt  # the process's own libc: no library search at start-up
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
