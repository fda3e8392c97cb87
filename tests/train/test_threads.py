"""threads: auto picks the thread count by interleaved timing, never from a single reading."""

from __future__ import annotations

import argparse
import time

import pytest
import torch

from convzoo.train import Trainer, resolve_config
from convzoo.train.config import TrainConfig
from convzoo.train.threads import choose_threads, fastest_count, parse_threads

pytestmark = pytest.mark.usefixtures("restore_threads")  # tests/conftest.py


def sleeping_step(seconds_by_threads: dict[int, float]):
    return lambda: time.sleep(seconds_by_threads[torch.get_num_threads()])


def test_choose_threads_keeps_the_faster_count_and_sets_it():
    best, medians = choose_threads(sleeping_step({1: 0.04, 2: 0.02}), [1, 2], rounds=2, steps=2)
    assert best == 2 and torch.get_num_threads() == 2 and medians[2] < medians[1]
    best, _ = choose_threads(sleeping_step({1: 0.02, 2: 0.04}), [1, 2], rounds=2, steps=2)
    assert best == 1 and torch.get_num_threads() == 1


def test_a_tie_within_three_percent_goes_to_fewer_threads():
    assert fastest_count({1: 1.02, 2: 1.0}) == 1
    assert fastest_count({1: 1.05, 2: 1.0}) == 2
    assert fastest_count({1: 0.9, 2: 1.0, 4: 0.5}) == 4


def test_threads_setting_accepts_counts_and_auto_only():
    assert parse_threads("auto") == "auto" and parse_threads("2") == 2
    for bad in ("-1", "two"):
        with pytest.raises(argparse.ArgumentTypeError, match="count"):
            parse_threads(bad)
    with pytest.raises(ValueError, match="threads must be"):
        TrainConfig(threads="many")


def test_auto_threads_leave_the_run_unchanged(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    base = dict(data="mnist-mini", train_limit=128, test_limit=64, epochs=1, batch_size=32)
    logged = []
    auto = Trainer(resolve_config("lenet5_modern", {**base, "threads": "auto"}), log=logged.append)
    chosen = torch.get_num_threads()
    picked = [line for line in logged if line.startswith("threads:")]  # a kernels note may come first
    assert chosen in (1, 2) and picked[0].startswith(f"threads: {chosen} (timed training steps")
    fixed = Trainer(resolve_config("lenet5_modern", {**base, "threads": chosen}), log=lambda _: None)
    for a, b in zip(auto.model.state_dict().values(), fixed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # the timing ran on a copy
    assert auto.fit().final["top1"] == fixed.fit().final["top1"]
