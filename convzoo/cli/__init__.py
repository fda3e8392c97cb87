"""The `convzoo` command: a thin argparse layer over the public API, one module per command."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .common import CliError

# Each module defines NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMANDS = (
    "list_cmd",
    "info",
    "summary",
    "design",
    "chart",
    "train",
    "finetune",
    "features",
    "eval_cmd",
    "predict",
    "interpret",
    "visualize",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convzoo",
        description="Build, load, measure and explain the classic convolutional networks.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"convzoo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{module_name}")
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
        p.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `convzoo` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CliError as e:
        print(f"convzoo {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"convzoo {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
