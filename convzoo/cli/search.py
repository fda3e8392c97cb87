"""convzoo search SPACE --strategy S --trials N; convzoo search show STUDY; convzoo search export STUDY."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import CliError, print_json

NAME = "search"
HELP = "architecture search (random, BlockQNN Q-learning, NASNet controller, evolution) as an Optuna study"

# Train's flags that apply to the proxy task (each the TrainConfig field of the same name).
TRAIN_FLAGS = ("data", "data_dir", "epochs", "batch_size", "lr", "train_limit", "test_limit", "image_size",
               "threads", "device")  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..search.engine import PRUNERS
    from ..search.spaces import SPACES
    from ..search.strategies import STRATEGIES

    parser.add_argument(
        "target",
        nargs="+",
        metavar="SPACE | show STUDY | export STUDY",
        help=f"a search space ({', '.join(SPACES)}) to search, or show/export a study",
    )
    parser.add_argument("--strategy", choices=tuple(STRATEGIES), default="random")
    parser.add_argument("--trials", type=int, default=20, help="trials of the study, between all its workers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--storage", help="SQLAlchemy URL (postgresql://...) or journal:PATH (default: RUN_DIR/studies.db)"
    )
    parser.add_argument("--study", help="study name (default: SPACE-STRATEGY)")
    parser.add_argument("--run-dir", default="runs/search", help="where the SQLite file and PNGs go")
    parser.add_argument("--pruner", choices=PRUNERS, default="none", help="early stopping of trials by epoch")
    parser.add_argument("--mu", type=float, default=0.0, help="BlockQNN's FLOPs penalty in the reward")
    parser.add_argument("--rho", type=float, default=0.0, help="BlockQNN's density penalty in the reward")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting of the space (e.g. max_layers=5, template=imagenet, filters=16)",
    )
    parser.add_argument(
        "--paper",
        action="store_true",
        help="the space at the paper's settings (default: a proxy-sized network)",
    )
    parser.add_argument("--data", help="proxy dataset (default: mnist-mini)")
    parser.add_argument("--data-dir")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--train-limit", type=int, metavar="N")
    parser.add_argument("--test-limit", type=int, metavar="N")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--device")
    parser.add_argument("--best", action="store_true", help="export: the best complete trial")
    parser.add_argument("--trial", type=int, help="export: this trial number")
    parser.add_argument("--out", help="export: the spec file to write (.yaml or .json)")
    parser.add_argument("--limit", type=int, default=20, help="show: rows of the leaderboard")


def _settings(pairs: list[str]) -> dict:
    import yaml

    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--set expects KEY=VALUE, got {pair!r}")
        settings[key] = yaml.safe_load(value)
    return settings


def run(args: argparse.Namespace) -> int:
    import optuna

    from ..data import DataError
    from ..search.spec import SpecError

    try:
        if args.target[0] in ("show", "export"):
            if len(args.target) != 2:
                raise CliError(f"expected: convzoo search {args.target[0]} STUDY")
            return (_show if args.target[0] == "show" else _export)(args, args.target[1])
        if len(args.target) != 1:
            raise CliError("expected one search space, or show STUDY / export STUDY")
        return _search(args, args.target[0])
    except (ValueError, DataError, SpecError, KeyError, optuna.exceptions.OptunaError) as e:
        raise CliError(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__) from None


def _load(args: argparse.Namespace, name: str):
    import optuna

    from ..search.engine import open_storage

    storage = open_storage(args.storage, args.run_dir)
    names = [s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)]
    if name not in names:
        raise CliError(f"no study {name!r} in {args.storage or Path(args.run_dir) / 'studies.db'}; studies: "
                       f"{', '.join(names) or 'none'}")  # fmt: skip
    return optuna.load_study(study_name=name, storage=storage)


def _show(args: argparse.Namespace, name: str) -> int:
    from ..search.results import format_leaderboard, leaderboard

    rows = leaderboard(_load(args, name))
    if args.json:
        print_json({"study": name, "leaderboard": rows})
    else:
        print(f"study {name}: {len(rows)} trials")
        print(format_leaderboard(rows, args.limit))
    return 0


def _export(args: argparse.Namespace, name: str) -> int:
    from ..search.results import best_trial
    from ..search.spec import write_spec

    if not args.out:
        raise CliError("export needs --out SPEC (a .yaml or .json file)")
    if args.best == (args.trial is not None):
        raise CliError("export needs --best or --trial N, one of them")
    study = _load(args, name)
    if args.best:
        trial = best_trial(study)
    else:
        matches = [
            t for t in study.get_trials(deepcopy=False) if t.number == args.trial and "spec" in t.user_attrs
        ]
        if not matches:
            raise CliError(f"study {name!r} has no trial {args.trial} with an architecture")
        trial = matches[0]
    path = write_spec(trial.user_attrs["spec"], args.out)
    top1 = f"{trial.value:.2%}" if trial.value is not None else "-"
    print(f"wrote {path}: trial {trial.number} of {name} (top-1 {top1}); train it with "
          f"`convzoo train --arch {path}`")  # fmt: skip
    return 0


def _search(args: argparse.Namespace, space: str) -> int:
    from ..search.plots import write_plots
    from ..search.results import format_leaderboard, leaderboard, trial_row
    from ..search.run import run_search

    best = [None]
    total = args.trials

    def progress(t) -> None:
        r = trial_row(t)
        if r["top1"] is not None and r["state"] == "complete":
            best[0] = max(best[0] or 0.0, r["top1"])
        top1 = f"{r['top1']:.2%}" if r["top1"] is not None else "-"
        line = (f"trial {t.number + 1:>3}/{total}  {r['strategy']}  {r['state']:<8}  top-1 {top1:>7}  "
                f"best {best[0] or 0:.2%}  {(r['macs'] or 0) / 1e6:.2f}M MACs  {r['params'] or 0:,} params  "
                f"{r['seconds'] or 0:.1f} s  spec {r['spec']}")  # fmt: skip
        if r["error"]:
            line += f"  error: {r['error'][:120]}"
        print(line, flush=True)

    train = {flag: getattr(args, flag) for flag in TRAIN_FLAGS}
    study = run_search(
        space,
        args.strategy,
        args.trials,
        settings=_settings(args.set),
        seed=args.seed,
        storage=args.storage,
        study_name=args.study,
        run_dir=args.run_dir,
        train=train,
        pruner=args.pruner,
        mu=args.mu,
        rho=args.rho,
        on_trial=progress,
        paper_settings=args.paper,
    )
    pictures = write_plots(study, Path(args.run_dir) / study.study_name)
    rows = leaderboard(study)
    if args.json:
        print_json({"study": study.study_name, "leaderboard": rows, "plots": [str(p) for p in pictures]})
        return 0
    print(f"\nstudy {study.study_name}: leaderboard (best first)")
    print(format_leaderboard(rows, 10))
    print("plots: " + ", ".join(str(p) for p in pictures))
    print(f"export the best: convzoo search export {study.study_name} --best --out best.yaml"
          + (f" --run-dir {args.run_dir}" if args.run_dir != "runs/search" else ""))  # fmt: skip
    return 0
