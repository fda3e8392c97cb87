"""benchmarks/transfer_mnist.py: the experiment's core in its --quick configuration."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "transfer_mnist.py"


@pytest.fixture(scope="module")
def transfer_mnist():
    spec = importlib.util.spec_from_file_location("transfer_mnist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_quick_experiment_fills_the_table(transfer_mnist, shared_data, tmp_path):
    mnist = shared_data / "mnist"
    if not mnist.is_dir():
        pytest.skip(f"MNIST not found at {mnist}")
    threads = torch.get_num_threads()
    settings = replace(transfer_mnist.Settings.quick(), steps=4, pretrain_limit=600, test_limit=200)
    try:
        experiment = transfer_mnist.run_experiment(settings, mnist, tmp_path, log=lambda _m: None)
    finally:
        torch.set_num_threads(threads)
    assert 0.0 <= experiment.pretrain_top1 <= 1.0 and set(experiment.features) == {"C5", "F6"}
    summary = transfer_mnist.summarise(experiment.rows)
    assert set(summary) == {(m, n) for m in transfer_mnist.METHODS for n in settings.labels}
    assert all(0.0 <= top1 <= 1.0 and count == len(settings.seeds) for top1, _, count in summary.values())
    table = transfer_mnist.markdown_table(summary, settings.labels)
    assert len(table) == 2 + len(transfer_mnist.METHODS)
    assert all(f"{n} labels/class" in table[0] for n in settings.labels)
    plot = tmp_path / "transfer.png"
    transfer_mnist.plot(summary, settings.labels, plot, "quick")
    assert plot.stat().st_size > 0


def test_draws_are_seeded_and_balanced(transfer_mnist):
    labels = torch.arange(50) % 5
    split = transfer_mnist.ArraySplit(torch.arange(50, dtype=torch.uint8).view(50, 1, 1, 1), labels)
    first = transfer_mnist.draw_per_class(split, 3, seed=7)
    assert torch.equal(first.images, transfer_mnist.draw_per_class(split, 3, seed=7).images)
    assert torch.bincount(first.labels).tolist() == [3] * 5
    repeated = transfer_mnist.repeat_to(first, 40)
    assert len(repeated) == 40 and torch.equal(repeated.labels[:15], first.labels)
