"""convzoo interpret CHECKPOINT IMAGE --method M --out map.png: an attribution map over the image."""

from __future__ import annotations

import argparse
import sys

from .common import CliError, class_index, class_names, print_json

NAME = "interpret"
HELP = (
    "explain one prediction: saliency, SmoothGrad, integrated gradients, Grad-CAM, guided backprop, occlusion"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..interpret import METHODS

    parser.add_argument("checkpoint", help="a checkpoint written by `convzoo train`, or its run directory")
    parser.add_argument("image", help="the image file to explain")
    parser.add_argument(
        "--method", choices=METHODS, default="gradcam", help="attribution method (default gradcam)"
    )
    parser.add_argument("--target", help="class to explain, by index or name (default: the predicted class)")
    parser.add_argument(
        "--layer", help="Grad-CAM layer (default: the last feature_info stage with a spatial map)"
    )
    parser.add_argument("--out", required=True, help="PNG file to write")


def run(args: argparse.Namespace) -> int:
    from ..data import DataError
    from ..inference import load_image
    from ..interpret import attribute
    from ..interpret.plots import save_overlay
    from ..train import load_checkpoint

    try:
        model, meta = load_checkpoint(args.checkpoint)
        classes = class_names(meta)
        notes: list[str] = []
        image = load_image(args.image, meta, notes)[0]
        result = attribute(
            model, image, args.method, target=class_index(args.target, classes), layer=args.layer
        )
    except (DataError, ValueError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    for note in notes:
        print(f"convzoo interpret: {note}", file=sys.stderr)
    path = save_overlay(image, result, args.out, classes)
    summary = {
        "out": str(path),
        "method": result.method,
        "layer": result.layer,
        "predicted": result.predicted,
        "predicted_class": classes[result.predicted],
        "predicted_prob": result.predicted_prob,
        "target": result.target,
        "target_class": classes[result.target],
        "target_prob": result.target_prob,
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"{result.method} map for {classes[result.target]!r} ({result.target_prob:.1%}; predicted "
            f"{classes[result.predicted]!r}, {result.predicted_prob:.1%}) written to {path}"
        )
    return 0
