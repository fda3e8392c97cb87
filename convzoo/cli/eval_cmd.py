"""convzoo eval CHECKPOINT...: top-1, top-5 and per-class accuracy on a dataset's test split
(segmentation checkpoints: mIoU, Dice, pixel accuracy and per-class IoU); several classifier
checkpoints are evaluated as an ensemble (their probabilities averaged)."""

from __future__ import annotations

import argparse
import time

from .common import CliError, evaluation_head, human_printer, print_json, require_positive

NAME = "eval"
HELP = (
    "evaluate checkpoints written by `convzoo train` (files or run directories): top-1/top-5 and "
    "per-class accuracy (detectors: mAP); several classifiers are averaged as an ensemble"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoints",
        nargs="+",
        metavar="CHECKPOINT",
        help="a .safetensors checkpoint or a run directory; several: an ensemble averaging probabilities",
    )
    parser.add_argument("--data", help="dataset name or image folder (default: the one it was trained on)")
    parser.add_argument(
        "--data-dir", help="folder with the dataset's files (default: the one it was trained on)"
    )
    parser.add_argument(
        "--tta", choices=("none", "flip", "multicrop"), default="none", help="test-time augmentation"
    )
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--compile", action="store_true", help="torch.compile the model first")
    parser.add_argument("--limit", type=int, metavar="N", help="evaluate only N test images")
    parser.add_argument(
        "--tile",
        type=int,
        metavar="SIDE",
        help="segmentation: overlap-tile prediction with SIDE x SIDE inputs",
    )


def run(args: argparse.Namespace) -> int:
    from ..data import DataError, load_dataset
    from ..inference import tta_predictor
    from ..preprocessing import checkpoint_split
    from ..train.checkpoint import checkpoint_stats, data_source
    from ..train.compile import compile_model
    from ..train.ensemble import load_ensemble
    from ..train.metrics import evaluate
    from ..weights import WeightsMismatchError

    start = time.perf_counter()
    say = human_printer(args)
    require_positive(batch_size=args.batch_size, limit=args.limit)
    args.checkpoint = args.checkpoints[0]
    try:
        model, meta = load_ensemble(args.checkpoints)
        if len(args.checkpoints) > 1 and meta.get("task", "classification") != "classification":
            raise CliError(f"ensembles are of classifiers; evaluate {meta['task']} checkpoints one at a time")
        if args.compile:
            model = compile_model(model)
        if meta.get("task") == "detection":
            from . import detection

            return detection.evaluate(args, model, meta)
        data, data_dir = data_source(meta, args.data, args.data_dir)
        ds = load_dataset(data, data_dir, in_chans=meta["in_chans"])
        ds.require_images("test")
    except (DataError, ValueError, FileNotFoundError, WeightsMismatchError) as e:
        raise CliError(str(e)) from None
    if meta.get("task") == "segmentation":
        return _evaluate_segmentation(args, model, meta, ds, data, start)
    if ds.num_classes != meta["num_classes"] or ds.in_chans != meta["in_chans"]:
        raise CliError(
            f"{args.checkpoint} predicts {meta['num_classes']} classes "
            f"from {meta['in_chans']}-channel images; "
            f"{data} has {ds.num_classes} classes and {ds.in_chans} channels"
        )
    test = checkpoint_split(ds.test.subset(args.limit), meta, meta["input_size"][-1])
    mean, std = checkpoint_stats(meta)
    result = evaluate(
        model, test.batches(args.batch_size, mean, std), ds.num_classes, predict=tta_predictor(args.tta)
    )
    summary = {
        **evaluation_head(meta, data, start),
        "top1": result["top1"],
        "top5": result["top5"],
        "loss": result["loss"],
        "count": result["count"],
        "tta": args.tta,
        "per_class": dict(zip(ds.classes, result["per_class"], strict=True)),
        "checkpoint": args.checkpoint if len(args.checkpoints) == 1 else args.checkpoints,
    }
    width = max(len(c) for c in ds.classes)
    members = f", an ensemble of {len(args.checkpoints)}" if len(args.checkpoints) > 1 else ""
    say(f"{meta['model']} on {data} test ({result['count']} images, TTA {args.tta}{members}):")
    top5 = f"   top-5 {result['top5']:.2%}" if ds.num_classes > 5 else ""  # 100% below 6 classes
    say(f"  top-1 {result['top1']:.2%}{top5}   loss {result['loss']:.4f}")
    for name, acc in summary["per_class"].items():
        say(f"  {name.ljust(width)}  {acc:.2%}")
    if args.json:
        print_json(summary)
    return 0


def _evaluate_segmentation(args, model, meta, ds, data: str, start: float) -> int:
    from ..segmentation.inference import evaluate_segmentation

    if ds.num_classes != meta["num_classes"] or getattr(ds, "task", "") != "segmentation":
        raise CliError(
            f"{args.checkpoint} segments {meta['num_classes']} classes; "
            f"{data} is a {ds.task} dataset with {ds.num_classes} classes"
        )
    test = ds.test.subset(args.limit)
    if meta.get("data_size") and test.image_size != meta["data_size"]:
        test = test.resized(meta["data_size"])
    mean, std = ds.stats()
    try:
        result = evaluate_segmentation(
            model, test.batches(args.batch_size, mean, std), ds.num_classes, tile=args.tile
        ).compute()
    except ValueError as e:
        raise CliError(str(e)) from None
    summary = {
        **evaluation_head(meta, data, start),
        "miou": result["miou"],
        "dice": result["dice"],
        "pixel_acc": result["pixel_acc"],
        "loss": result["loss"],
        "images": result["images"],
        "tile": args.tile,
        "iou": dict(zip(ds.classes, result["iou"], strict=True)),
        "checkpoint": args.checkpoint,
    }
    width = max(len(c) for c in ds.classes)
    how = f"{args.tile}x{args.tile} tiles" if args.tile else "whole images"
    say = human_printer(args)
    say(f"{meta['model']} on {data} test ({result['images']} images, {how}):")
    say(
        f"  mIoU {result['miou']:.4f}   Dice {result['dice']:.4f}   "
        f"pixel accuracy {result['pixel_acc']:.2%}   loss {result['loss']:.4f}"
    )
    for name, iou in summary["iou"].items():
        say(f"  {name.ljust(width)}  IoU {iou:.4f}")
    if args.json:
        print_json(summary)
    return 0
