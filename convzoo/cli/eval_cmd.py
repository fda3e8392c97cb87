"""convzoo eval CHECKPOINT: top-1, top-5 and per-class accuracy on a dataset's test split
(segmentation checkpoints: mIoU, Dice, pixel accuracy and per-class IoU)."""

from __future__ import annotations

import argparse
import time

from .common import CliError, print_json, require_positive

NAME = "eval"
HELP = "evaluate a checkpoint written by `convzoo train`: top-1/top-5 and per-class accuracy (detectors: mAP)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a .safetensors checkpoint from a run directory")
    parser.add_argument("--data", help="dataset name or image folder (default: the one it was trained on)")
    parser.add_argument("--data-dir", help="folder with the dataset's original files")
    parser.add_argument(
        "--tta", choices=("none", "flip", "multicrop"), default="none", help="test-time augmentation"
    )
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--compile", action="store_true", help="torch.compile the model first")
    parser.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N test images")
    parser.add_argument(
        "--tile",
        type=int,
        metavar="SIDE",
        help="segmentation: overlap-tile prediction with SIDE x SIDE inputs",
    )


def run(args: argparse.Namespace) -> int:
    from ..data import DataError, load_dataset
    from ..inference import tta_predictor
    from ..train import load_checkpoint
    from ..train.compile import compile_model
    from ..train.metrics import evaluate

    start = time.perf_counter()
    require_positive(batch_size=args.batch_size, limit=args.limit)
    try:
        model, meta = load_checkpoint(args.checkpoint)
        if args.compile:
            model = compile_model(model)
        if meta.get("task") == "detection":
            from . import detection

            return detection.evaluate(args, model, meta)
        data = args.data or meta["dataset"]
        ds = load_dataset(data, args.data_dir, in_chans=meta["in_chans"])
        ds.require_images("test")
    except (DataError, ValueError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    if meta.get("task") == "segmentation":
        return _evaluate_segmentation(args, model, meta, ds, data, start)
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
        "model": meta["model"],
        "dataset": data,
        "epochs": meta.get("epoch"),
        "seconds": round(time.perf_counter() - start, 3),
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
    print(f"{meta['model']} on {data} test ({result['images']} images, {how}):")
    print(
        f"  mIoU {result['miou']:.4f}   Dice {result['dice']:.4f}   "
        f"pixel accuracy {result['pixel_acc']:.2%}   loss {result['loss']:.4f}"
    )
    for name, iou in summary["iou"].items():
        print(f"  {name.ljust(width)}  IoU {iou:.4f}")
    if args.json:
        print_json(summary)
    return 0
