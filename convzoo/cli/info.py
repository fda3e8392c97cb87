"""convzoo info MODEL: the model card."""

from __future__ import annotations

import argparse

from .common import card_of, print_json

NAME = "info"
HELP = "show a model's card: paper, input size, parameters, reported results, compatible checkpoints"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="registered model name (see `convzoo list`)")


def run(args: argparse.Namespace) -> int:
    card = card_of(args.model)
    if args.json:
        print_json(card.to_dict())
        return 0
    lines = [
        f"{card.name} ({card.family})",
        f"  paper       {card.title}",
        f"              {card.authors}, {card.year}",
        f"              {card.link}",
        f"  input       {'x'.join(map(str, card.input_size))}",
        f"  parameters  {card.params:,}",
    ]
    for r in card.results:
        note = f" ({r.note})" if r.note else ""
        lines.append(f"  reported    {r.metric} {r.value:g} on {r.dataset} {r.split}{note}")
    for library, name in card.compatible.items():
        lines.append(f"  loads       {library} {name} checkpoints")
    if card.notes:
        lines.append(f"  notes       {card.notes}")
    print("\n".join(lines))
    return 0
