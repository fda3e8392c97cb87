"""The four search strategies at an equal trial budget on a real proxy task, then the best network
found retrained beside hand-designed baselines.

    python benchmarks/search_strategies.py [--data mnist --data-dir ../shared/data/mnist] [--trials 6]

1. For each strategy (random, qlearning, controller, evolution) and seed, one study of --trials
   trials over the BlockQNN space at proxy size (convzoo.search.objective.PROXY_SETTINGS), each
   trial trained with the search's proxy recipe on --train-limit images of the dataset for
   --epochs epochs and scored on --test-limit test images.
2. The best network of all studies and the baselines lenet5_modern and resnet20 trained with one
   recipe (AdamW, one-cycle) on --retrain-limit images for --retrain-epochs epochs, evaluated on
   the whole test set.

Writes benchmarks/RESULTS-search.md (machine, versions, load, seeds) and benchmarks/search_strategies.png.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from statistics import mean

from convzoo.analysis import summarize_registered
from convzoo.data import load_dataset
from convzoo.io import atomic_write, save_figure
from convzoo.registry import register_spec
from convzoo.search import run_search
from convzoo.search.results import best_trial
from convzoo.search.strategies import STRATEGIES
from convzoo.train import TrainConfig, Trainer
from convzoo.train.config import environment

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared"


def best_so_far(values: list[float]) -> list[float]:
    out, best = [], 0.0
    for v in values:
        best = max(best, v)
        out.append(best)
    return out


def search_runs(args, tmp: Path) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {name: [] for name in STRATEGIES}
    train = dict(data=args.data, data_dir=args.data_dir, epochs=args.epochs, train_limit=args.train_limit,
                 test_limit=args.test_limit)  # fmt: skip
    for seed in args.seeds:
        for name in STRATEGIES:
            start = time.perf_counter()
            storage = f"sqlite:///{tmp / 'bench.db'}"
            study = run_search("blockqnn", name, args.trials, seed=seed, storage=storage,
                               study_name=f"{name}-seed{seed}", run_dir=tmp, train=train)  # fmt: skip
            trials = sorted(study.trials, key=lambda t: t.number)
            values = [t.value if t.value is not None else 0.0 for t in trials]
            best = best_trial(study)
            attrs = best.user_attrs
            runs[name].append(dict(seed=seed, curve=best_so_far(values), seconds=time.perf_counter() - start,
                                   best=best.value, spec=attrs["spec"], macs=attrs["macs"],
                                   params=attrs["params"]))  # fmt: skip
            print(
                f"{name:<10} seed {seed}: best {best.value:.2%} in {runs[name][-1]['seconds']:.0f} s",
                flush=True,
            )
    return runs


def retrain(args, model: str) -> dict:
    ds = load_dataset(args.data, args.data_dir)
    ds = replace(ds, train=ds.train.subset(args.retrain_limit))
    cfg = TrainConfig(model=model, data=args.data, data_dir=args.data_dir, epochs=args.retrain_epochs,
                      optimizer="adamw", lr=3e-3, weight_decay=1e-4, schedule="onecycle", warmup_epochs=0.0,
                      label_smoothing=0.0, batch_size=64, threads=1)  # fmt: skip
    start = time.perf_counter()
    trainer = Trainer(cfg, None, dataset=ds, log=lambda _m: None)
    result = trainer.fit()
    size = (ds.in_chans, trainer.size, trainer.size)  # lenet5_modern trains at 32x32, the others at 28x28
    stats = summarize_registered(model, size, num_classes=10, in_chans=ds.in_chans)
    return dict(top1=result.final["top1"], seconds=time.perf_counter() - start, params=stats.trainable_params,
                macs=stats.total_macs, size=trainer.size)  # fmt: skip


def plot(runs: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, rs in runs.items():
        n = min(len(r["curve"]) for r in rs)
        curve = [mean(r["curve"][i] for r in rs) for i in range(n)]
        ax.plot(range(1, n + 1), curve, marker="o", ms=3, label=name)
    ax.set(xlabel="trial", ylabel=f"best proxy top-1 so far (mean of {len(next(iter(runs.values())))} seeds)",
           title="BlockQNN space, equal trial budget")  # fmt: skip
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="mnist")
    parser.add_argument("--data-dir", default=str(SHARED / "data" / "mnist"))
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-limit", type=int, default=1000)
    parser.add_argument("--test-limit", type=int, default=500)
    parser.add_argument("--retrain-epochs", type=int, default=2)
    parser.add_argument("--retrain-limit", type=int, default=10000)
    parser.add_argument("--out", default=str(HERE / "RESULTS-search.md"))
    parser.add_argument("--plot", default=str(HERE / "search_strategies.png"))
    args = parser.parse_args()
    load_start = os.getloadavg()
    cache = Path(args.out).with_suffix(".runs.json")  # the searches, kept if the retraining fails
    if cache.exists():
        runs = json.loads(cache.read_text())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            runs = search_runs(args, Path(tmp))
        atomic_write(cache, lambda tmp: Path(tmp).write_text(json.dumps(runs)))
    winner = max((r for rs in runs.values() for r in rs), key=lambda r: r["best"])
    found = register_spec(winner["spec"], "best-found")
    final = {name: retrain(args, name) for name in (found, "lenet5_modern", "resnet20")}
    load_end = os.getloadavg()
    plot(runs, Path(args.plot))
    env = environment()
    lines = [
        "# Architecture search: four strategies at an equal budget",
        "",
        f"`python benchmarks/search_strategies.py --data {args.data} --trials {args.trials} "
        f"--seeds {' '.join(map(str, args.seeds))}`: the BlockQNN space at proxy size, each trial "
        f"{args.epochs} epochs on {args.train_limit} {args.data} training images, scored on "
        f"{args.test_limit} "
        f"test images. Machine: {env['machine']['cpu']} ({env['machine']['cpu_count']} cores, shared), "
        f"torch {env['versions']['torch']}, convzoo {env['versions']['convzoo']}; load average "
        f"{load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end (timings are only comparable "
        "within this table).",
        "",
        "| strategy | best proxy top-1 per seed | mean | mean wall time per study (s) |",
        "| --- | --- | --- | --- |",
    ]
    for name, rs in runs.items():
        per_seed = ", ".join(f"{r['best']:.2%}" for r in rs)
        lines.append(
            f"| {name} | {per_seed} | {mean(r['best'] for r in rs):.2%} "
            f"| {mean(r['seconds'] for r in rs):.0f} |"
        )
    lines += [
        "",
        "Best-so-far accuracy against trial (mean over seeds): `search_strategies.png`. With "
        f"{args.trials} trials Q-learning is still in its epsilon = 1 phase (Table 2's schedule spends 53% "
        "of the budget exploring) and evolution's population is barely formed, so at this budget they "
        "mostly sample like random search; the synthetic test (tests/search/test_strategies.py) shows "
        "them ahead over 300 trials.",
        "",
        f"The best network found (seed {winner['seed']}, proxy top-1 {winner['best']:.2%}) retrained beside "
        f"hand-designed baselines with one recipe (AdamW, one-cycle, {args.retrain_epochs} epochs on "
        f"{args.retrain_limit} training images, the whole test set):",
        "",
        "| network | test top-1 | params | MACs (at its input size) | training s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, r in final.items():
        label = f"best found ({winner['spec']['arch']['codes']})" if name == found else name
        lines.append(
            f"| {label} | {r['top1']:.2%} | {r['params']:,} | {r['macs'] / 1e6:.2f}M | {r['seconds']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(text))
    cache.unlink()
    print(text)


if __name__ == "__main__":
    main()
