"""convzoo summary MODEL: a per-layer table (name, type, output shape, parameters)."""

from __future__ import annotations

import argparse

from ..analysis import summary
from .common import CliError, build_model, parse_input_size, print_json

NAME = "summary"
HELP = "per-layer table of a model: output shapes and parameters"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="registered model name (see `convzoo list`)")
    parser.add_argument("--input-size", type=parse_input_size, help="C,H,W (default: the paper's input size)")


def run(args: argparse.Namespace) -> int:
    model = build_model(args.model)
    try:
        result = summary(model, args.input_size)
    except ValueError as e:
        raise CliError(str(e)) from None
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.to_text())
    return 0
