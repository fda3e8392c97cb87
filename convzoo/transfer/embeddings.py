"""Penultimate-layer embeddings (forward_head(..., pre_logits=True)) of a dataset split."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..io import atomic_write


@torch.inference_mode()
def extract_features(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]
) -> tuple[np.ndarray, np.ndarray]:
    """(N x num_features float32 embeddings, N int64 labels) over the batches, in eval mode."""
    model.eval()
    feats, labels = [], []
    for x, y in batches:
        feats.append(model.forward_head(model.forward_features(x), pre_logits=True).float().cpu())
        labels.append(y)
    if not feats:
        raise ValueError("no images to extract features from")
    return torch.cat(feats).numpy(), torch.cat(labels).numpy()


def save_features(path: str | Path, **arrays: np.ndarray) -> Path:
    """Write arrays to an .npz file atomically."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"{path}: the features file must end in .npz")

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:  # a file object: np.savez would add ".npz" to a name
            np.savez(f, **arrays)

    return atomic_write(path, write)
