"""convzoo lesson [TOPIC] [--out PNG]: a lecture's worked example, computed with torch and checked."""

from __future__ import annotations

import argparse

from .common import CliError, print_json

NAME = "lesson"
HELP = "compute a lecture's worked example with torch, check its numbers and draw it (no topic: list them)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..lessons import TOPICS

    parser.add_argument("topic", nargs="?", choices=list(TOPICS), help="the lesson to run (omit to list)")
    parser.add_argument("--out", help="PNG file for the lesson's picture")
    residual = parser.add_argument_group("residual lesson (short training runs)")
    residual.add_argument("--data", help="dataset name or image folder (default mnist-mini)")
    residual.add_argument("--data-dir", help="folder with the dataset's original files")
    residual.add_argument(
        "--depths", help="comma-separated depths of the plain/residual pairs (default 20,56)"
    )
    residual.add_argument("--epochs", type=int, help="epochs per run (default 5)")
    residual.add_argument(
        "--train-limit", type=int, metavar="N", help="train on the first N images (default 1000)"
    )


def run(args: argparse.Namespace) -> int:
    from ..data import DataError
    from ..lessons import lesson, list_lessons

    if args.topic is None:
        topics = list_lessons()
        if args.json:
            print_json(topics)
        else:
            width = max(map(len, topics))
            print("\n".join(f"{t:<{width}}  {about}" for t, about in topics.items()))
        return 0
    options = {}
    if args.topic == "residual":
        options = {k: v for k, v in residual_options(args).items() if v is not None}
    elif any(getattr(args, k) is not None for k in ("data", "data_dir", "depths", "epochs", "train_limit")):
        raise CliError("--data, --data-dir, --depths, --epochs and --train-limit are for the residual lesson")
    try:
        result = lesson(args.topic, args.out, **options)
    except (DataError, ValueError, OSError) as e:
        raise CliError(str(e)) from None
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.to_text())
    return 0 if result.ok else 1


def residual_options(args: argparse.Namespace) -> dict:
    depths = None
    if args.depths:
        try:
            depths = tuple(int(d) for d in args.depths.split(","))
        except ValueError:
            raise CliError(
                f"--depths must be comma-separated integers such as 20,56, got {args.depths!r}"
            ) from None
    return {
        "data": args.data,
        "data_dir": args.data_dir,
        "depths": depths,
        "epochs": args.epochs,
        "train_limit": args.train_limit,
    }
