"""convzoo train MODEL --data NAME: train with the model family's default recipe; write a run directory."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .common import CliError, human_printer, print_json

NAME = "train"
HELP = "train a model on a dataset (default: mnist-mini, shipped with convzoo); writes a run directory"

# CLI flag -> TrainConfig field, for the flags that map one to one.
FLAGS = {
    "data": "data",
    "data_dir": "data_dir",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "lr": "lr",
    "optimizer": "optimizer",
    "schedule": "schedule",
    "seed": "seed",
    "augment": "augment",
    "ema": "ema_decay",
    "threads": "threads",
    "bf16": "bf16",
    "workers": "workers",
    "device": "device",
    "train_limit": "train_limit",
    "test_limit": "test_limit",
    "init_from": "init_from",
    "save": "save",
    "recipe": "recipe",
    # convzoo finetune's flags (absent from train's parser)
    "weights": "weights",
    "mode": "finetune",
    "unfreeze": "unfreeze",
    "lr_decay": "lr_decay",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..data.augment import AUGMENT_PRESETS
    from ..data.segmentation import SEG_AUGMENT_PRESETS
    from ..train.config import OPTIMIZERS, SCHEDULES
    from ..train.precision import parse_bf16
    from ..train.threads import parse_threads

    parser.add_argument("model", nargs="?", help="registered model name (see `convzoo list`)")
    parser.add_argument("--arch", metavar="SPEC", help="train an architecture spec (.json/.yaml) instead")
    parser.add_argument("--data", help="dataset name (mnist-mini, mnist, fashion-mnist, kmnist, cifar10, "
                        "cifar100, shapes, shapes-seg) or a folder: one sub-folder of images per class; "
                        "for segmentation, images/ + masks/ or Pascal VOC; for detection, shapes-detect, "
                        "a VOC folder, a COCO instances_*.json or YOLO images/ + labels/")  # fmt: skip
    parser.add_argument("--data-dir", help="folder with the dataset's original files")
    parser.add_argument("--download", action="store_true", help="fetch missing dataset files (checksummed)")
    parser.add_argument(
        "--recipe",
        choices=("paper", "small"),
        help="the family's recipe: the paper's, or the small-data one "
        "(default: small for the named datasets, paper for image folders; see `convzoo info MODEL`)",
    )
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, help="peak learning rate")
    parser.add_argument("--optimizer", choices=OPTIMIZERS)
    parser.add_argument("--schedule", choices=SCHEDULES)
    parser.add_argument(
        "--augment",
        choices=("auto", *dict.fromkeys((*AUGMENT_PRESETS, *SEG_AUGMENT_PRESETS))),
        help="augmentation (auto: the dataset's preset; elastic: segmentation's elastic deformation)",
    )
    parser.add_argument(
        "--ema", type=float, metavar="DECAY", help="evaluate an EMA of the weights (e.g. 0.999)"
    )
    parser.add_argument(
        "--bf16",
        nargs="?",
        const=True,
        type=parse_bf16,
        metavar="on|off|auto",
        help="bfloat16 autocast (a bare --bf16: on; auto: where the CPU or GPU computes it natively; "
        "default: the recipe's, else off)",
    )
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (train and eval)")
    parser.add_argument(
        "--grad-checkpointing",
        action="store_true",
        help="recompute each stage's activations in backward instead of keeping them (less memory, slower)",
    )
    parser.add_argument(
        "--threads",
        type=parse_threads,
        help="torch threads, or 'auto': the fastest of 1 and all cores in timed steps "
        "(default: the recipe's, else torch's)",
    )
    parser.add_argument("--workers", type=int, help="processes decoding image files (image folders only)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    parser.add_argument(
        "--train-limit",
        type=int,
        metavar="N",
        help="use only N training images (image folders: a seeded sample of every class)",
    )
    parser.add_argument(
        "--test-limit",
        type=int,
        metavar="N",
        help="use only N test images (image folders: a seeded sample of every class)",
    )
    parser.add_argument(
        "--config", metavar="RUN.yaml", help="settings file (any TrainConfig field); flags win"
    )
    parser.add_argument("--out", help="run directory (default: runs/MODEL-DATA-TIME)")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out after a crash or Ctrl-C"
    )
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--no-weight-map",
        action="store_true",
        help="segmentation: plain pixel-wise cross-entropy instead of U-Net's weight map",
    )
    parser.add_argument(
        "--save",
        choices=("last", "best", "all"),
        help="weights to keep: last (default), best (the epoch of highest test top-1), all (both)",
    )
    parser.add_argument(
        "--keep-resume",
        action="store_true",
        help="keep the resume state (weights + optimizer) after the run finishes, to continue it later",
    )
    parser.add_argument(
        "--init-from",
        metavar="RUN_OR_CHECKPOINT",
        help="copy the layers this model shares with a trained one (VGG: the paper's progressive init)",
    )


def _settings(args: argparse.Namespace) -> dict:
    values = {field: getattr(args, flag, None) for flag, field in FLAGS.items()}
    # store_true flags: absent = unset
    for field in ("download", "channels_last", "compile", "grad_checkpointing", "keep_resume"):
        if getattr(args, field):
            values[field] = True
    if getattr(args, "no_weight_map", False):
        values["weight_map"] = False
    return values


def run(args: argparse.Namespace) -> int:
    from ..data import DataError
    from ..registry import UnknownModelError
    from ..train import NonFiniteLossError, read_config_file, resolve_config, train
    from ..train.lock import RunDirectoryBusyError, check_free
    from ..train.rundir import RunDir

    main_rank = os.environ.get("RANK", "0") == "0"
    if (args.model is None) == (getattr(args, "arch", None) is None):
        raise CliError("expected a MODEL or --arch SPEC, one of them")
    args.model = args.model or args.arch
    say = human_printer(args)
    out = args.out
    try:
        layers = []
        if args.out:
            check_free(args.out)
        if args.resume:
            if not args.out:
                raise CliError("--resume needs --out DIR, the run directory to continue")
            layers.append(RunDir(Path(args.out)).saved_config())
        if args.config:
            layers.append(read_config_file(args.config))
        cfg = resolve_config(args.model, *layers, _settings(args))
        data_name = Path(cfg.data).name or "data"
        model_name = Path(cfg.model).stem if args.arch else cfg.model
        out = out or f"runs/{model_name}-{data_name}-{time.strftime('%Y%m%d-%H%M%S')}"
        result = train(cfg, out, resume=args.resume, log=say)
    except NonFiniteLossError as e:
        print(f"convzoo {args.command}: {e}", file=sys.stderr)
        return 1
    except (
        UnknownModelError,
        DataError,
        ValueError,
        FileExistsError,
        FileNotFoundError,
        RunDirectoryBusyError,
    ) as e:
        raise CliError(str(e)) from None
    except KeyboardInterrupt:
        if main_rank:
            print(
                f"convzoo {args.command}: resume with: "
                f"convzoo {args.command} {args.model} --out {out} --resume"
                + (f" --weights {args.weights}" if getattr(args, "weights", None) else ""),
                file=sys.stderr,
            )
        raise
    if not main_rank:
        return 0
    summary = result.summary()
    say(
        f"{cfg.model} on {cfg.data}: {result.task.headline(summary)} "
        f"after {summary['epochs']} epoch{'s' if summary['epochs'] != 1 else ''} "
        f"in {summary['seconds']:.1f} s\n"
        f"run directory: {result.run_dir}  ({', '.join(result.task.artifacts)})\n"
        f"checkpoint: {summary['checkpoint']}"
    )
    if args.json:
        print_json(summary)
    return 0
