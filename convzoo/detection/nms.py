"""Greedy non-maximum suppression, the algorithm and tie-breaking of torchvision.ops.nms.

torchvision's compiled ops are tied to its own torch build, so convzoo carries this one (tests
compare it with torchvision.ops.batched_nms outputs recorded in a fixture).
"""

from __future__ import annotations

import torch

from .boxes import box_iou


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices of the boxes kept, by decreasing score: each suppresses the later ones it overlaps
    with IoU > iou_threshold."""
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    overlaps = box_iou(boxes[order], boxes[order]) > iou_threshold
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    overlaps, keep = overlaps.cpu(), []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= overlaps[i]
    return order[torch.tensor(keep, dtype=torch.int64, device=order.device)]


def batched_nms(
    boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """NMS within each class independently (boxes of different classes never suppress each other);
    indices kept, by decreasing score."""
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    # Shift each class's boxes by a multiple of the largest coordinate: no two classes overlap.
    offsets = classes.to(boxes) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)
