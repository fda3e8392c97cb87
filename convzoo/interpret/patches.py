"""The image patches that activate a unit most (Zeiler & Fergus 2014, Fig. 2, without the deconvnet).

For each chosen feature map (unit) of a layer, every image's strongest response on that map is
found; the top 9 over the dataset are shown as the input patches that unit sees there, cropped to
the unit's receptive field as `convzoo.summary` tracks it (size, effective stride and the centre
of the first unit's field), so a deeper layer's patches are larger.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..analysis import summary
from ..io import save_figure
from .plots import _pyplot, to_display
from .visualize import layer_output


@dataclass
class UnitPatches:
    """A unit's top activations: the values, the image indices, the (row, col) of the unit, the patches."""

    unit: int
    values: torch.Tensor  # k
    images: torch.Tensor  # k image indices
    positions: list[tuple[int, int]]
    patches: torch.Tensor  # k x C x size x size


def receptive_field(model: nn.Module, layer: str, input_size: tuple[int, int, int]) -> tuple[int, int, float]:
    """(size, stride, start) of `layer`'s units along the rows, from convzoo.summary."""
    try:
        row = summary(model, input_size).row(layer)
    except KeyError:
        raise ValueError(f"no layer named {layer!r} in the summary of {type(model).__name__}") from None
    if row.rf_size is None or row.rf_stride is None or row.rf_stride[0] is None:
        raise ValueError(f"{layer} has no spatial receptive field (choose a convolutional layer)")
    return math.ceil(row.rf_size[0]), int(row.rf_stride[0]), float(row.rf_start[0])


def crop(image: torch.Tensor, centre: tuple[float, float], size: int) -> torch.Tensor:
    """The size x size patch of image (C x H x W) centred at (row, col); outside the image is zero."""
    top, left = (round(c - (size - 1) / 2) for c in centre)
    padded = F.pad(image, (size, size, size, size))
    return padded[:, top + size : top + 2 * size, left + size : left + 2 * size]


def top_patches(
    model: nn.Module,
    images: torch.Tensor,
    layer: str,
    units: Sequence[int] | None = None,
    k: int = 9,
    batch_size: int = 256,
) -> list[UnitPatches]:
    """For each unit (feature map) of `layer`: the k images where it responds most, and the patches."""
    size, stride, start = receptive_field(model, layer, tuple(images.shape[1:]))
    maxima, where = [], []
    for i in range(0, len(images), batch_size):
        out = layer_output(model, images[i : i + batch_size], layer)
        if out.dim() != 4:
            raise ValueError(f"{layer} gives {tuple(out.shape)}, not feature maps")
        flat = out.flatten(2)  # N x C x (h*w)
        value, index = flat.max(2)
        maxima.append(value)
        where.append(index)
        width = out.shape[-1]
    maxima, where = torch.cat(maxima), torch.cat(where)
    units = list(range(min(8, maxima.shape[1]))) if units is None else list(units)
    bad = [u for u in units if not 0 <= u < maxima.shape[1]]
    if bad:
        raise ValueError(f"{layer} has units 0..{maxima.shape[1] - 1}, got {bad}")
    k = min(k, len(images))
    result = []
    for unit in units:
        values, chosen = maxima[:, unit].topk(k)
        positions = [divmod(int(where[n, unit]), width) for n in chosen.tolist()]
        patches = torch.stack(
            [
                crop(images[n], (start + r * stride, start + c * stride), size)
                for n, (r, c) in zip(chosen.tolist(), positions, strict=True)
            ]
        )
        result.append(UnitPatches(unit, values, chosen, positions, patches))
    return result


def save_top_patches(found: list[UnitPatches], path: str | Path, title: str) -> Path:
    """A 3x3 block of patches per unit (Zeiler & Fergus Fig. 2's layout), units side by side."""
    plt = _pyplot()
    per_row = min(4, len(found))
    rows = math.ceil(len(found) / per_row)
    side = math.ceil(math.sqrt(max(len(u.patches) for u in found)))
    fig = plt.figure(figsize=(2.3 * per_row, 2.5 * rows + 0.5))
    outer = fig.add_gridspec(rows, per_row, wspace=0.15, hspace=0.3)
    for i, unit in enumerate(found):
        inner = outer[i // per_row, i % per_row].subgridspec(side, side, wspace=0.05, hspace=0.05)
        for j in range(side * side):
            ax = fig.add_subplot(inner[j // side, j % side])
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(unit.patches):
                shown = to_display(unit.patches[j])
                ax.imshow(shown, cmap="gray" if shown.ndim == 2 else None)
            if j == side // 2:
                ax.set_title(f"unit {unit.unit}", fontsize=8)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path)
