"""Evaluation: loss, top-1/top-5 and the confusion matrix over a split, summed across DDP ranks."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.nn import functional as F

from .distributed import DistContext


def confusion_counts(logits: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """num_classes x num_classes counts: row = true class, column = predicted class."""
    pred = logits.argmax(1)
    return torch.bincount(labels * num_classes + pred, minlength=num_classes**2).view(
        num_classes, num_classes
    )


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    num_classes: int,
    *,
    dist: DistContext | None = None,
    prepare: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    predict: Callable[[nn.Module, torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, object]:
    """{"loss", "top1", "top5", "per_class", "confusion", "count"} over the batches (fractions).

    `predict(model, x)` gives the logits (default: model(x); TTA passes its own).
    """
    model.eval()
    k = min(5, num_classes)
    loss_sum = torch.zeros((), dtype=torch.float64)
    top5 = torch.zeros((), dtype=torch.long)
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for x, y in batches:
        x = prepare(x)
        logits = (predict(model, x) if predict else model(x)).float().cpu()
        loss_sum += F.cross_entropy(logits, y, reduction="sum").double()
        top5 += (logits.topk(k, 1).indices == y.view(-1, 1)).any(1).sum()
        confusion += confusion_counts(logits, y, num_classes)
    if dist is not None and dist.world > 1:
        loss_sum, top5, confusion = (dist.all_reduce(t) for t in (loss_sum, top5, confusion))
    count = int(confusion.sum())
    per_class = confusion.diag().double() / confusion.sum(1).clamp(min=1)
    return {
        "loss": float(loss_sum) / max(1, count),
        "top1": float(confusion.diag().sum()) / max(1, count),
        "top5": float(top5) / max(1, count),
        "per_class": per_class.tolist(),
        "confusion": confusion,
        "count": count,
    }


def accuracy_text(top1: float, top5: float | None, num_classes: int) -> str:
    """'97.80% (top-5 99.50%)'; top-5 is left out below 6 classes, where it is 100% by construction."""
    if top5 is None or num_classes <= 5:
        return f"{top1:.2%}"
    return f"{top1:.2%} (top-5 {top5:.2%})"
