"""benchmarks/speed_summary.py over benchmarks/speed_files.txt: every library pair has a timing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def summary():
    try:
        yield load("speed_summary")
    finally:
        sys.modules.pop("speed_summary", None)


def listed_files() -> list[Path]:
    lines = (BENCHMARKS / "speed_files.txt").read_text().split()
    return [BENCHMARKS.parent / line for line in lines]


def test_the_listed_files_exist_and_each_holds_timed_pairs(summary):
    files = listed_files()
    assert files and len(set(files)) == len(files)
    for path in files:
        assert summary.read_pairs(path), f"{path.name} has no timed pair"


def test_every_model_with_a_library_checkpoint_has_a_timing(summary):
    speed = load("speed_vs_libraries")
    claimed = {name for name, _, _ in speed.pairs([])}
    timed = set(summary.latest_pairs(listed_files()))
    assert claimed - timed == set(), "pairs never timed against their library"
    assert timed - claimed == set(), "timings of models that claim no library checkpoint"
