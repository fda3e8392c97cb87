"""torch's intra-op thread count chosen by measurement (`threads: auto`).

Whether a second core helps depends on the model and on what else the machine runs: a LeNet step
gains about 1.5x from two idle cores, but on a busy machine the second thread mostly waits for a
core and the step gets slower. So "auto" times a few real training steps with each candidate
count, interleaved (rounds alternate the order, so a change of load hits every candidate alike),
and keeps the fastest median; a count is not hard-wired from a load seen once.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

import torch

AUTO = "auto"


def parse_threads(value: str) -> int | str:
    """argparse type of --threads: a non-negative count or 'auto'."""
    if value == AUTO:
        return AUTO
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(
            f"--threads takes a count (0: torch's default) or 'auto', got {value!r}"
        )
    return count


def choose_threads(
    step: Callable[[], None], candidates: Sequence[int], rounds: int = 3, steps: int = 6
) -> tuple[int, dict[int, float]]:
    """(fastest candidate, median seconds per step of each) over interleaved timed rounds.

    Leaves torch set to the chosen count; a tie within 3% goes to fewer threads (fastest_count).
    """
    times: dict[int, list[float]] = {c: [] for c in candidates}
    for c in candidates:  # warm-up: allocator, kernels picked for the shapes
        torch.set_num_threads(c)
        step()
    for r in range(rounds):
        for c in candidates if r % 2 == 0 else list(reversed(candidates)):
            torch.set_num_threads(c)
            start = time.perf_counter()
            for _ in range(steps):
                step()
            times[c].append((time.perf_counter() - start) / steps)
    medians = {c: statistics.median(v) for c, v in times.items()}
    best = fastest_count(medians)
    torch.set_num_threads(best)
    return best, medians


def fastest_count(medians: dict[int, float], tolerance: float = 0.03) -> int:
    """The fewest threads whose time per step is within `tolerance` of the fastest."""
    fastest = min(medians.values())
    return min(c for c, t in medians.items() if t <= (1 + tolerance) * fastest)
