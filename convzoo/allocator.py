"""Keep freed memory in the process for the next forward pass, where the C library is glibc.

PyTorch's CPU tensors come from malloc. glibc serves an allocation of a few MB (one activation of a
convolutional network at batch 8) from memory it maps afresh, or from heap memory it hands back to
the kernel as soon as enough of it is free; either way the next call touches new pages, and the
kernel's page faults and page zeroing can cost a quarter of a small network's forward pass on a CPU.
Two documented mallopt(3) settings stop that: a fixed mmap threshold at its maximum (32 MB on 64-bit
machines) and a trim threshold of 2 GB. Freed memory then stays in the heap and is
reused, so the process keeps its peak memory instead of returning it between steps, as PyTorch's
CUDA caching allocator does on a GPU. Intel's tuning guide reaches the same end by preloading
jemalloc or tcmalloc, which needs a setting before the process starts; this needs none.

Elsewhere (macOS, Windows, musl) this does nothing. `CONVZOO_MALLOC=system` leaves glibc's
defaults in place.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit machines
TRIM_THRESHOLD = 2**31 - 1  # the largest int mallopt takes: 2 GB free at the heap's top
OPT_OUT = "CONVZOO_MALLOC"


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds so freed tensors' memory is reused, not returned.

    Returns whether the settings took effect: False off glibc, on a 32-bit build, or with
    CONVZOO_MALLOC=system. Process-wide and lasting; safe to call more than once."""
    if os.environ.get(OPT_OUT, "").strip().lower() == "system":
        return False
    if platform.libc_ver()[0] != "glibc" or ctypes.sizeof(ctypes.c_void_p) != 8:
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
