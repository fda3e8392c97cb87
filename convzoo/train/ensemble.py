"""Ensembles of trained checkpoints: the average of their class probabilities.

Krizhevsky et al. (2012) averaged the predictions of five similar CNNs (16.4% -> 15.3% top-5
error); averaging several networks, as multi-crop averaging, was among the tricks of every
ILSVRC winner that followed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

# What every member must share with the first, for their probabilities to be averaged.
SHARED_META = ("num_classes", "in_chans", "classes", "mean", "std")


class Ensemble(nn.Module):
    """Averages the softmax of its members; forward returns the log of the average (usable as logits).

    Each member sees the input at its own training size (bilinear resizing where it differs).
    """

    def __init__(self, members: Sequence[nn.Module], sizes: Sequence[int]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.sizes = list(sizes)
        self.num_classes = members[0].num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = []
        for member, size in zip(self.members, self.sizes, strict=True):
            view = x if x.shape[-1] == size else F.interpolate(x, size=(size, size), mode="bilinear")
            out = member(view)
            probs.append((out if isinstance(out, torch.Tensor) else out[0]).float().softmax(1))
        return torch.stack(probs).mean(0).clamp(min=1e-12).log()


def load_ensemble(paths: Sequence[str]) -> tuple[nn.Module, dict[str, Any]]:
    """One checkpoint: (its model, its metadata); several: (their Ensemble, the first one's metadata
    with `members` listing each model). Members must predict the same classes from the same data."""
    from .checkpoint import load_checkpoint

    loaded = [load_checkpoint(p) for p in paths]
    if len(loaded) == 1:
        return loaded[0]
    first = loaded[0][1]
    for path, (_, meta) in zip(paths[1:], loaded[1:], strict=True):
        for key in SHARED_META:
            if meta.get(key) != first.get(key):
                raise ValueError(
                    f"{path} cannot join an ensemble with {paths[0]}: its {key} differs "
                    f"({meta.get(key)} vs {first.get(key)})"
                )
    sizes = [int(meta["input_size"][-1]) for _, meta in loaded]
    model = Ensemble([m for m, _ in loaded], sizes).eval()
    meta = {**first, "model": "+".join(m["model"] for _, m in loaded), "members": [str(p) for p in paths]}
    return model, meta
