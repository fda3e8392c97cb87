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
    from ..preprocessing import data_configs

    configs = data_configs(card.name)
    if args.json:
        data = {lib: c.to_dict() for lib, c in configs.items()}
        print_json({**card.to_dict(), "data_configs": data, "recipe": recipe_dict(card.family)})
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
        note += f", from {r.source}" if r.source else ""
        lines.append(f"  reported    {r.metric} {r.value:g} on {r.dataset} {r.split}{note}")
    for library, name in card.compatible.items():
        lines.append(f"  loads       {library} {name} checkpoints")
        if library in configs:  # the preprocessing those weights were trained with
            lines.append(f"    data      {configs[library].weights}: {configs[library].line()}")
    if card.notes:
        lines.append(f"  notes       {card.notes}")
    lines += recipe_lines(card.family)
    print("\n".join(lines))
    return 0


def recipe_lines(family: str) -> list[str]:
    """The family's recipes: the paper's in its words, the settings train uses, the small-data one."""
    import textwrap

    from ..train.recipes import family_recipe

    recipe = family_recipe(family)
    if recipe is None:
        return []

    def wrapped(label: str, text: str) -> list[str]:
        body = textwrap.wrap(text, 96)
        return [f"  {label:<16}{body[0]}", *(f"  {'':<16}{line}" for line in body[1:])]

    def settings(values: dict) -> str:
        return ", ".join(f"{k}={v}" for k, v in values.items())

    lines = wrapped("recipe (paper)", f"{recipe.source}: {recipe.text}")
    lines += wrapped("  as settings", settings(recipe.paper))
    if recipe.deviation:
        lines += wrapped("  differs", recipe.deviation)
    small = settings(recipe.small)
    if recipe.small_size is not None:
        small += f"; image_size={recipe.small_size} on the 28x28 digit sets"
    lines += wrapped("recipe (small)", small)
    if recipe.small_why:
        lines += wrapped("  why", recipe.small_why)
    lines.append(f"  {'':<16}(train uses small on the named datasets, paper on image folders; --recipe)")
    return lines


def recipe_dict(family: str) -> dict | None:
    from ..train.recipes import family_recipe

    recipe = family_recipe(family)
    if recipe is None:
        return None
    return {
        "source": recipe.source, "text": recipe.text, "paper": recipe.paper,
        "small": recipe.small, "deviation": recipe.deviation, "small_size": recipe.small_size,
        "small_why": recipe.small_why,
    }  # fmt: skip
