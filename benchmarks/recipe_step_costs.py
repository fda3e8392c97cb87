#!/usr/bin/env python3
"""Seconds per training step of a family's smallest classifier at candidate sides (the small recipe's check).

One step is a forward, backward and AdamW update of 16 images with one thread, the shape of
tests/train/test_recipes.py's steps; the best of two timed steps after one warm-up step. The
side a small recipe gives on the digit sets (Recipe.small_size) was chosen from these numbers.
Writes benchmarks/RESULTS-recipe-steps.md (machine, versions, load average).

    python benchmarks/recipe_step_costs.py wrn28_10:8,12 densenet_bc_100_12:16,28
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results_table import write_one_thread_table  # noqa: E402

import convzoo  # noqa: E402

TABLE = Path(__file__).with_name("RESULTS-recipe-steps.md")


def step_seconds(name: str, side: int, batch: int = 16) -> float:
    """The best of two timed AdamW training steps (after one warm-up step) of `name` at side x side."""
    in_chans = convzoo.model_card(name).input_size[0]
    torch.manual_seed(0)
    model = convzoo.create_model(name, num_classes=10, in_chans=in_chans)
    optimizer = torch.optim.AdamW(model.parameters(), 1e-4)
    x, y = torch.randn(batch, in_chans, side, side), torch.randint(0, 10, (batch,))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        out = model(x)
        F.cross_entropy(getattr(out, "logits", out), y).backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - start)
    return min(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+", help="MODEL:SIDE,SIDE,...")
    args = parser.parse_args()
    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    rows = []
    for spec in args.specs:
        name, sides = spec.split(":")
        for side in map(int, sides.split(",")):
            seconds = step_seconds(name, side)
            rows.append(f"| {name} | {side} | {seconds:.3f} | {192 * seconds:.0f} |")
            print(rows[-1], flush=True)
    write_one_thread_table(
        TABLE,
        "Training-step cost of the small recipe's check",
        f"python benchmarks/recipe_step_costs.py {' '.join(args.specs)}",
        load,
        "shared machine: upper bounds",
        ["model", "side", "s per step (16 images, AdamW)", "192 steps, s"],
        rows,
    )


if __name__ == "__main__":
    main()
