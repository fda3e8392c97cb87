"""Transfer learning on MNIST: pretrain on digits 0-4, transfer to digits 5-9 with few labels.

    python benchmarks/transfer_mnist.py [--data-dir ../shared/data/mnist] [--quick]

1. Pretrain `lenet5_modern` on every training image of digits 0-4 (the default LeNet recipe for
   MNIST, --pretrain-epochs epochs); the run is cached in --cache-dir and reused.
2. Draw 10, 50 and 200 labelled training images per class of digits 5-9 (relabelled 0-4; one draw
   per seed) and train, for the same number of optimizer steps each:
   - linear: the pretrained network frozen, a new final layer trained (`finetune --mode linear`);
   - head (F6+output): a new final layer and F6 trained (`--mode partial --unfreeze 0`);
   - partial (C5+head): a new final layer, F6 and C5 trained (`--mode partial --unfreeze 1`);
   - full: everything trained, a new final layer, lr x0.5 per stage towards the input;
   - scratch: the same network from a random initialisation, everything trained;
   - random features: the same network randomly initialised and frozen, only the final layer
     trained (a linear probe on untrained features).
   Every run is evaluated on all test images of digits 5-9.
3. Fine-tune a seeded (not ImageNet-trained) torchvision-layout resnet18 on the ants-vs-bees image
   folder with `convzoo finetune --mode linear`, to show the image-folder path end to end.

Writes benchmarks/RESULTS-transfer.md and benchmarks/transfer_mnist.png (--quick: neither, unless
--out / --plot are given).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import mean, stdev

import torch

from convzoo import create_model
from convzoo.data import ArraySplit, Dataset, fit_to_size, load_dataset, normalize
from convzoo.pipeline import transfer_step
from convzoo.train import Trainer, resolve_config
from convzoo.train.checkpoint import read_meta, resolve_checkpoint, save_tensors
from convzoo.train.config import environment
from convzoo.weights import read_state_dict

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared"
SOURCE_DIGITS, TARGET_DIGITS = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
# method -> (convzoo finetune --mode, --unfreeze K); scratch trains a random initialisation
FINETUNE = {
    "linear": ("linear", 0),
    "head (F6+output)": ("partial", 0),
    "partial (C5+head)": ("partial", 1),
    "full": ("full", 0),
    "random features": ("linear", 0),
}
METHODS = (*FINETUNE, "scratch")
LINEAR_PROBES = ("linear", "random features")


@dataclass(frozen=True)
class Settings:
    """What one experiment runs; quick() is the few-second version the tests use."""

    model: str = "lenet5_modern"
    labels: tuple[int, ...] = (10, 50, 200)
    seeds: tuple[int, ...] = (0, 1, 2)
    steps: int = 500  # optimizer steps of every transfer run, whatever its number of labels
    batch_size: int = 64
    pretrain_epochs: int = 3
    pretrain_limit: int | None = None  # training images of digits 0-4 (None: all)
    test_limit: int | None = None  # test images of digits 5-9 (None: all)
    lr: float | None = None  # peak learning rate of the transfer runs (None: the recipe's, 6e-3)
    probe_lr: float = 0.1  # peak learning rate of the linear probes (one layer: 6e-3 underfits)
    lr_decay: float = 0.5
    threads: int = 1

    @classmethod
    def quick(cls) -> Settings:
        return cls(seeds=(0,), steps=8, pretrain_epochs=1, pretrain_limit=1000, test_limit=500)


def select_digits(ds: Dataset, digits: tuple[int, ...]) -> Dataset:
    """The images of some digits only, relabelled 0..len(digits)-1."""

    def keep(split: ArraySplit) -> ArraySplit:
        lookup = torch.full((10,), -1, dtype=torch.long)
        lookup[list(digits)] = torch.arange(len(digits))
        mask = lookup[split.labels] >= 0
        return ArraySplit(split.images[mask], lookup[split.labels[mask]])

    return replace(ds, classes=[ds.classes[d] for d in digits], train=keep(ds.train), test=keep(ds.test))


def draw_per_class(split: ArraySplit, per_class: int, seed: int) -> ArraySplit:
    """`per_class` images of every class, drawn at random with `seed`."""
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in split.labels.unique():
        where = (split.labels == label).nonzero().flatten()
        chosen.append(where[torch.randperm(len(where), generator=generator)[:per_class]])
    idx = torch.cat(chosen)
    return ArraySplit(split.images[idx], split.labels[idx])


def repeat_to(split: ArraySplit, count: int) -> ArraySplit:
    """The split repeated (whole copies, then a head) to `count` items: one epoch = a step budget."""
    idx = torch.arange(count) % len(split)
    return ArraySplit(split.images[idx], split.labels[idx])


def quiet(_message: str) -> None:
    pass


@dataclass
class Experiment:
    """The transfer runs (one row per method, labels per class and seed) and the pretrained model."""

    rows: list[dict]
    pretrain_top1: float  # on the test images of digits 0-4
    features: dict[str, tuple[int, int, float]]  # see feature_diagnostics


def pretrain(settings: Settings, source: Dataset, cache: Path, log=print) -> Path:
    """The pretrained run on digits 0-4 (cached under `cache`, keyed by its settings)."""
    limit = settings.pretrain_limit
    run = cache / f"pretrain-{settings.model}-e{settings.pretrain_epochs}-n{limit or 'all'}"
    if (run / "checkpoints" / "best.safetensors").is_file():
        log(f"pretrained run: reusing {run}")
        return run
    if run.exists():  # an interrupted run: start it again
        for path in sorted(run.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
    overrides = {"epochs": settings.pretrain_epochs, "threads": settings.threads, "train_limit": limit}
    cfg = resolve_config(settings.model, {"data": "mnist", "seed": 0, **overrides})
    perm = torch.randperm(len(source.train), generator=torch.Generator().manual_seed(0))
    shuffled = ArraySplit(source.train.images[perm], source.train.labels[perm])  # a limit takes all digits
    result = Trainer(cfg, run, dataset=replace(source, train=shuffled), log=quiet).fit()
    log(f"pretrained {settings.model} on digits 0-4 ({len(shuffled.subset(limit))} images, "
        f"{cfg.epochs} epochs): test top-1 {result.final['top1']:.2%} in {result.seconds:.0f} s")  # fmt: skip
    return run


@torch.inference_mode()
def feature_diagnostics(run: Path, target: Dataset, model: str, count: int = 2000) -> dict[str, tuple]:
    """The pretrained C5 and F6 features on test digits 5-9: (width, units never active, effective rank).

    Effective rank: the participation ratio (sum s)^2 / sum s^2 of the centred features' singular values.
    """
    net = create_model(model, num_classes=len(SOURCE_DIGITS))
    net.load_state_dict(read_state_dict(resolve_checkpoint(run)))
    net.eval()
    images = fit_to_size(target.test.images[:count], net.default_input_size[-1])
    c5 = net.forward_features(normalize(images, *target.stats()))
    layers = {"C5": c5.flatten(1), "F6": net.forward_head(c5, pre_logits=True)}
    out = {}
    for name, feats in layers.items():
        s = torch.linalg.svdvals(feats - feats.mean(0))
        dead = int(((feats > 0).sum(0) == 0).sum())
        out[name] = (feats.shape[1], dead, float(s.sum() ** 2 / s.square().sum()))
    return out


def random_weights(settings: Settings, seed: int, num_classes: int, cache: Path) -> Path:
    """An untrained network's weights (seeded), to load and freeze for the random-features probe."""
    path = cache / f"random-{settings.model}-seed{seed}.safetensors"
    torch.manual_seed(seed)
    save_tensors(path, create_model(settings.model, num_classes=num_classes).state_dict())
    return path


def transfer_run(
    settings: Settings, method: str, train: ArraySplit, target: Dataset, weights: Path | None, seed: int
) -> dict:
    """Train one method on `train` for settings.steps steps; test top-1 on all of target.test."""
    mode, unfreeze = FINETUNE.get(method, (None, 0))
    lr = settings.probe_lr if method in LINEAR_PROBES else settings.lr
    overrides = {"data": "mnist", "epochs": 1, "seed": seed, "threads": settings.threads,
                 "batch_size": settings.batch_size, "lr": lr, "test_limit": settings.test_limit}  # fmt: skip
    if mode:
        overrides.update(weights=str(weights), finetune=mode, unfreeze=unfreeze, lr_decay=settings.lr_decay)
    cfg = resolve_config(settings.model, overrides)
    budget = replace(target, train=repeat_to(train, settings.steps * settings.batch_size))
    trainer = Trainer(cfg, dataset=budget, log=quiet, prepare=transfer_step(cfg))
    if mode:  # a new final layer, as the classes are new (same count: load_pretrained kept the old one)
        torch.manual_seed(seed)
        trainer.model.get_classifier().reset_parameters()
    result = trainer.fit()
    return {"method": method, "labels": len(train) // target.num_classes, "seed": seed,
            "top1": result.final["top1"], "seconds": result.seconds}  # fmt: skip


def run_experiment(settings: Settings, data_dir: str | Path, cache: Path, log=print) -> Experiment:
    """Pretrain (or reuse the cached run), then every (method, labels per class, seed) transfer run."""
    torch.set_num_threads(settings.threads)
    mnist = load_dataset("mnist", data_dir)
    source, target = select_digits(mnist, SOURCE_DIGITS), select_digits(mnist, TARGET_DIGITS)
    cache.mkdir(parents=True, exist_ok=True)
    pretrained = pretrain(settings, source, cache, log)
    pretrain_top1 = read_meta(resolve_checkpoint(pretrained))["top1"]
    diagnostics = feature_diagnostics(pretrained, target, settings.model)
    log(describe_features(diagnostics))
    rows = []
    for seed in settings.seeds:
        random_init = random_weights(settings, seed, target.num_classes, cache)
        for per_class in settings.labels:
            train = draw_per_class(target.train, per_class, seed=1000 + seed)
            for method in METHODS:
                weights = random_init if method == "random features" else pretrained
                row = transfer_run(settings, method, train, target, weights, seed)
                log(f"seed {seed}  {per_class:>4} labels/class  {method:<17} top-1 {row['top1']:.2%}  "
                    f"{row['seconds']:.1f} s")  # fmt: skip
                rows.append(row)
    return Experiment(rows, pretrain_top1, diagnostics)


def describe_features(diagnostics: dict[str, tuple[int, int, float]]) -> str:
    return "pretrained features on test digits 5-9: " + "; ".join(
        f"{k}: {dead} of {width} units never active, effective rank {rank:.1f}"
        for k, (width, dead, rank) in diagnostics.items()
    )


def summarise(rows: list[dict]) -> dict[tuple[str, int], tuple[float, float, int]]:
    """(method, labels per class) -> (mean top-1, std over seeds, number of seeds)."""
    groups: dict[tuple[str, int], list[float]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["labels"]), []).append(row["top1"])
    return {k: (mean(v), stdev(v) if len(v) > 1 else 0.0, len(v)) for k, v in groups.items()}


def markdown_table(summary: dict, labels: tuple[int, ...]) -> list[str]:
    lines = [
        "| method | " + " | ".join(f"{n} labels/class" for n in labels) + " |",
        "| --- |" + " ---: |" * len(labels),
    ]
    for method in METHODS:
        cells = []
        for n in labels:
            top1, spread, count = summary[(method, n)]
            cells.append(f"{top1:.2%} ± {spread:.2%}" if count > 1 else f"{top1:.2%}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def comparisons(summary: dict, labels: tuple[int, ...]) -> list[str]:
    """Which pretrained methods beat scratch training and the random-features probe (mean top-1)."""
    lines = []
    for n in labels:
        scratch, probe = summary[("scratch", n)][0], summary[("random features", n)][0]
        beat = [m for m in FINETUNE if m != "random features" and summary[(m, n)][0] > max(scratch, probe)]
        lost = [m for m in FINETUNE if m != "random features" and m not in beat]
        lines.append(
            f"- {n} labels/class: beat both scratch ({scratch:.2%}) and random features ({probe:.2%}): "
            f"{', '.join(beat) or 'none'}; did not: {', '.join(lost) or 'none'}."
        )
    return lines


def plot(summary: dict, labels: tuple[int, ...], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(8.0, 4.4))
    for method in METHODS:
        means = [100 * summary[(method, n)][0] for n in labels]
        spreads = [100 * summary[(method, n)][1] for n in labels]
        style = {"scratch": "--", "random features": ":"}.get(method, "-")
        ax.errorbar(labels, means, yerr=spreads, marker="o", capsize=3, linestyle=style, label=method)
    ax.set_xscale("log")
    ax.set_xticks(labels, [str(n) for n in labels])
    ax.set_xlabel("labelled training images per class (digits 5-9)")
    ax.set_ylabel("test top-1 on all digits 5-9 (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def folder_finetune(cache: Path, data: Path, epochs: int, threads: int) -> dict:
    """`convzoo finetune resnet18 --mode linear` on an image folder from seeded torchvision weights."""
    sys.path.insert(0, str(SHARED / "reference"))
    import seeded

    weights = cache / "resnet18-seeded-torchvision.pth"
    torch.save(seeded.state_dict(seeded.load("resnet18")), weights)
    out = cache / f"hymenoptera-{time.strftime('%Y%m%d-%H%M%S')}"
    argv = ["convzoo", "finetune", "resnet18", "--weights", str(weights), "--data", str(data), "--mode",
            "linear", "--epochs", str(epochs), "--threads", str(threads), "--out", str(out)]  # fmt: skip
    argv.append("--json")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "convzoo", *argv[1:]], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    stdout = done.stdout.strip().splitlines()
    summary = json.loads(stdout.pop()) if done.returncode == 0 and stdout else {}  # --json: the last line
    printed = [line.replace(str(cache), "CACHE") for line in [*done.stderr.splitlines(), *stdout] if line]
    shown_data = os.path.relpath(data, HERE.parent)
    command = " ".join(argv).replace(str(cache), "CACHE").replace(str(data), shown_data)
    return {"command": command, "rc": done.returncode, "printed": printed, "stderr": done.stderr[-2000:],
            "summary": summary, "seconds": seconds}  # fmt: skip


def report(settings: Settings, args: argparse.Namespace, experiment: Experiment, folder: dict | None,
           seconds: float, load_before: str) -> list[str]:  # fmt: skip
    env = environment()
    summary = summarise(experiment.rows)
    lr = settings.lr or resolve_config(settings.model, {"data": "mnist"}).lr
    lines = [
        "# Transfer learning on MNIST: digits 0-4 to digits 5-9 with few labels",
        "",
        f"Command: `python benchmarks/transfer_mnist.py{' --quick' if args.quick else ''}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s in all.",
        f"Machine: {env['machine']['cpu']}, {env['machine']['cpu_count']} cores visible, "
        f"{platform.platform()}; {settings.threads} torch thread(s).",
        f"Versions: convzoo {env['versions']['convzoo']}, torch {env['versions']['torch']}, "
        f"numpy {env['versions']['numpy']}, Python {env['versions']['python']}.",
        f"Seeds: {', '.join(map(str, settings.seeds))} (seed s: training order, head and random "
        f"initialisation s, label draw 1000+s); pretraining seed 0. Load average (1/5/15 min) before: "
        f"{load_before}; after: {load_avg()} (the machine is shared).",
        "",
        f"Pretraining: `{settings.model}`, the default LeNet recipe for MNIST with "
        f"{settings.pretrain_epochs} epochs, on all "
        f"{'' if settings.pretrain_limit is None else f'(first {settings.pretrain_limit}) '}training "
        f"images of digits 0-4: test top-1 {experiment.pretrain_top1:.2%} on digits 0-4.",
        f"Transfer: {settings.steps} optimizer steps of batch {settings.batch_size} for every method and "
        "label count (the labelled images repeated, with the MNIST recipe's +-2 px translations), AdamW, "
        f"one-cycle schedule, weight decay 1e-4, peak lr {lr} ({settings.probe_lr} for the two linear "
        f"probes, linear and random features); full fine-tuning multiplies the lr by {settings.lr_decay} per "
        "stage towards the input. The pretrained methods get a new final layer (default init, seeded). "
        f"Test: {'all' if settings.test_limit is None else f'the first {settings.test_limit}'} test "
        "images of digits 5-9.",
        "",
        f"Test top-1 on digits 5-9, mean ± std over {len(settings.seeds)} seed(s):",
        "",
        *markdown_table(summary, settings.labels),
        "",
        *comparisons(summary, settings.labels),
        "",
        f"Frozen {describe_features(experiment.features)} (first 2,000 test images; effective rank: "
        "participation ratio of the centred features' singular values).",
        "",
        "![accuracy vs labels per class](transfer_mnist.png)",
        "",
    ]
    if folder:
        top1 = folder["summary"].get("top1")
        lines += [
            "## Image folder: ants vs bees, `convzoo finetune --mode linear`",
            "",
            f"`{folder['command']}` (CACHE: the script's cache folder; the weights file is "
            "`seeded.state_dict(seeded.load('resnet18'))` from shared/reference/seeded.py, saved with "
            f"torch.save), exit status {folder['rc']}, {folder['seconds']:.0f} s. It printed:",
            "",
            "```",
            *folder["printed"],
            "```",
            "",
        ]
        if top1 is not None:
            lines.append(
                f"Test top-1 **{top1:.2%}** on the val/ images. The weights are seeded random "
                "numbers in torchvision's resnet18 layout, not ImageNet-trained, so their features carry "
                "no information about ants or bees: accuracy near chance (50%) is what this run should "
                "give. The loss in the thousands has the same cause: the seeded backbone's pooled features "
                "are far from unit scale (random weights and BatchNorm statistics; a norm near 1,500 per "
                "image), so the new layer's logits at lr 0.05 (the ResNet recipe's) are huge. The run shows "
                "that the torchvision file loads (head re-initialised for 2 classes) and that an image "
                "folder trains and evaluates end to end; nothing more."
            )
        else:
            lines += ["The run failed:", "", "```", folder["stderr"], "```"]
        lines.append("")
    return lines


def load_avg() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=str(SHARED / "data" / "mnist"))
    parser.add_argument("--quick", action="store_true", help="a few-second run: one seed, 8 steps")
    parser.add_argument("--steps", type=int, help="optimizer steps per transfer run (default 300)")
    parser.add_argument("--seeds", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--lr", type=float, help="peak lr of the transfer runs (default: the recipe's)")
    parser.add_argument("--pretrain-epochs", type=int)
    parser.add_argument("--cache-dir", help="pretrained run and weights files (default: a temp folder)")
    parser.add_argument("--folder-data", default=str(SHARED / "data" / "hymenoptera_data"))
    parser.add_argument("--folder-epochs", type=int, default=2)
    parser.add_argument("--skip-folder", action="store_true", help="no ants-vs-bees finetune run")
    parser.add_argument("--out", help="results file (default: benchmarks/RESULTS-transfer.md)")
    parser.add_argument("--plot", help="plot file (default: benchmarks/transfer_mnist.png)")
    args = parser.parse_args(argv)

    settings = Settings.quick() if args.quick else Settings()
    changes = {"steps": args.steps, "lr": args.lr, "pretrain_epochs": args.pretrain_epochs}
    if args.seeds:
        changes["seeds"] = tuple(int(s) for s in args.seeds.split(","))
    settings = replace(settings, **{k: v for k, v in changes.items() if v is not None})
    out = Path(args.out) if args.out else None if args.quick else HERE / "RESULTS-transfer.md"
    plot_path = Path(args.plot) if args.plot else None if args.quick else HERE / "transfer_mnist.png"

    load_before, start = load_avg(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="convzoo-transfer-") as tmp:
        cache = Path(args.cache_dir or tmp)
        experiment = run_experiment(settings, args.data_dir, cache)
        folder = None
        have_folder = Path(args.folder_data).is_dir() and (SHARED / "reference" / "seeded.py").is_file()
        if have_folder and not (args.skip_folder or args.quick):
            folder = folder_finetune(cache, Path(args.folder_data), args.folder_epochs, settings.threads)
        seconds = time.perf_counter() - start
        lines = report(settings, args, experiment, folder, seconds, load_before)
    if plot_path:
        title = f"{settings.model}: pretrained on digits 0-4, {settings.steps} steps per run"
        plot(summarise(experiment.rows), settings.labels, plot_path, title)
    if out:
        out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
