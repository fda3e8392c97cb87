"""Seeded image-folder runs repeat: albumentations draws from its own generator, seeded per image."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from convzoo.data.folder import FolderSplit


@pytest.fixture()
def folder(tmp_path):
    rng = np.random.default_rng(0)
    samples = []
    for i in range(6):
        path = tmp_path / f"{i}.png"
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(path)
        samples.append((path, i % 2))
    return samples


def batches(samples, seed: int, workers: int = 0) -> list[torch.Tensor]:
    split = FolderSplit(samples, 3, image_size=24, train=True, workers=workers)
    generator = torch.Generator().manual_seed(seed)
    return [x for x, _ in split.batches(3, torch.zeros(3), torch.ones(3), generator=generator)]


def test_two_seeded_runs_give_identical_augmented_batches(folder):
    pytest.importorskip("albumentations")
    first, second = batches(folder, 0), batches(folder, 0)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    other = batches(folder, 1)
    assert not all(torch.equal(a, b) for a, b in zip(first, other, strict=True))


def test_loader_processes_draw_what_one_process_draws(folder):
    pytest.importorskip("albumentations")
    assert all(
        torch.equal(a, b) for a, b in zip(batches(folder, 0), batches(folder, 0, workers=2), strict=True)
    )
