"""Pixel-wise softmax cross-entropy weighted per pixel (U-Net's energy function, Sec. 3, Eq. 1)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .weight_map import IGNORE_INDEX


def weighted_cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    ignore_index: int = IGNORE_INDEX,
) -> torch.Tensor:
    """Mean over labelled pixels of w(x) * -log softmax(logits)(x)[target(x)].

    logits N x K x H x W, target N x H x W (ignore_index: not counted), weight N x H x W or None
    (every pixel weighs 1). The sum is divided by the number of labelled pixels, not by the sum of
    weights, so the weight map changes the gradient's size as the paper's energy does.
    """
    per_pixel = F.cross_entropy(logits.float(), target, ignore_index=ignore_index, reduction="none")
    if weight is not None:
        per_pixel = per_pixel * weight
    labelled = (target != ignore_index).sum().clamp(min=1)
    return per_pixel.sum() / labelled
