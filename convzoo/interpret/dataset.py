"""A checkpoint's dataset as the normalised tensors its model takes (for dataset-wide pictures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..data import load_dataset


def checkpoint_images(
    meta: dict[str, Any],
    split: str,
    limit: int | None,
    data: str | None = None,
    data_dir: str | Path | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """(images N x C x H x W normalised as in training, labels, class names) of the first `limit`
    images of `split` ("train" or "test") of `data` (default: the dataset the checkpoint was trained on)."""
    from ..train.checkpoint import checkpoint_stats, data_source

    name, folder = data_source(meta, data, data_dir)
    ds = load_dataset(name, folder, in_chans=meta["in_chans"])
    part = (ds.train if split == "train" else ds.test).subset(limit).resized(meta["input_size"][-1])
    mean, std = checkpoint_stats(meta)
    batches = list(part.batches(500, mean, std))
    if not batches:
        raise ValueError(f"the {split} split of {data or meta['dataset']} has no images")
    return torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches]), ds.classes
