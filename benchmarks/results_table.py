"""The Markdown results file of a one-thread step benchmark: title, the run's conditions, the table;
and the --system-malloc flag the timing benchmarks share."""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import torch

import convzoo
from convzoo.allocator import keep_freed_memory
from convzoo.io import atomic_write_bytes


def add_malloc_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--system-malloc",
        action="store_true",
        help="leave glibc's malloc defaults (by default freed memory is kept for reuse, as the "
        "convzoo command does)",
    )


def apply_malloc_flag(args: argparse.Namespace) -> str:
    """Keep freed memory for reuse unless --system-malloc; returns the results file's words for the
    setting in force."""
    kept = not args.system_malloc and keep_freed_memory()
    return "freed memory kept for reuse (convzoo.allocator)" if kept else "the C library's defaults"


def write_one_thread_table(
    path: Path, title: str, command: str, load: float, caveat: str, columns: list[str], rows: list[str]
) -> None:
    """Write `rows` (Markdown table lines) under `columns`, after a line naming the command, time,
    CPU, cores, the load average at the start (`load`) with what it means for the numbers
    (`caveat`), and the torch and convzoo versions; atomically."""
    cpu = platform.processor() or platform.machine()
    lines = [
        f"# {title}",
        "",
        f"Command: `{command}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {cpu}, "
        f"{os.cpu_count()} cores, one thread, load average {load:.1f} at the start ({caveat}); "
        f"torch {torch.__version__}, convzoo {convzoo.__version__}.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *rows,
        "",
    ]
    atomic_write_bytes(path, "\n".join(lines).encode())
