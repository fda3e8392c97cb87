"""convzoo summary MODEL|CHECKPOINT: per-layer shapes, parameters, MACs, receptive fields, memory."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..analysis import ModelSummary, summarize_registered, summary
from ..registry import UnknownModelError
from ..search.spec import SPEC_SUFFIXES
from .common import CliError, parse_input_size, print_json

NAME = "summary"
HELP = "per-layer table of a model: output shapes, parameters, MACs, receptive fields, activation memory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        nargs="?",
        help="registered model name (see `convzoo list`), a checkpoint or a run directory",
    )
    parser.add_argument(
        "--arch", metavar="SPEC", help="an architecture spec (.json/.yaml, `convzoo search export`)"
    )
    parser.add_argument("--input-size", type=parse_input_size, help="C,H,W (default: the paper's input size)")
    parser.add_argument(
        "--depth",
        type=int,
        metavar="N",
        help="merge layers below N dotted levels into one row (e.g. 1: stages)",
    )


def run(args: argparse.Namespace) -> int:
    if args.depth is not None and args.depth < 1:
        raise CliError(f"--depth must be at least 1, got {args.depth}")
    if (args.model is None) == (args.arch is None):
        raise CliError("expected a MODEL (or checkpoint) or --arch SPEC, one of them")
    try:
        result = _summarize(args.model or args.arch, args.input_size)
    except (UnknownModelError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    except (ValueError, RuntimeError) as e:
        raise CliError(str(e).strip().splitlines()[0]) from None
    if args.depth is not None:
        result = result.at_depth(args.depth)
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.to_text())
    return 0


def _summarize(model: str, input_size: tuple[int, int, int] | None) -> ModelSummary:
    """A registered model on shapes only, or the model a checkpoint holds at its training input size."""
    if model.endswith(SPEC_SUFFIXES) or not (
        model.endswith(".safetensors") or Path(model).is_file() or Path(model).is_dir()
    ):
        return summarize_registered(model, input_size)
    from ..train import load_checkpoint

    net, meta = load_checkpoint(model)
    return summary(net, input_size or tuple(meta.get("input_size") or net.default_input_size), device="meta")
