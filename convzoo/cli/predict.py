"""convzoo predict CHECKPOINT IMAGE...: the top-k classes of each image, with probabilities
(segmentation checkpoints: a mask PNG and an overlay PNG per image)."""

from __future__ import annotations

import argparse
import sys

from .common import CliError, print_json, require_positive

NAME = "predict"
HELP = "classify image files (or detect objects in them) with a checkpoint written by `convzoo train`"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a checkpoint written by `convzoo train`, or its run directory")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model first")
    parser.add_argument("--top-k", type=int, default=5, help="classes to show per image (default 5)")
    parser.add_argument(
        "--out", default=".", help="segmentation and detection: folder for the PNGs (default: here)"
    )
    parser.add_argument(
        "--tile",
        type=int,
        metavar="SIDE",
        help="segmentation: overlap-tile prediction with SIDE x SIDE inputs",
    )
    parser.add_argument(
        "--score-threshold", type=float, default=0.2, help="detection: the lowest class-specific score shown"
    )


def run(args: argparse.Namespace) -> int:
    from ..data import DataError
    from ..inference import predict_images
    from ..train import load_checkpoint
    from ..train.compile import compile_model

    require_positive(top_k=args.top_k)
    try:
        model, meta = load_checkpoint(args.checkpoint)
        if args.compile:
            model = compile_model(model)
        if meta.get("task") == "detection":
            from . import detection

            return detection.predict(args, model, meta)
        if meta.get("task") == "segmentation":
            from ..segmentation.inference import segment_images

            results = segment_images(model, meta, args.images, args.out, args.tile)
        else:
            results = predict_images(model, meta, args.images, args.top_k)
    except (DataError, ValueError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    failed = [item for item in results if "error" in item]
    for item in results:
        if "converted" in item:
            print(f"convzoo predict: {item['converted']}", file=sys.stderr)
    if args.json:
        print_json(results)
    else:
        for item in results:
            print(item["image"])
            if "error" in item:
                print(f"  error: {item['error']}")
            elif "mask" in item:
                print(f"  mask {item['mask']}  overlay {item['overlay']}")
                for name, fraction in item["pixels"].items():
                    print(f"  {fraction:7.2%}  {name}")
            else:
                for row in item["top"]:
                    print(f"  {row['probability']:7.2%}  {row['class']}")
    if failed:
        print(f"convzoo predict: {len(failed)} of {len(results)} images could not be read", file=sys.stderr)
        return 2
    return 0
