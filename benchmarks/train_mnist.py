"""LeNet-5 on full MNIST with convzoo's default recipe, against the classic PyTorch MNIST example.

    python benchmarks/train_mnist.py [--data-dir ../shared/data/mnist] [--epochs N] [--batch-size N]
        [--threads N|auto] [--bf16 on|off|auto] [--models lenet5_modern,lenet5] [--bare lenet5_modern]
        [--seeds 1,2,3,4] [--baseline-epochs 3 | --skip-baseline] [--portable-kernels] [--throughput-only]
        [--system-malloc] [--out FILE]

Reports, per model (lenet5_modern, lenet5): test top-1 per epoch, training seconds to 99.0%, the best
top-1 within 60 s of training; for the --bare models the same recipe written as a bare loop (same
model, seed, optimizer, schedule, batches and augmentation, nothing else), run interleaved with the
trainer epoch by epoch so both meet the same load, and the trainer's images/s over the bare loop's;
and the baseline (2 conv + 2 fc, Adadelta lr 1.0, batch 64, per-sample loading) timed to 99.0%.
With --seeds, the first model's recipe is trained again (trainer only) from each further seed: how
far its final top-1 and its epochs to 99.0% move with the seed alone.
Threads follow the recipe (LeNet: auto, one thread or all cores by timed steps) unless --threads.
Freed memory is kept for reuse (convzoo.allocator), as the convzoo command does, unless --system-malloc.
Writes benchmarks/RESULTS-train.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from convzoo import create_model
from convzoo.data import load_dataset
from convzoo.io import atomic_write
from convzoo.train import Trainer, resolve_config
from convzoo.train.config import environment
from convzoo.train.kernels import pin_portable_kernels
from convzoo.train.precision import parse_bf16
from convzoo.train.schedule import build_optimizer, build_scheduler
from convzoo.train.threads import parse_threads

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results_table import add_malloc_flag, apply_malloc_flag  # noqa: E402

SEED = 0
MODELS = "lenet5_modern,lenet5"  # --models by default
RESULTS = HERE / "RESULTS-train.md"  # --out by default


def load_avg() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


# ---- the classic PyTorch example (pytorch/examples mnist/main.py) -----------------------------------


class ExampleNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = self.dropout2(F.relu(self.fc1(torch.flatten(self.dropout1(x), 1))))
        return F.log_softmax(self.fc2(x), dim=1)


class PerSample(torch.utils.data.Dataset):
    """As torchvision's MNIST + ToTensor + Normalize: one PIL image converted per __getitem__."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images.numpy(), labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        from PIL import Image

        pil = Image.fromarray(self.images[i, 0], mode="L")
        x = torch.from_numpy(np.asarray(pil, dtype=np.float32) / 255.0).unsqueeze(0)
        return (x - 0.1307) / 0.3081, int(self.labels[i])


def baseline(ds, max_epochs: int, budget_s: float) -> dict:
    torch.manual_seed(SEED)
    model = ExampleNet()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    train = torch.utils.data.DataLoader(
        PerSample(ds.train.images, ds.train.labels), batch_size=64, shuffle=True
    )
    test = torch.utils.data.DataLoader(PerSample(ds.test.images, ds.test.labels), batch_size=1000)
    elapsed, rows, to_99 = 0.0, [], None
    for epoch in range(1, max_epochs + 1):
        model.train()
        start = time.perf_counter()
        for x, y in train:
            opt.zero_grad()
            F.nll_loss(model(x), y).backward()
            opt.step()
        sched.step()
        elapsed += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in test)
        top1 = correct / len(ds.test)
        rows.append((epoch, top1, elapsed))
        print(f"baseline epoch {epoch}: top-1 {top1:.2%}  {elapsed:.1f}s", flush=True)
        if top1 >= 0.99 and to_99 is None:
            to_99 = elapsed
            break
        if elapsed > budget_s:
            break
    return {"rows": rows, "to_99": to_99}


# ---- convzoo's trainer against a bare loop of the same recipe ----------------------------------------


class BareLoop:
    """The recipe written out by hand: same model, seed, optimizer, schedule, batches and
    augmentation as the trainer, and nothing else (no metrics, NaN check or progress bar)."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer, cfg = trainer, trainer.cfg
        torch.manual_seed(cfg.seed)
        self.model = create_model(cfg.model)
        self.optimizer = build_optimizer(self.model, cfg)
        self.scheduler = build_scheduler(self.optimizer, cfg, trainer.steps)

    def train_epoch(self, epoch: int) -> dict:
        t, cfg = self.trainer, self.trainer.cfg
        torch.manual_seed(cfg.seed * 100_003 + epoch)
        generator = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        self.model.train()
        seen, start = 0, time.perf_counter()
        for x, y in t.dataset.train.batches(
            cfg.batch_size, t.mean, t.std, generator=generator, augment=t.augment
        ):
            with t.autocast():  # the recipe's precision (bf16 where the CPU computes it natively)
                loss = F.cross_entropy(self.model(x), y, label_smoothing=cfg.label_smoothing)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            seen += len(y)
        seconds = time.perf_counter() - start
        return {"train_seconds": seconds, "images_per_s": seen / seconds}

    def test_top1(self) -> float:
        t = self.trainer
        self.model.eval()
        with torch.inference_mode(), t.autocast():
            correct = sum(
                int((self.model(x).argmax(1) == y).sum())
                for x, y in t.dataset.test.batches(t.cfg.eval_batch_size, t.mean, t.std)
            )
        return correct / len(t.dataset.test)


def side_by_side(
    model: str,
    ds,
    overrides: dict,
    bare: bool,
    portable: bool = False,
    seed: int = SEED,
) -> Iterator[dict]:
    """The trainer's epochs and (with bare) the bare loop's, interleaved epoch by epoch (the order
    alternates), so both meet the same load; test top-1 after every epoch (not timed). Yields the
    results so far after every epoch."""
    cfg = resolve_config(model, settings(portable=portable, seed=seed, **overrides))
    trainer = Trainer(cfg, dataset=ds)
    loop = BareLoop(trainer) if bare else None
    sides = {"trainer": [], "bare": []}

    def trainer_epoch(epoch: int) -> None:
        row = trainer.train_epoch(epoch)
        sides["trainer"].append(
            (epoch, trainer.evaluate()["top1"], row["train_seconds"], row["images_per_s"])
        )

    def bare_epoch(epoch: int) -> None:
        row = loop.train_epoch(epoch)
        sides["bare"].append((epoch, loop.test_top1(), row["train_seconds"], row["images_per_s"]))

    for epoch in range(1, cfg.epochs + 1):
        order = (trainer_epoch, bare_epoch) if epoch % 2 else (bare_epoch, trainer_epoch)
        for run in order if loop else (trainer_epoch,):
            run(epoch)
        print(
            f"{model} epoch {epoch}: "
            + ", ".join(f"{k} {v[-1][1]:.2%} ({v[-1][3]:,.0f} img/s)" for k, v in sides.items() if v)
            + f" load {load_avg()}",
            flush=True,
        )
        yield summarize(trainer, sides, len(ds.train))


def settings(portable: bool = False, **overrides) -> dict:
    """The benchmark's overrides of the recipe: MNIST, seed 0, and with `portable` the baseline
    kernels the LeNet recipe pins on mnist-mini for the README's quoted numbers, for comparison."""
    out = {"data": "mnist", "seed": SEED, **overrides}
    return {**out, "portable_kernels": True} if portable else out


def throughput(model: str, ds, threads, images: int = 3200, rounds: int = 8, portable: bool = False) -> dict:
    """Images/s of the trainer's and the bare loop's epochs on the first `images` training images,
    `rounds` interleaved epochs each (the order alternates), medians: a short trial that a change
    of load meets on both sides alike."""
    cfg = resolve_config(model, settings(threads=threads, train_limit=images, portable=portable))
    trainer = Trainer(cfg, dataset=ds, log=lambda _msg: None)
    loop = BareLoop(trainer)
    times: dict[str, list[float]] = {"trainer": [], "bare": []}
    for epoch in range(1, rounds + 1):
        sides = (("trainer", trainer), ("bare", loop))
        for side, runner in sides if epoch % 2 else sides[::-1]:
            times[side].append(runner.train_epoch(epoch)["images_per_s"])
    medians = {side: statistics.median(v) for side, v in times.items()}
    return {**medians, "ratio": medians["trainer"] / medians["bare"], "threads": torch.get_num_threads()}


def summarize(trainer: Trainer, sides: dict[str, list], n_train: int) -> dict:
    """Cumulative seconds, time to 99.0%, best within 60 s, final top-1 and images/s per side."""
    cfg = trainer.cfg
    out = {"cfg": cfg, "threads": torch.get_num_threads(), "bf16": trainer.bf16}
    for side, rows in sides.items():
        if not rows:
            continue
        elapsed, cumulative = 0.0, []
        for epoch, top1, seconds, ips in rows:
            elapsed += seconds
            cumulative.append((epoch, top1, elapsed, ips))
        out[side] = {
            "rows": cumulative,
            "to_99": next((e for _, t, e, _ in cumulative if t >= 0.99), None),
            "within_60": max((t for _, t, e, _ in cumulative if e <= 60), default=None),
            "final": cumulative[-1][1],
            "images_per_s": n_train * len(rows) / elapsed,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=str(HERE.parents[1] / "shared" / "data" / "mnist"))
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs")
    parser.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    parser.add_argument("--threads", type=parse_threads, help="override the recipe's torch threads (or auto)")
    parser.add_argument(
        "--bf16", type=parse_bf16, help="override the recipe's bf16 autocast: on, off or auto"
    )
    parser.add_argument("--models", default=MODELS)
    parser.add_argument(
        "--bare", default="lenet5_modern", help="models also run as a bare loop, side by side"
    )
    parser.add_argument(
        "--seeds", default="", help="further seeds for the first model's recipe, e.g. 1,2,3,4 (trainer only)"
    )
    parser.add_argument("--baseline-epochs", type=int, default=3)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument(
        "--throughput-only", action="store_true", help="only the short interleaved trainer/bare trial"
    )
    parser.add_argument(
        "--portable-kernels",
        action="store_true",
        help="the baseline kernels of the mnist-mini recipe instead of the CPU's own (AVX2/AVX-512)",
    )
    add_malloc_flag(parser)
    args = parser.parse_args()
    args.malloc = apply_malloc_flag(args)  # as the convzoo command does
    if args.portable_kernels:  # before any kernel runs (convzoo.train.kernels)
        pin_portable_kernels()
    if args.throughput_only:
        ds = load_dataset("mnist", args.data_dir)
        first = args.models.split(",")[0]
        load = load_avg()
        t = throughput(first, ds, args.threads, portable=args.portable_kernels)
        print(
            f"{first}, {t['threads']} thread(s), load {load} -> {load_avg()}: trainer {t['trainer']:,.0f} "
            f"images/s, bare loop {t['bare']:,.0f} images/s (medians of 8 interleaved epochs of 3,200 "
            f"images), ratio {t['ratio']:.3f}"
        )
        return

    load_before = load_avg()
    ds = load_dataset("mnist", args.data_dir)
    bare = set(args.bare.split(",")) if args.bare else set()
    overrides = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "threads": args.threads,
        "bf16": args.bf16,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    results: dict[str, dict] = {}
    seeds: dict[int, dict] = {}
    for m in args.models.split(","):
        for partial in side_by_side(m, ds, overrides, m in bare, args.portable_kernels):
            results[m] = partial
            write_report(args, results, seeds, None, load_before)  # a long run leaves its epochs so far
    first = args.models.split(",")[0]
    for seed in (int(s) for s in args.seeds.split(",") if s.strip()):
        for partial in side_by_side(first, ds, overrides, False, args.portable_kernels, seed=seed):
            seeds[seed] = partial
        write_report(args, results, seeds, None, load_before)
    base = None if args.skip_baseline else baseline(ds, args.baseline_epochs, budget_s=1800)
    write_report(args, results, seeds, base, load_before, final=True)


def write_report(
    args, results: dict, seeds: dict, base: dict | None, load_before: str, final: bool = False
) -> None:
    """RESULTS-train.md from the results so far (printed too when final)."""
    load_after = load_avg()
    first = args.models.split(",")[0]
    cfg = results[first]["cfg"]
    env = environment()
    flags = "".join(
        f" --{k} {v}"
        for k, v in (
            ("epochs", args.epochs),
            ("batch-size", args.batch_size),
            ("threads", args.threads),
            ("bf16", {True: "on", False: "off"}.get(args.bf16, args.bf16)),
            ("models", None if args.models == MODELS else args.models),
            ("seeds", args.seeds or None),
            ("out", None if Path(args.out) == RESULTS else args.out),
        )
        if v is not None
    )
    if args.portable_kernels:
        flags += " --portable-kernels"
    if args.system_malloc:
        flags += " --system-malloc"
    if args.skip_baseline:
        flags += " --skip-baseline"
    elif args.baseline_epochs != 3:
        flags += f" --baseline-epochs {args.baseline_epochs}"
    lines = [
        "# LeNet-5 on MNIST: convzoo's default recipe, a bare loop of it, and the classic PyTorch example",
        "",
        f"Command: `python benchmarks/train_mnist.py{flags}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Machine: {env['machine']['cpu']}, {env['machine']['cpu_count']} cores visible, "
        f"{platform.platform()}; malloc: {args.malloc}.",
        f"Versions: convzoo {env['versions']['convzoo']}, torch {env['versions']['torch']}, "
        f"numpy {env['versions']['numpy']}, Python {env['versions']['python']}. Seeds: {SEED} everywhere"
        + (", and the further seeds of the last table." if args.seeds else "."),
        f"Load average (1/5/15 min) before: {load_before}; {'after' if final else 'now'}: {load_after}. "
        "The machine is shared: "
        "with a load above the core count, seconds here overstate what an idle machine takes; the "
        "trainer and the bare loop ran interleaved epoch by epoch, so their ratio is the robust number.",
        "",
        f"Recipe ({first}): optimizer {cfg.optimizer}, lr {cfg.lr}, batch {cfg.batch_size}, schedule "
        f"{cfg.schedule}, epochs {cfg.epochs}, weight decay {cfg.weight_decay}, augmentation {cfg.augment} "
        f"(MNIST: translate +-2 px), threads {cfg.threads} (chosen: {results[first]['threads']}), "
        f"bf16 {cfg.bf16} (chosen: {'on' if results[first]['bf16'] else 'off'}); "
        f"kernels {'portable (oneDNN SSE4.1, ATen default loops)' if cfg.portable_kernels else 'native'}; "
        "28x28 padded to 32x32.",
        "",
        "| run | threads | final top-1 | best top-1 within 60 s | seconds to 99.0% | epochs | images/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        for side in ("trainer", "bare"):
            if side not in r:
                continue
            row = r[side]
            within = f"{row['within_60']:.2%}" if row["within_60"] is not None else "-"
            to99 = f"{row['to_99']:.1f}" if row["to_99"] is not None else "not reached"
            label = f"convzoo `{name}`" if side == "trainer" else f"bare loop, same recipe (`{name}`)"
            lines.append(
                f"| {label} | {r['threads']} | {row['final']:.2%} | {within} | {to99} | {len(row['rows'])} "
                f"| {row['images_per_s']:,.0f} |"
            )
    if base:
        to99 = f"{base['to_99']:.1f}" if base["to_99"] else f"not reached in {len(base['rows'])} epochs"
        base_top1 = base["rows"][-1][1]
        cells = [str(torch.get_num_threads()), f"{base_top1:.2%}", "", to99, str(len(base["rows"])), ""]
        lines.append(
            "| PyTorch example (Adadelta, batch 64, per-sample loading) | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        "Per-epoch test top-1 (cumulative training seconds): "
        + "; ".join(
            f"`{n}` {side} " + ", ".join(f"{t:.2%} ({e:.0f}s)" for _, t, e, _ in r[side]["rows"])
            for n, r in results.items()
            for side in ("trainer", "bare")
            if side in r
        ),
        "",
    ]
    for name, r in results.items():
        if "bare" in r:
            ratio = r["trainer"]["images_per_s"] / r["bare"]["images_per_s"]
            lines.append(
                f"Trainer vs bare loop (`{name}`, interleaved epochs): images/s ratio **{ratio:.3f}** "
                "(target >= 0.97)."
            )
            if r["trainer"]["to_99"] and r["bare"]["to_99"]:
                lines.append(
                    f"Time to 99.0%: trainer {r['trainer']['to_99']:.1f} s, "
                    f"bare loop {r['bare']['to_99']:.1f} s "
                    f"(ratio {r['trainer']['to_99'] / r['bare']['to_99']:.3f})."
                )
    if base and base["to_99"] and results[first]["trainer"]["to_99"]:
        lines.append(
            f"Time to 99.0%: the example takes {base['to_99'] / results[first]['trainer']['to_99']:.1f}x "
            f"as long as `{first}`."
        )
    if seeds:
        lines += ([""] if lines[-1] else []) + seed_table(first, results, seeds)
    if not final:
        lines.append("Run in progress: the rows above hold the epochs done so far.")
    lines.append("")
    atomic_write(args.out, lambda tmp: Path(tmp).write_text("\n".join(lines)))
    if final:
        print("\n".join(lines))


def seed_table(model: str, results: dict, seeds: dict) -> list[str]:
    """Markdown lines: final top-1, epochs and seconds to 99.0% of `model`'s trainer per seed."""
    runs = {SEED: results[model], **seeds}
    lines = [
        f"The same recipe from other seeds (`{model}`, trainer only):",
        "",
        "| seed | final top-1 | epoch reaching 99.0% | seconds to 99.0% | images/s |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for seed, r in sorted(runs.items()):
        row = r["trainer"]
        epoch = next((e for e, t, _, _ in row["rows"] if t >= 0.99), None)
        to99 = f"{row['to_99']:.1f}" if row["to_99"] is not None else "not reached"
        cells = [str(seed), f"{row['final']:.2%}", str(epoch or "not reached"), to99]
        lines.append("| " + " | ".join(cells) + f" | {row['images_per_s']:,.0f} |")
    finals = [r["trainer"]["final"] for r in runs.values()]
    lines += [
        "",
        f"Final top-1 over {len(finals)} seeds: {min(finals):.2%} to {max(finals):.2%}, "
        f"median {statistics.median(finals):.2%}.",
        "",
    ]
    return lines


if __name__ == "__main__":
    main()
