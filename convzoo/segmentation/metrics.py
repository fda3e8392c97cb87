"""Pixel metrics of semantic segmentation from one confusion matrix: IoU, Dice, pixel accuracy.

The matrix (rows: true class, columns: predicted) is summed over a split (and across DDP ranks),
so every score is the dataset-level one, as torchmetrics' MulticlassJaccardIndex,
MulticlassF1Score (Dice) and MulticlassAccuracy(average="micro") compute them (tests check the
agreement). Pixels labelled ignore_index (Pascal VOC's 255 borders) are not counted.
"""

from __future__ import annotations

from typing import Any

import torch

from .weight_map import IGNORE_INDEX


def pixel_confusion(
    pred: torch.Tensor, target: torch.Tensor, num_classes: int, ignore_index: int = IGNORE_INDEX
) -> torch.Tensor:
    """num_classes x num_classes counts of (true, predicted) over the labelled pixels."""
    keep = target != ignore_index
    t, p = target[keep].long(), pred[keep].long()
    return torch.bincount(t * num_classes + p, minlength=num_classes**2).view(num_classes, num_classes)


def segmentation_scores(confusion: torch.Tensor) -> dict[str, Any]:
    """{"miou", "iou" (per class), "dice" (mean), "dice_per_class", "pixel_acc"} from a confusion matrix.

    Means are over the classes that occur (in the truth or the prediction); a class that never
    does has IoU and Dice NaN in the per-class lists.
    """
    c = confusion.double()
    tp = c.diag()
    truth, predicted = c.sum(1), c.sum(0)
    union = truth + predicted - tp
    occurs = union > 0
    iou = torch.where(occurs, tp / union.clamp(min=1), torch.full_like(tp, float("nan")))
    dice = torch.where(occurs, 2 * tp / (truth + predicted).clamp(min=1), torch.full_like(tp, float("nan")))
    return {
        "miou": float(iou[occurs].mean()) if occurs.any() else 0.0,
        "iou": iou.tolist(),
        "dice": float(dice[occurs].mean()) if occurs.any() else 0.0,
        "dice_per_class": dice.tolist(),
        "pixel_acc": float(tp.sum() / c.sum().clamp(min=1)),
    }


class SegmentationMeter:
    """Accumulates the pixel confusion matrix (and a loss sum) batch by batch."""

    def __init__(self, num_classes: int, ignore_index: int = IGNORE_INDEX) -> None:
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)
        self.loss_sum = torch.zeros((), dtype=torch.float64)
        self.images = 0

    def update(self, logits: torch.Tensor, target: torch.Tensor, loss: torch.Tensor | None = None) -> None:
        """Add a batch: logits N x K x H x W, target N x H x W; `loss` the batch's mean loss per image."""
        pred = logits.argmax(1).cpu()
        self.confusion += pixel_confusion(pred, target.cpu(), self.num_classes, self.ignore_index)
        if loss is not None:
            self.loss_sum += float(loss) * len(target)
        self.images += len(target)

    def compute(self) -> dict[str, Any]:
        """The scores, the confusion matrix, the mean loss per image and the pixel count."""
        return {
            "loss": float(self.loss_sum) / max(1, self.images),
            **segmentation_scores(self.confusion),
            "confusion": self.confusion,
            "count": int(self.confusion.sum()),
            "images": self.images,
        }
