"""Every zoo model that loads a torchvision or timm checkpoint, timed against that library's model
with the same weights: eval forward and one training step, interleaved, medians.

    PYTHONPATH=$PWD SIDE_VENV/bin/python benchmarks/speed_vs_libraries.py [PATTERN ...]
        [--rounds 5] [--eval-batch 8] [--train-batch 4] [--channels-last] [--bf16] [--compile]
        [--system-malloc]

Both sides run in the same process and environment (torchvision and timm are not convzoo
dependencies: run it in an environment that has them, with the repository on PYTHONPATH). For each
model: the library's model is built with seeded random weights, the zoo model loads its
state_dict through `load_weights`, and the eval outputs are checked equal (max |difference| <= 1e-4
of the logits' scale) before anything is timed. Then every round times each variant in turn (the
order rotates every round): the library's and the zoo's eval forward (batch --eval-batch, default
input size, inference mode) and training step (batch --train-batch, forward + cross-entropy +
backward + SGD step, dropout and stochastic depth switched off in both). A trial repeats its call
until it lasts --trial-s; the table gives the median per-call milliseconds and zoo / library ratios
(below 1: the zoo is faster).
--channels-last, --bf16 (autocast) and --compile (torch.compile, default mode) add zoo-only
variants, reported as their time over the zoo's plain eager time (below 1: a gain).
The process keeps freed memory for reuse (convzoo.allocator, as the convzoo command does) unless
--system-malloc: glibc's page faults otherwise move a small model's times by more than the ratios
are meant to resolve.
Writes benchmarks/RESULTS-speed.md (machine, versions, load, seed, threads) after every model.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from convzoo import create_model, list_models, load_weights, model_card
from convzoo.io import atomic_write_bytes
from convzoo.train.config import environment

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results_table import add_malloc_flag, apply_malloc_flag  # noqa: E402

SEED = 0


def load_avg() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def pairs(patterns: list[str]) -> list[tuple[str, str, str]]:
    """(zoo name, library, library name) of every model card with a compatible checkpoint
    (torchvision preferred where both libraries have one), filtered by fnmatch patterns and in
    their order (the cheap models first, say, so that a long run's table fills from the top)."""
    names = list_models()
    chosen = [n for p in patterns for n in names if fnmatch.fnmatch(n, p)] if patterns else names
    out = []
    for name in dict.fromkeys(chosen):
        compatible = model_card(name).compatible
        if compatible:
            library = "torchvision" if "torchvision" in compatible else next(iter(compatible))
            out.append((name, library, compatible[library]))
    return out


def library_model(library: str, name: str) -> nn.Module:
    torch.manual_seed(SEED)
    if library == "torchvision":
        import torchvision

        return torchvision.models.get_model(name, weights=None)
    import timm

    return timm.create_model(name, pretrained=False)


def logits_of(out) -> torch.Tensor:
    """The main logits of a model's output (auxiliary-classifier outputs are tuples, logits first)."""
    return out[0] if isinstance(out, tuple) else out


def eval_call(model: nn.Module, x: torch.Tensor, amp: bool = False) -> Callable[[], None]:
    def call() -> None:
        with torch.inference_mode(), autocast(amp):
            model(x)

    return call


def without_random_drops(model: nn.Module) -> nn.Module:
    """Switch dropout and stochastic depth off, in place: their defaults differ between the libraries
    (timm builds with none, torchvision and the zoo with the papers' rates), and a train step should
    time the same computation on both sides."""
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
        elif hasattr(module, "drop_prob"):  # the zoo's and timm's DropPath
            module.drop_prob = 0.0
        elif type(module).__name__ == "StochasticDepth":  # torchvision's
            module.p = 0.0
    return model


def train_call(model: nn.Module, x: torch.Tensor, y: torch.Tensor, amp: bool = False) -> Callable[[], None]:
    without_random_drops(model)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def call() -> None:
        with autocast(amp):
            out = model(x)
        loss = F.cross_entropy(logits_of(out).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return call


def autocast(enabled: bool) -> contextlib.AbstractContextManager:
    return torch.autocast("cpu", dtype=torch.bfloat16) if enabled else contextlib.nullcontext()


def trial(call: Callable[[], None], repeats: int) -> float:
    """Milliseconds per call over `repeats` calls."""
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) * 1e3 / repeats


def calibrated_repeats(call: Callable[[], None], trial_s: float) -> int:
    """Warm `call` up (and compile it), then the calls a trial of at least `trial_s` seconds needs."""
    call()
    return max(1, round(trial_s * 1e3 / trial(call, 1)))


def equal_outputs(lib: nn.Module, zoo: nn.Module, size: tuple[int, int, int]) -> float:
    """max |zoo - library| / max |library| of eval logits on a seeded input."""
    x = torch.randn(2, *size, generator=torch.Generator().manual_seed(SEED))
    with torch.inference_mode():
        a, b = logits_of(lib.eval()(x)).float(), logits_of(zoo.eval()(x)).float()
    return float((a - b).abs().max() / a.abs().max().clamp(min=1e-12))


def variants(name: str, library: str, lib_name: str, args) -> dict[str, Callable[[], None]] | str:
    """The timed calls of one pair, or why it cannot be timed."""
    lib = library_model(library, lib_name)
    zoo = create_model(name)
    load_weights(zoo, lib.state_dict())
    size = tuple(model_card(name).input_size)
    diff = equal_outputs(lib, zoo, size)
    if not diff <= 1e-4:
        return f"outputs differ (max relative difference {diff:.2e}): not timed"
    g = torch.Generator().manual_seed(SEED)
    xe, xt = (
        torch.randn(args.eval_batch, *size, generator=g),
        torch.randn(args.train_batch, *size, generator=g),
    )
    yt = torch.randint(0, 1000, (args.train_batch,), generator=g)
    lib_train, zoo_train = library_model(library, lib_name), create_model(name)
    zoo_train.load_state_dict(zoo.state_dict())
    lib_train.train(), zoo_train.train()
    calls = {
        "lib eval": eval_call(lib.eval(), xe),
        "zoo eval": eval_call(zoo.eval(), xe),
        "lib train": train_call(lib_train, xt, yt),
        "zoo train": train_call(zoo_train, xt, yt),
    }
    if args.channels_last:
        zoo_cl = create_model(name).to(memory_format=torch.channels_last)
        zoo_cl.load_state_dict(zoo.state_dict())
        calls["zoo eval channels_last"] = eval_call(
            zoo_cl.eval(), xe.contiguous(memory_format=torch.channels_last)
        )
        zoo_cl_train = create_model(name).to(memory_format=torch.channels_last)
        zoo_cl_train.load_state_dict(zoo.state_dict())
        calls["zoo train channels_last"] = train_call(
            zoo_cl_train.train(), xt.contiguous(memory_format=torch.channels_last), yt
        )
    if args.bf16:
        calls["zoo eval bf16"] = eval_call(zoo, xe, amp=True)
        zoo_bf16_train = create_model(name)
        zoo_bf16_train.load_state_dict(zoo.state_dict())
        calls["zoo train bf16"] = train_call(zoo_bf16_train.train(), xt, yt, amp=True)
    if args.compile:
        calls["zoo eval compile"] = eval_call(torch.compile(zoo), xe)
        zoo_c_train = create_model(name)
        zoo_c_train.load_state_dict(zoo.state_dict())
        calls["zoo train compile"] = train_call(torch.compile(zoo_c_train.train()), xt, yt)
    return calls


def measure(calls: dict[str, Callable[[], None]], rounds: int, trial_s: float) -> dict[str, list[float]]:
    """Per-call ms of every variant in `rounds` interleaved rounds (the order rotates each round)."""
    repeats = {key: calibrated_repeats(call, trial_s) for key, call in calls.items()}
    keys, times = list(calls), {k: [] for k in calls}
    for r in range(rounds):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            times[key].append(trial(calls[key], repeats[key]))
    return times


def table(rows: list[dict], header: list[str], extra_keys: list[str]) -> list[str]:
    cols = [
        "zoo model",
        "library model",
        "eval ms library",
        "eval ms zoo",
        "eval zoo/library",
        "train ms library",
        "train ms zoo",
        "train zoo/library",
        "best-of eval / train",
        *extra_keys,
    ]
    lines = [*header, "| " + " | ".join(cols) + " |", "| --- | --- |" + " ---: |" * (len(cols) - 2)]
    for row in rows:
        if "skip" in row:
            lines.append(f"| `{row['name']}` | {row['lib']} | {row['skip']} |" + " |" * (len(cols) - 3))
            continue
        m, b = row["median"], row["best"]
        cells = [
            f"`{row['name']}`",
            row["lib"],
            f"{m['lib eval']:.1f}",
            f"{m['zoo eval']:.1f}",
            f"**{m['zoo eval'] / m['lib eval']:.3f}**",
            f"{m['lib train']:.1f}",
            f"{m['zoo train']:.1f}",
            f"**{m['zoo train'] / m['lib train']:.3f}**",
            f"{b['zoo eval'] / b['lib eval']:.3f} / {b['zoo train'] / b['lib train']:.3f}",
        ]
        for key in extra_keys:  # "zoo eval bf16" -> its time over "zoo eval"
            base = "zoo eval" if " eval " in f" {key} " else "zoo train"
            cells.append(f"{m[key] / m[base]:.2f}" if key in m else "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("patterns", nargs="*", help="zoo model names or fnmatch patterns (default: all)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--trial-s", type=float, default=0.5, help="seconds each trial lasts at least")
    parser.add_argument("--eval-batch", type=int, default=8)
    parser.add_argument("--train-batch", type=int, default=4)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's, one per core)")
    parser.add_argument("--channels-last", action="store_true", help="add channels_last zoo variants")
    parser.add_argument("--bf16", action="store_true", help="add bfloat16-autocast zoo variants")
    parser.add_argument("--compile", action="store_true", help="add torch.compile zoo variants")
    add_malloc_flag(parser)  # on both sides alike
    parser.add_argument("--out", default=str(HERE / "RESULTS-speed.md"))
    args = parser.parse_args()
    malloc = apply_malloc_flag(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    import timm
    import torchvision

    env = environment()
    extra_keys = [
        f"zoo {phase} {variant}"
        for variant, on in (
            ("channels_last", args.channels_last),
            ("bf16", args.bf16),
            ("compile", args.compile),
        )
        if on
        for phase in ("eval", "train")
    ]
    load_before, rows = load_avg(), []
    todo = pairs(args.patterns)
    command = " ".join(
        ["python benchmarks/speed_vs_libraries.py", *args.patterns, f"--rounds {args.rounds}"]
        + [
            f"--trial-s {args.trial_s}",
            f"--eval-batch {args.eval_batch}",
            f"--train-batch {args.train_batch}",
        ]
        + ([f"--threads {args.threads}"] if args.threads else [])
        + [
            f"--{k.replace('_', '-')}"
            for k in ("channels_last", "bf16", "compile", "system_malloc")
            if getattr(args, k)
        ]
    )
    for name, library, lib_name in todo:
        start = time.perf_counter()
        calls = variants(name, library, lib_name, args)
        row = {"name": name, "lib": f"{library} `{lib_name}`"}
        if isinstance(calls, str):
            row["skip"] = calls
        else:
            times = measure(calls, args.rounds, args.trial_s)
            row["median"] = {k: statistics.median(v) for k, v in times.items()}
            row["best"] = {k: min(v) for k, v in times.items()}
        rows.append(row)
        m = row.get("median")
        print(
            f"{name} vs {library} {lib_name}: "
            + (
                f"eval {m['zoo eval'] / m['lib eval']:.3f}x, train {m['zoo train'] / m['lib train']:.3f}x"
                if m
                else row["skip"]
            )
            + f" ({time.perf_counter() - start:.0f} s, load {load_avg()})",
            flush=True,
        )
        header = [
            "# Zoo models against torchvision / timm with the same weights",
            "",
            f"Command: `{command}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
            f"{len(rows)} of {len(todo)} pairs done.",
            f"Machine: {env['machine']['cpu']}, {env['machine']['cpu_count']} cores visible, "
            f"{platform.platform()}; torch threads {torch.get_num_threads()}; malloc: {malloc}.",
            f"Versions: convzoo {env['versions']['convzoo']}, torch {torch.__version__}, torchvision "
            f"{torchvision.__version__}, timm {timm.__version__}, Python {env['versions']['python']}. "
            f"Seed {SEED} (weights, inputs, labels).",
            f"Load average (1/5/15 min) at the start: {load_before}; now: {load_avg()}. The machine is "
            "shared: milliseconds are upper bounds, the ratios come from interleaved trials.",
            "",
            f"Eval: batch {args.eval_batch}, inference mode; train: batch {args.train_batch}, forward + "
            f"cross-entropy + backward + SGD step, dropout and stochastic depth off on both sides (since "
            "2026-12-03; earlier files trained the zoo with its papers' rates and timm with none); "
            f"default input size of each model; median of "
            f"{args.rounds} rounds, each trial at least {args.trial_s} s. Ratios are zoo / library "
            "(below 1: the zoo is faster), of the medians and of the fastest trials (best-of: other jobs "
            "only ever add time); the variant columns are the zoo variant's time over the zoo's "
            "eager fp32 time (below 1: a gain).",
            "",
        ]
        atomic_write_bytes(Path(args.out), ("\n".join(table(rows, header, extra_keys)) + "\n").encode())
    print(Path(args.out).read_text())


if __name__ == "__main__":
    main()
