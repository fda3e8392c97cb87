"""Eval and training steps with freed memory kept for reuse (convzoo.allocator) against glibc's
malloc defaults, side by side: what the setting the `convzoo` command makes is worth, per model.

    python benchmarks/allocator_speed.py [MODEL ...] [--rounds 4] [--trials 5] [--out FILE]

The setting is process-wide, so each measurement runs in a child process of its own, started with
CONVZOO_MALLOC=system or without it; the rounds alternate the two (the order flips every round)
so that a change of load falls on both. A child builds the model (seeded weights), warms up, and
times --trials eval trials (inference mode) and --trials training steps (forward, cross-entropy,
backward, SGD step), one thread, each trial at least 0.3 s. The table gives the medians over all
trials, the ratio kept / defaults (below 1: a gain), the minor page faults per call and the
children's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results_table import write_one_thread_table  # noqa: E402
from speed_vs_libraries import calibrated_repeats, trial  # noqa: E402

# (model, eval batch, train batch): the speed comparison's batches, and LeNet at its MNIST recipe's.
CASES = (
    ("lenet5_modern", 128, 128),
    ("mobilenet_v3_small", 8, 4),
    ("mobilenet_v2", 8, 4),
    ("efficientnet_b0", 8, 4),
    ("resnet18", 8, 4),
    ("resnet50_v1_5", 8, 4),
    ("densenet121", 8, 4),
    ("vit_ti_16", 8, 4),
)
SETTINGS = ("defaults", "kept")
TRIAL_S = 0.3


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def timed_trials(call, trials: int) -> tuple[list[float], float]:
    """Per-call ms of `trials` trials of at least TRIAL_S each, and the minor faults per call."""
    repeats = calibrated_repeats(call, TRIAL_S)
    before = faults()
    times = [trial(call, repeats) for _ in range(trials)]
    return times, (faults() - before) / (trials * repeats)


def child(model_name: str, eval_batch: int, train_batch: int, trials: int) -> dict:
    """One setting's measurements of one model (run in a fresh process)."""
    from convzoo import create_model, model_card
    from convzoo.allocator import keep_freed_memory

    kept = keep_freed_memory()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    size = tuple(model_card(model_name).input_size)
    g = torch.Generator().manual_seed(0)
    xe, xt = torch.randn(eval_batch, *size, generator=g), torch.randn(train_batch, *size, generator=g)
    model = create_model(model_name)
    classes = model.num_classes
    yt = torch.randint(0, classes, (train_batch,), generator=g)
    model.eval()

    def eval_call() -> None:
        with torch.inference_mode():
            model(xe)

    eval_ms, eval_faults = timed_trials(eval_call, trials)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def train_call() -> None:
        opt.zero_grad(set_to_none=True)
        loss_fn(model(xt), yt).backward()
        opt.step()

    train_ms, train_faults = timed_trials(train_call, trials)
    return {
        "kept": kept,
        "eval": eval_ms,
        "train": train_ms,
        "eval_faults": eval_faults,
        "train_faults": train_faults,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(setting: str, case: tuple[str, int, int], trials: int) -> dict:
    env = {**os.environ, "CONVZOO_MALLOC": "system" if setting == "defaults" else ""}
    args = [sys.executable, __file__, "--child", *map(str, case), str(trials)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["kept"] != (setting == "kept"):
        raise SystemExit(f"{case[0]}: the child's malloc setting is not {setting!r}")
    return result


def measure(case: tuple[str, int, int], rounds: int, trials: int) -> dict[str, dict]:
    """Both settings' trials over `rounds` alternating rounds, pooled."""
    pooled = {
        s: {"eval": [], "train": [], "eval_faults": [], "train_faults": [], "peak_mb": []} for s in SETTINGS
    }
    for r in range(rounds):
        for setting in SETTINGS if r % 2 == 0 else SETTINGS[::-1]:
            result = run_child(setting, case, trials)
            for key, values in pooled[setting].items():
                values.extend(result[key] if isinstance(result[key], list) else [result[key]])
    return pooled


def row(case: tuple[str, int, int], pooled: dict[str, dict]) -> str:
    d, k = pooled["defaults"], pooled["kept"]
    med = statistics.median
    cells = [f"`{case[0]}`", f"{case[1]} / {case[2]}"]
    for phase in ("eval", "train"):
        cells += [f"{med(d[phase]):.1f}", f"{med(k[phase]):.1f}", f"**{med(k[phase]) / med(d[phase]):.3f}**"]
    cells += [
        f"{med(d['eval_faults']):.0f} / {med(k['eval_faults']):.0f}",
        f"{med(d['train_faults']):.0f} / {med(k['train_faults']):.0f}",
        f"{max(d['peak_mb']):.0f} / {max(k['peak_mb']):.0f}",
    ]
    return "| " + " | ".join(cells) + " |"


COLUMNS = [
    "model",
    "batch eval / train",
    "eval ms defaults",
    "eval ms kept",
    "eval kept / defaults",
    "train ms defaults",
    "train ms kept",
    "train kept / defaults",
    "faults per eval call defaults / kept",
    "faults per train step defaults / kept",
    "peak MB defaults / kept",
]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        name, eval_batch, train_batch, trials = sys.argv[2], *map(int, sys.argv[3:6])
        print(json.dumps(child(name, eval_batch, train_batch, trials)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help=f"some of {', '.join(c[0] for c in CASES)} (default: all)")
    parser.add_argument("--rounds", type=int, default=4, help="child processes per setting and model")
    parser.add_argument("--trials", type=int, default=5, help="trials per phase in each child")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-allocator.md")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.models or c[0] in args.models]
    load = os.getloadavg()[0]
    rows = []
    for case in cases:
        rows.append(row(case, measure(case, args.rounds, args.trials)))
        print(rows[-1], flush=True)
        write_one_thread_table(
            args.out,
            "Freed memory kept for reuse against glibc's malloc defaults",
            " ".join(
                ["python benchmarks/allocator_speed.py", *args.models]
                + [f"--rounds {args.rounds}", f"--trials {args.trials}"]
                + ([f"--out {args.out}"] if args.out != parser.get_default("out") else [])
            ),
            load,
            f"{len(rows)} of {len(cases)} models done, load now {os.getloadavg()[0]:.1f}; seed 0, "
            f"medians of {args.rounds * args.trials} trials per setting from {args.rounds} child "
            "processes each, alternating; kept / defaults below 1 is a gain",
            COLUMNS,
            rows,
        )
    print(args.out.read_text())


if __name__ == "__main__":
    main()
