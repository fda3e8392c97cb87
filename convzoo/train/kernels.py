"""Portable CPU kernels: the same numbers on most x86-64 CPUs, for runs whose output is quoted.

PyTorch picks its CPU kernels by the instruction set of the machine: ATen's vectorised loops
(AVX2 or AVX-512), MKL's matrix products and oneDNN's convolutions. Each sums in its own order, so a
seeded run repeats exactly on one machine but not across machines (the README's main job printed
test loss 0.0666 on one CPU, 0.0657 on another and 0.0704 on a third, with the same code). Pinned
to their baseline paths (ATen's default loops, MKL's conditional-numerical-reproducibility mode,
oneDNN's SSE4.1 kernels), the machines tried first computed the same sums; a later one still ended
the main job at test top-1 97.40% where they printed 97.70%, so the README's test allows the last
digits to move (tests/test_readme.py: same_run). They cost speed: LeNet-5 on full MNIST trained at 4,572
images/s pinned to one thread and the baseline kernels (benchmarks/RESULTS-train-portable.md),
against about 11,000 on an AVX-512 CPU's own kernels with two threads (RESULTS-train-2026-12-03.md)
and 21,500 with bfloat16 on an AMX one (RESULTS-train.md), so only the LeNet recipe's mnist-mini
run, the README's main job, asks for them.
"""

from __future__ import annotations

import os
from collections.abc import Callable

PORTABLE = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "ONEDNN_MAX_CPU_ISA": "SSE41"}
_warned = False


def pin_portable_kernels(log: Callable[[str], None] = print) -> bool:
    """Ask for the baseline kernels (environment variables a user has set are kept). They take
    effect only if this process has not run a kernel yet; returns whether ATen's did, and says in one
    line when not."""
    global _warned
    for name, value in PORTABLE.items():
        os.environ.setdefault(name, value)
    import torch

    chosen = torch.backends.cpu.get_cpu_capability()
    pinned = chosen == "DEFAULT" or os.environ["ATEN_CPU_CAPABILITY"].upper() == chosen
    if not pinned and not _warned:
        _warned = True
        log(
            f"note: this process already runs {chosen} kernels, so its numbers may differ from other "
            "machines' (portable kernels take effect in a fresh process)"
        )
    return pinned
