"""convzoo visualize CHECKPOINT --what filters|features|class-model --out grid.png."""

from __future__ import annotations

import argparse

from .common import CliError, print_json

NAME = "visualize"
HELP = "picture a network: first-layer filters, feature maps of a layer, or a class-model image"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a .safetensors checkpoint written by `convzoo train`")
    parser.add_argument("--what", choices=("filters", "features", "class-model"), required=True)
    parser.add_argument("--image", help="image file (for --what features)")
    parser.add_argument(
        "--layer", help="layer whose maps to show (features; default: the first feature_info stage)"
    )
    parser.add_argument("--target", type=int, default=0, help="class for --what class-model (default 0)")
    parser.add_argument("--steps", type=int, default=200, help="gradient-ascent steps for class-model")
    parser.add_argument("--out", required=True, help="PNG file to write")


def run(args: argparse.Namespace) -> int:
    from ..data import DataError
    from ..inference import load_image
    from ..interpret import class_model, feature_maps, first_layer_filters
    from ..interpret.plots import save_grid, save_image
    from ..train import load_checkpoint

    try:
        model, meta = load_checkpoint(args.checkpoint)
        classes = meta.get("classes") or [str(i) for i in range(meta["num_classes"])]
        if args.what == "filters":
            filters = first_layer_filters(model)
            title = f"{meta['model']}: {len(filters)} first-layer filters"
            path = save_grid(filters, args.out, title)
        elif args.what == "features":
            if not args.image:
                raise CliError("--what features needs --image FILE")
            layer = args.layer or model.feature_info[0]["module"]
            maps = feature_maps(model, load_image(args.image, meta)[0], layer)
            path = save_grid(maps, args.out, f"{meta['model']}: {layer} ({len(maps)} maps)")
        else:
            if not 0 <= args.target < len(classes):
                raise CliError(f"--target must be a class index in 0..{len(classes) - 1}, got {args.target}")
            image = class_model(model, args.target, tuple(meta["input_size"]), steps=args.steps)
            path = save_image(image, args.out, f"class model of {classes[args.target]!r}")
    except (DataError, ValueError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    if args.json:
        print_json({"out": str(path), "what": args.what, "model": meta["model"]})
    else:
        print(f"{args.what} picture written to {path}")
    return 0
