"""convzoo list [PATTERN]: the registered models, with family, parameters and paper year."""

from __future__ import annotations

import argparse
import sys

from ..registry import list_models, model_card, pattern_suggestion
from .common import print_json

NAME = "list"
HELP = "list registered models (fnmatch PATTERN, e.g. 'vgg*')"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern (default: every model)")


def run(args: argparse.Namespace) -> int:
    names = list_models(args.pattern)
    cards = [model_card(n) for n in names]
    if args.json:
        print_json(
            [
                {"name": c.name, "family": c.family, "params": c.params, "year": c.year, "task": c.task}
                for c in cards
            ]
        )
        return 0
    if not names:
        better = pattern_suggestion(args.pattern)
        hint = f"; try `convzoo list '{better}'` ({len(list_models(better))} models)" if better else ""
        print(f"no model matches {args.pattern!r}{hint}", file=sys.stderr)
        return 1
    width = max(len(n) for n in names)
    family_width = max(len(c.family) for c in cards)
    for c in cards:
        print(f"{c.name.ljust(width)}  {c.family.ljust(family_width)}  {c.params:>13,}  {c.year}")
    return 0
