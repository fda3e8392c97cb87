"""convzoo design TOPIC: the design arithmetic of the lectures, counted on real modules."""

from __future__ import annotations

import argparse

from ..analysis.design import TOPICS, design
from .common import CliError, print_json

NAME = "design"
HELP = "compare design choices (5x5 vs 3x3, bottleneck, separable, inception, se, mbconv) in params and MACs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", choices=list(TOPICS), help="the comparison to compute")
    parser.add_argument(
        "--channels", type=int, metavar="C", help="input channels (default: the topic's classic)"
    )
    parser.add_argument(
        "--size", type=int, metavar="H", help="height = width of the maps (default per topic)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        result = design(args.topic, args.channels, args.size)
    except ValueError as e:
        raise CliError(str(e)) from None
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.to_text())
    return 0
