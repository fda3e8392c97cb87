#!/usr/bin/env python3
"""Seconds per optimizer step: PyTorch's per-tensor loop, its foreach and its fused implementations.

For each model, gradients are set once (seeded), then the steps of the three implementations of
AdamW and of SGD with Nesterov momentum are timed interleaved, one thread, the median of
`--rounds`. The trainer's choice between them (train/schedule.py: fused except on the portable
kernels) was made from these numbers. Writes benchmarks/RESULTS-optimizer-step.md (machine,
versions, load average, seed).

    python benchmarks/optimizer_step.py lenet5_modern resnet18 alexnet vgg11
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results_table import write_one_thread_table  # noqa: E402

import convzoo  # noqa: E402

TABLE = Path(__file__).with_name("RESULTS-optimizer-step.md")
IMPLEMENTATIONS = {"loop": dict(foreach=False), "foreach": dict(foreach=True), "fused": dict(fused=True)}
OPTIMIZERS = {
    "AdamW": lambda params, kw: torch.optim.AdamW(params, lr=1e-4, weight_decay=0.05, **kw),
    "SGD": lambda params, kw: torch.optim.SGD(params, lr=1e-2, momentum=0.9, nesterov=True, **kw),
}


def step_medians(name: str, rounds: int) -> dict[tuple[str, str], float]:
    """Median seconds of one step for each (optimizer, implementation), timed interleaved."""
    torch.manual_seed(0)
    model = convzoo.create_model(name, num_classes=10)
    params = list(model.parameters())
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    steppers = {
        (opt, impl): make(params, kw)
        for opt, make in OPTIMIZERS.items()
        for impl, kw in IMPLEMENTATIONS.items()
    }
    for optimizer in steppers.values():  # the first step allocates the state
        optimizer.step()
    times: dict[tuple[str, str], list[float]] = {key: [] for key in steppers}
    for _ in range(rounds):
        for key, optimizer in steppers.items():
            start = time.perf_counter()
            optimizer.step()
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(t) for key, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    rows = []
    for name in args.models:
        medians = step_medians(name, args.rounds)
        params = sum(p.numel() for p in convzoo.create_model(name, num_classes=10).parameters())
        for opt in OPTIMIZERS:
            loop, foreach, fused = (medians[(opt, impl)] for impl in IMPLEMENTATIONS)
            rows.append(
                f"| {name} | {params:,} | {opt} | {loop:.4f} | {foreach:.4f} | {fused:.4f} | "
                f"{fused / loop:.2f} |"
            )
            print(rows[-1], flush=True)
    write_one_thread_table(
        TABLE,
        "Optimizer step: per-tensor loop, foreach and fused",
        f"python benchmarks/optimizer_step.py {' '.join(args.models)} --rounds {args.rounds}",
        load,
        "a shared machine: the three are timed interleaved, so their ratio is what to read; seed 0",
        ["model", "parameters", "optimizer", "loop, s", "foreach, s", "fused, s", "fused / loop"],
        rows,
    )


if __name__ == "__main__":
    main()
