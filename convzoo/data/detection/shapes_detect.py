"""shapes-detect: generated images with several coloured shapes each (circle, square, triangle,
diamond) on noise, and their boxes; any size, reproducible from a seed."""

from __future__ import annotations

import numpy as np
import torch

from ...detection.boxes import box_iou
from ..shapes import SHAPE_CLASSES, inside_shape
from .records import DetectionRecord, make_record


def make_shapes_detect(
    count: int, size: int = 112, seed: int = 0, max_objects: int = 3, max_overlap: float = 0.1
) -> list[DetectionRecord]:
    """`count` size x size images with 1..max_objects shapes, radius 10-22% of the side, placed so
    that no two boxes overlap by IoU > max_overlap."""
    if size < 16:
        raise ValueError(f"shapes-detect needs images of at least 16x16, got {size}")
    rng = np.random.default_rng(seed)
    grid = np.arange(size, dtype=np.float64)
    records = []
    for _ in range(count):
        image = rng.integers(0, 96, (size, size, 3), dtype=np.uint8)
        boxes, labels = [], []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            for _attempt in range(20):
                kind = int(rng.integers(len(SHAPE_CLASSES)))
                r = rng.uniform(size * 0.10, size * 0.22)
                cy, cx = rng.uniform(r, size - r, 2)
                inside = inside_shape(kind, grid[:, None] - cy, grid[None, :] - cx, r)
                ys, xs = np.nonzero(inside)
                box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
                if (
                    boxes
                    and box_iou(
                        torch.tensor([box], dtype=torch.float), torch.tensor(boxes, dtype=torch.float)
                    ).max()
                    > max_overlap
                ):
                    continue
                image[inside] = rng.integers(128, 256, 3, dtype=np.uint8)
                boxes.append(box)
                labels.append(kind)
                break
        records.append(make_record(size, size, boxes, labels, pixels=image))
    return records
