"""Axis-aligned boxes: (x0, y0, x1, y1) corners or (cx, cy, w, h) centres, IoU between sets."""

from __future__ import annotations

from dataclasses import dataclass

import torch


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas of K x 4 corner boxes (0 for degenerate ones)."""
    return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(min=0)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """K x M intersection over union of corner boxes a (K x 4) and b (M x 4); 0 where the union is 0."""
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(-1)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter))


def paired_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Elementwise IoU of corner boxes a[..., 4] and b[..., 4] (broadcasting)."""
    top_left = torch.maximum(a[..., :2], b[..., :2])
    bottom_right = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(-1)
    union = box_area(a) + box_area(b) - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter))


def cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def xyxy_to_cxcywh(boxes: torch.Tensor) -> torch.Tensor:
    x0, y0, x1, y1 = boxes.unbind(-1)
    return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], -1)


def scale_boxes(boxes: torch.Tensor, width: float, height: float) -> torch.Tensor:
    """Multiply x coordinates by width and y by height (normalised <-> pixel boxes)."""
    return boxes * boxes.new_tensor([width, height, width, height])


@dataclass
class BoxTargets:
    """One image's ground truth: K x 4 corner boxes normalised to [0, 1] by the image's width and
    height, K class indices, and K `difficult` flags (Pascal VOC's: ignored by the metric)."""

    boxes: torch.Tensor
    labels: torch.Tensor
    difficult: torch.Tensor | None = None

    def __post_init__(self) -> None:
        self.boxes = torch.as_tensor(self.boxes, dtype=torch.float32).reshape(-1, 4)
        self.labels = torch.as_tensor(self.labels, dtype=torch.int64).reshape(-1)
        if self.difficult is None:
            self.difficult = torch.zeros(len(self.labels), dtype=torch.bool)
        self.difficult = torch.as_tensor(self.difficult, dtype=torch.bool).reshape(-1)
        if not len(self.boxes) == len(self.labels) == len(self.difficult):
            raise ValueError(
                f"BoxTargets needs as many boxes, labels and difficult flags; got "
                f"{len(self.boxes)}, {len(self.labels)}, {len(self.difficult)}"
            )

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> BoxTargets:
        return BoxTargets(self.boxes.to(device), self.labels.to(device), self.difficult.to(device))
