"""Helpers shared by the CLI commands: errors, argument parsing, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
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


def evaluation_head(meta: dict[str, Any], data: str, start: float) -> dict[str, Any]:
    """The fields an evaluation's summary starts with: the checkpoint's model, the data, the epochs it
    trained and the seconds since `start` (a time.perf_counter() reading)."""
    return {
        "model": meta["model"],
        "dataset": data,
        "epochs": meta.get("epoch"),
        "seconds": round(time.perf_counter() - start, 3),
    }


def print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=None, default=str))


def human_printer(args: argparse.Namespace) -> Callable[..., None]:
    """print for the lines a person reads: stdout, or stderr under --json so that stdout holds
    only the JSON."""
    stream = sys.stderr if getattr(args, "json", False) else sys.stdout
    return lambda *parts: print(*parts, file=stream)


def card_of(name: str):
    from ..registry import UnknownModelError, model_card

    try:
        return model_card(name)
    except UnknownModelError as e:
        raise CliError(str(e)) from None


def class_index(target: str | None, classes: list[str]) -> int | None:
    """--target as a class index: a number 0..N-1 or one of the checkpoint's class names."""
    if target is None:
        return None
    if target in classes:
        return classes.index(target)
    try:
        index = int(target)
    except ValueError:
        index = -1
    if not 0 <= index < len(classes):
        shown = ", ".join(classes[:10]) + (" ..." if len(classes) > 10 else "")
        raise CliError(
            f"--target must be a class index 0..{len(classes) - 1} or a class name ({shown}), got {target!r}"
        )
    return index


def class_names(meta: dict) -> list[str]:
    """The checkpoint's class names ('0', '1', ... when it has none)."""
    return list(meta.get("classes") or [str(i) for i in range(meta["num_classes"])])
