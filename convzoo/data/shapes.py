"""A generated dataset: one coloured shape (circle, square, triangle, diamond) on noise.

Any size and count; every image comes with its mask and box, for segmentation and detection too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SHAPE_CLASSES = ("circle", "square", "triangle", "diamond")


@dataclass
class Shapes:
    """Generated images (uint8 N x 3 x S x S), labels, masks (N x S x S, class + 1 on the shape) and boxes."""

    images: torch.Tensor
    labels: torch.Tensor
    masks: torch.Tensor
    boxes: torch.Tensor  # N x 4: x0, y0, x1, y1 in pixels, inclusive-exclusive


def inside_shape(kind: int, yy: np.ndarray, xx: np.ndarray, r: float) -> np.ndarray:
    """Pixels inside shape `kind` (an index into SHAPE_CLASSES) of radius r, at offsets (yy, xx)
    from its centre."""
    if kind == 0:
        return yy**2 + xx**2 <= r**2
    if kind == 1:
        return (np.abs(yy) <= r * 0.8) & (np.abs(xx) <= r * 0.8)
    if kind == 2:  # equilateral, inscribed in the circle of radius r: apex at -r, base at +r/2
        return (yy <= r / 2) & (np.abs(xx) <= (yy + r) / np.sqrt(3))
    return np.abs(yy) + np.abs(xx) <= r


def make_shapes(count: int, size: int = 32, seed: int = 0) -> Shapes:
    """`count` images of `size` x `size`, classes balanced in turn, reproducible from `seed`."""
    if size < 8:
        raise ValueError(f"shapes needs images of at least 8x8, got {size}")
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 96, (count, size, size, 3), dtype=np.uint8)  # dark noise background
    masks = np.zeros((count, size, size), dtype=np.uint8)
    boxes = np.zeros((count, 4), dtype=np.int64)
    labels = np.arange(count) % len(SHAPE_CLASSES)
    rng.shuffle(labels)
    grid = np.arange(size, dtype=np.float64)
    for i, kind in enumerate(labels):
        r = rng.uniform(size * 0.18, size * 0.35)
        cy, cx = rng.uniform(r, size - r, 2)
        inside = inside_shape(int(kind), grid[:, None] - cy, grid[None, :] - cx, r)
        colour = rng.integers(128, 256, 3, dtype=np.uint8)
        images[i][inside] = colour
        masks[i][inside] = kind + 1
        ys, xs = np.nonzero(inside)
        boxes[i] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    return Shapes(
        torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
        torch.from_numpy(labels.astype(np.int64)),
        torch.from_numpy(masks),
        torch.from_numpy(boxes),
    )
