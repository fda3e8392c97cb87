"""convzoo interpret CHECKPOINT IMAGE --method M --out map.png: an attribution map over the image."""

from __future__ import annotations

import argparse

from .common import CliError, print_json

NAME = "interpret"
HELP = (
    "explain one prediction: saliency, SmoothGrad, integrated gradients, Grad-CAM, guided backprop, occlusion"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..interpret import METHODS

    parser.add_argument("checkpoint", help="a .safetensors checkpoint written by `convzoo train`")
    parser.add_argument("image", help="the image file to explain")
    parser.add_argument(
        "--method", choices=METHODS, default="gradcam", help="attribution method (default gradcam)"
    )
    parser.add_argument("--target", type=int, help="class index to explain (default: the predicted class)")
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
        image = load_image(args.image, meta)[0]
        result = attribute(model, image, args.method, target=args.target, layer=args.layer)
    except (DataError, ValueError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    classes = meta.get("classes")
    path = save_overlay(image, result, args.out, classes)
    summary = {
        "out": str(path),
        "method": result.method,
        "layer": result.layer,
        "predicted": result.predicted,
        "predicted_prob": result.predicted_prob,
        "target": result.target,
        "target_prob": result.target_prob,
    }
    if classes:
        summary["predicted_class"] = classes[result.predicted]
        summary["target_class"] = classes[result.target]
    if args.json:
        print_json(summary)
    else:
        print(f"{result.method} map for class {result.target} ({result.target_prob:.1%}) written to {path}")
    return 0
