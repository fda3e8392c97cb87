"""The glibc settings that keep freed memory for reuse: fewer page faults, an opt-out, the CLI's use."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from convzoo import allocator, cli

# Three 8 MB tensors and one of 40 MB made, written and freed, twenty times. With glibc's defaults
# the 40 MB one is always mapped afresh (above the 32 MB most an mmap threshold can rise to), and
# the 24 MB freed at the heap's top exceeds the trim threshold and goes back to the kernel.
FAULTS_PER_ROUND = """
import resource, sys, torch
from convzoo.allocator import keep_freed_memory
print(keep_freed_memory(), file=sys.stderr)
def round_():
    kept = [torch.empty(n * 1024 * 1024).fill_(1.0) for n in (2, 2, 2, 10)]
    del kept
round_()
start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    round_()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start) / 20)
"""

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")


def faults_per_round(**env: str) -> tuple[float, str]:
    done = subprocess.run(
        [sys.executable, "-c", FAULTS_PER_ROUND],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return float(done.stdout), done.stderr.strip().splitlines()[-1]


@glibc_only
def test_kept_memory_is_reused_without_page_faults() -> None:
    kept, took = faults_per_round(CONVZOO_MALLOC="")
    system, opted_out = faults_per_round(CONVZOO_MALLOC="system")
    assert (took, opted_out) == ("True", "False")
    pages = (3 * 8 + 40) * 1024 * 1024 // 4096
    assert system > pages / 2, f"glibc's defaults gave only {system} faults a round"
    assert kept < pages / 10, f"{kept} faults a round with the memory kept"


@glibc_only
def test_setting_twice_still_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(allocator.OPT_OUT, raising=False)
    assert allocator.keep_freed_memory() and allocator.keep_freed_memory()


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(allocator.OPT_OUT, raising=False)
    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("", ""))
    assert allocator.keep_freed_memory() is False


def test_every_command_keeps_freed_memory(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    calls = []
    monkeypatch.setattr(cli, "keep_freed_memory", lambda: calls.append(True))
    assert cli.main(["list", "lenet*"]) == 0
    assert calls == [True]
