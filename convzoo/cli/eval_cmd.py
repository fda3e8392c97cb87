"""convzoo eval CHECKPOINT: top-1, top-5 and per-class accuracy on a dataset's test split."""

from __future__ import annotations

import argparse
import time

from .common import CliError, print_json

NAME = "eval"
HELP = "evaluate a checkpoint written by `convzoo train`: top-1/top-5 and per-class accuracy"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a .safetensors checkpoint from a run directory")
    parser.add_argument("--data", help="dataset name or image folder (default: the one it was trained on)")
    parser.add_argument("--data-dir", help="folder with the dataset's original files")
    parser.add_argument(
        "--tta", choices=("none", "flip", "multicrop"), default="none", help="test-time augmentation"
    )
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N test images")


def run(args: argparse.Namespace) -> int:
    from ..data import DataError, load_dataset
    from ..inference import tta_predictor
    from ..train import load_checkpoint
    from ..train.metrics import evaluate

    start = time.perf_counter()
    try:
        model, meta = load_checkpoint(args.checkpoint)
        data = args.data or meta["dataset"]
        ds = load_dataset(data, args.data_dir, in_chans=meta["in_chans"])
    except (DataError, ValueError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    if ds.num_classes != meta["num_classes"] or ds.in_chans != meta["in_chans"]:
        raise CliError(
            f"{args.checkpoint} predicts {meta['num_classes']} classes "
            f"from {meta['in_chans']}-channel images; "
            f"{data} has {ds.num_classes} classes and {ds.in_chans} channels"
        )
    test = ds.test.subset(args.limit).resized(meta["input_size"][-1])
    mean, std = ds.stats()
    result = evaluate(
        model, test.batches(args.batch_size, mean, std), ds.num_classes, predict=tta_predictor(args.tta)
    )
    summary = {
        "model": meta["model"],
        "dataset": data,
        "epochs": meta.get("epoch"),
        "seconds": round(time.perf_counter() - start, 3),
        "top1": result["top1"],
        "top5": result["top5"],
        "loss": result["loss"],
        "count": result["count"],
        "tta": args.tta,
        "per_class": dict(zip(ds.classes, result["per_class"], strict=True)),
        "checkpoint": args.checkpoint,
    }
    width = max(len(c) for c in ds.classes)
    print(f"{meta['model']} on {data} test ({result['count']} images, TTA {args.tta}):")
    print(f"  top-1 {result['top1']:.2%}   top-5 {result['top5']:.2%}   loss {result['loss']:.4f}")
    for name, acc in summary["per_class"].items():
        print(f"  {name.ljust(width)}  {acc:.2%}")
    if args.json:
        print_json(summary)
    return 0
