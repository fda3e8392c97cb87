"""shapes-seg: generated images with several shape instances each, some touching, for segmentation.

Every image holds 2-5 shapes (circle, square, triangle, diamond) of random colours on dark noise.
About half of them are placed against an earlier one, separated by a single background pixel:
the touching objects that U-Net's weight map (Ronneberger et al. 2015, Sec. 3) is meant to keep
apart. Each image comes with its class mask (0 background, class + 1 on a shape) and its instance
mask (0 background, 1..k the shapes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .shapes import SHAPE_CLASSES, inside_shape

SEG_CLASSES = ("background", *SHAPE_CLASSES)


@dataclass
class ShapesSeg:
    """uint8 images N x 3 x S x S, class masks N x S x S and instance masks N x S x S."""

    images: torch.Tensor
    masks: torch.Tensor
    instances: torch.Tensor


def _grown(mask: np.ndarray) -> np.ndarray:
    """The mask grown by one pixel in the 8 directions (what a one-pixel gap must not touch)."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    out[:, 1:] |= out[:, :-1].copy()
    out[:, :-1] |= out[:, 1:].copy()
    return out


def _place(
    rng: np.random.Generator, taken: np.ndarray, kind: int, r: float, touch: bool
) -> np.ndarray | None:
    """A shape's pixels that keep at least one background pixel from `taken`, or None.

    `touch`: slide in from outside toward an existing pixel and stop at the last free position,
    leaving exactly the one-pixel gap; otherwise anywhere free.
    """
    size = taken.shape[0]
    grid = np.arange(size, dtype=np.float64)
    grown = _grown(taken)
    for _ in range(20):
        if touch and taken.any():
            ys, xs = np.nonzero(taken)
            k = rng.integers(len(ys))
            angle = rng.uniform(0, 2 * np.pi)
            dy, dx = np.sin(angle), np.cos(angle)
            best = None
            for step in np.arange(0.6 * size, 0, -0.5):  # from far away toward the chosen pixel
                cy, cx = ys[k] + dy * step, xs[k] + dx * step
                if not (r <= cy <= size - 1 - r and r <= cx <= size - 1 - r):
                    continue
                inside = inside_shape(kind, grid[:, None] - cy, grid[None, :] - cx, r)
                if (inside & grown).any():
                    break
                best = inside
            if best is not None and best.any() and (_grown(_grown(best)) & taken).any():
                return best
        else:
            cy, cx = rng.uniform(r, size - 1 - r, 2)
            inside = inside_shape(kind, grid[:, None] - cy, grid[None, :] - cx, r)
            if inside.any() and not (inside & grown).any():
                return inside
    return None


def make_shapes_seg(count: int, size: int = 64, seed: int = 0) -> ShapesSeg:
    """`count` images of `size` x `size`, reproducible from `seed`."""
    if size < 24:
        raise ValueError(f"shapes-seg needs images of at least 24x24, got {size}")
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 96, (count, size, size, 3), dtype=np.uint8)
    masks = np.zeros((count, size, size), dtype=np.uint8)
    instances = np.zeros((count, size, size), dtype=np.uint8)
    for i in range(count):
        taken = np.zeros((size, size), dtype=bool)
        for _ in range(int(rng.integers(2, 6))):
            kind = int(rng.integers(len(SHAPE_CLASSES)))
            r = rng.uniform(size * 0.1, size * 0.2)
            inside = _place(rng, taken, kind, r, touch=bool(rng.random() < 0.5))
            if inside is None:
                continue
            taken |= inside
            images[i][inside] = rng.integers(128, 256, 3, dtype=np.uint8)
            masks[i][inside] = kind + 1
            instances[i][inside] = instances[i].max() + 1
    return ShapesSeg(
        torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
        torch.from_numpy(masks),
        torch.from_numpy(instances),
    )
