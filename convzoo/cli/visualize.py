"""convzoo visualize CHECKPOINT --what filters|features|class-model|neighbours|top-patches --out grid.png."""

from __future__ import annotations

import argparse
import sys
import warnings

from .common import CliError, class_index, class_names, print_json, require_positive

NAME = "visualize"
HELP = (
    "picture a network: first-layer filters, feature maps of a layer, a class-model image, nearest "
    "neighbours in the last hidden layer, or the top-activating patches of a layer's units"
)
WHAT = ("filters", "features", "class-model", "neighbours", "top-patches")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a checkpoint written by `convzoo train`, or its run directory")
    parser.add_argument("--what", choices=WHAT, required=True)
    parser.add_argument("--image", help="image file (for --what features)")
    parser.add_argument(
        "--layer", help="layer whose maps to show (features; default: the first feature_info stage)"
    )
    parser.add_argument(
        "--target", default="0", help="class for --what class-model, by index or name (default 0)"
    )
    parser.add_argument("--steps", type=int, default=200, help="gradient-ascent steps for class-model")
    parser.add_argument("--out", required=True, help="PNG file to write")
    dataset = parser.add_argument_group("neighbours and top-patches (pictures over a dataset)")
    dataset.add_argument("--data", help="dataset name or image folder (default: the one it was trained on)")
    dataset.add_argument("--data-dir", help="folder with the dataset's original files")
    dataset.add_argument(
        "--limit",
        type=int,
        default=1000,
        metavar="N",
        help="search the first N training images (default 1000)",
    )
    dataset.add_argument("--count", type=int, default=5, help="neighbours: test images to show (default 5)")
    dataset.add_argument(
        "--k", type=int, help="neighbours per image (default 6) or patches per unit (default 9)"
    )
    dataset.add_argument(
        "--units", help="top-patches: comma-separated unit (feature map) indices (default 0-7)"
    )


def run(args: argparse.Namespace) -> int:
    from ..data import DataError
    from ..inference import load_image
    from ..interpret import class_model, feature_maps, first_layer_filters
    from ..interpret.plots import save_grid, save_image
    from ..interpret.visualize import ClassModelWarning
    from ..train import load_checkpoint

    require_positive(steps=args.steps)
    try:
        model, meta = load_checkpoint(args.checkpoint)
        classes = class_names(meta)
        if args.what == "filters":
            filters = first_layer_filters(model)
            title = f"{meta['model']}: {len(filters)} first-layer filters"
            path = save_grid(filters, args.out, title)
        elif args.what == "features":
            if not args.image:
                raise CliError("--what features needs --image FILE")
            layer = args.layer or model.feature_info[0]["module"]
            notes: list[str] = []
            maps = feature_maps(model, load_image(args.image, meta, notes)[0], layer)
            for note in notes:
                print(f"convzoo visualize: {note}", file=sys.stderr)
            path = save_grid(maps, args.out, f"{meta['model']}: {layer} ({len(maps)} maps)")
        elif args.what in ("neighbours", "top-patches"):
            path = dataset_picture(args, model, meta)
        else:
            target = class_index(args.target, classes)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ClassModelWarning)
                image = class_model(model, target, tuple(meta["input_size"]), steps=args.steps)
            for warning in caught:
                print(f"convzoo visualize: {warning.message}", file=sys.stderr)
            path = save_image(image, args.out, f"class model of {classes[target]!r}")
    except (DataError, ValueError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    if args.json:
        print_json({"out": str(path), "what": args.what, "model": meta["model"]})
    else:
        print(f"{args.what} picture written to {path}")
    return 0


def dataset_picture(args: argparse.Namespace, model, meta: dict):
    """--what neighbours (AlexNet Fig. 4 right) or top-patches (Zeiler & Fergus Fig. 2)."""
    from ..interpret.dataset import checkpoint_images

    if args.limit < 1 or args.count < 1 or (args.k is not None and args.k < 1):
        raise CliError("--limit, --count and --k must be positive")
    images, labels, classes = checkpoint_images(meta, "train", args.limit, args.data, args.data_dir)
    if args.what == "neighbours":
        from ..interpret.neighbours import nearest_neighbours, save_neighbours

        queries, query_labels, _ = checkpoint_images(meta, "test", args.count, args.data, args.data_dir)
        found = nearest_neighbours(model, queries, images, min(args.k or 6, len(images)))
        title = (
            f"{meta['model']}: test images (left) and the {found.indices.shape[1]} training images nearest "
            f"in the last hidden layer (of {len(images)}; Euclidean distance above each)"
        )
        return save_neighbours(queries, query_labels, images, labels, found, args.out, title, classes)
    from ..interpret.patches import save_top_patches, top_patches

    if not args.layer:
        raise CliError("--what top-patches needs --layer NAME (e.g. one of feature_info's modules)")
    try:
        units = [int(u) for u in args.units.split(",")] if args.units else None
    except ValueError:
        raise CliError(f"--units must be comma-separated integers, got {args.units!r}") from None
    found = top_patches(model, images, args.layer, units, args.k or 9)
    size = found[0].patches.shape[-1]
    title = (
        f"{meta['model']} {args.layer}: the {len(found[0].patches)} training images (of {len(images)}) "
        f"activating each unit most, cropped to its {size}x{size} receptive field"
    )
    return save_top_patches(found, args.out, title)
