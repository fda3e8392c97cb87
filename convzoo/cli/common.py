"""Helpers shared by the CLI commands: errors, argument parsing, JSON output."""

from __future__ import annotations

import argparse
import json
from typing import Any


class CliError(Exception):
    """A user error the CLI reports in one line (exit status 2), without a traceback."""


def parse_input_size(text: str) -> tuple[int, int, int]:
    """'3,224,224' -> (3, 224, 224); an argparse `type`, so errors are argparse's usage errors."""
    try:
        size = tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        size = ()
    if len(size) != 3 or min(size) < 1:
        raise argparse.ArgumentTypeError(
            f"expected C,H,W (three positive integers, e.g. 3,224,224), got {text!r}"
        )
    return size


def print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=None, default=str))


def card_of(name: str):
    from ..registry import UnknownModelError, model_card

    try:
        return model_card(name)
    except UnknownModelError as e:
        raise CliError(str(e)) from None
