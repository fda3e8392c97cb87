"""Helpers shared by the CLI commands: errors, argument parsing, JSON output."""

from __future__ import annotations

import argparse
import json
from typing import Any


class CliError(Exception):
    """A user error the CLI reports in one line (exit status 2), without a traceback."""


# Optional packages -> the convzoo extra that installs them (pip install "convzoo[EXTRA]").
EXTRAS = {"albumentations": "aug", "pycocotools": "detect"}


def user_message(error: BaseException) -> str:
    """An error's message in the CLI's terms: the `cli_message` of the error (or of the library
    error it was raised from) when it has one, which names CLI commands instead of Python calls."""
    for e in (error, error.__context__, error.__cause__):
        if e is not None and getattr(e, "cli_message", None):
            return e.cli_message
    return str(error)


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """'albumentations is not installed: pip install "convzoo[aug]"' for an optional package."""
    top = (error.name or "").split(".")[0]
    if top not in EXTRAS:
        return None
    return f'{top} is not installed: pip install "convzoo[{EXTRAS[top]}]"'


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


def require_positive(**counts: int | None) -> None:
    """Raise CliError for a count flag below 1 (--limit 0, --top-k -1); None means not given."""
    for name, value in counts.items():
        if value is not None and value < 1:
            raise CliError(f"--{name.replace('_', '-')} must be at least 1, got {value}")


def print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=None, default=str))


def card_of(name: str):
    from ..registry import UnknownModelError, model_card

    try:
        return model_card(name)
    except UnknownModelError as e:
        raise CliError(str(e)) from None
