"""The `convzoo` command: a thin argparse layer over the public API, one module per command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ..allocator import keep_freed_memory
from .common import CliError, missing_extra, user_message

# Each module defines NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMANDS = (
    "list_cmd",
    "info",
    "summary",
    "design",
    "chart",
    "train",
    "finetune",
    "search",
    "features",
    "eval_cmd",
    "predict",
    "interpret",
    "visualize",
    "lesson",
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
    keep_freed_memory()  # the next step's tensors reuse this one's pages (convzoo/allocator.py)
    try:
        status = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except BrokenPipeError:
        return closed_pipe()
    except CliError as e:
        print(f"convzoo {args.command}: {user_message(e)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        hint = missing_extra(e)
        if hint is None:
            raise
        print(f"convzoo {args.command}: {hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"convzoo {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # no space, read-only, a folder where a file is expected ...: one line
        from ..io import describe_os_error

        line = describe_os_error(e)
        if line is None:
            raise
        print(f"convzoo {args.command}: {line}", file=sys.stderr)
        return 2


def closed_pipe() -> int:
    """The reader went away (`convzoo list | head -3`): stop quietly, as a killed-by-SIGPIPE tool does.

    stdout is pointed at /dev/null so that the interpreter's final flush cannot fail again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + 13  # 141: the shell's status for a process ended by SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
