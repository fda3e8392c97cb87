"""Overlay pictures of segmentations: image | truth | prediction, the masks drawn over the image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..io import save_figure
from ..train.plots import figure
from .tiling import fit_to_output

IGNORE_COLOUR = (255, 255, 255)


def palette(num_classes: int) -> np.ndarray:
    """num_classes x 3 uint8 colours: black background, then matplotlib's tab10/tab20 colours."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if num_classes <= 11 else "tab20"]
    colours = [(0, 0, 0)] + [
        tuple(int(255 * c) for c in cmap(i % cmap.N)[:3]) for i in range(num_classes - 1)
    ]
    return np.array(colours, dtype=np.uint8)


def colour_mask(mask: np.ndarray, num_classes: int) -> np.ndarray:
    """H x W class indices -> H x W x 3 colours (255 = ignore: white)."""
    colours = np.concatenate([palette(num_classes), np.zeros((256 - num_classes, 3), np.uint8)])
    colours[255] = IGNORE_COLOUR
    return colours[mask.astype(np.int64).clip(0, 255)]


def overlay(image: np.ndarray, mask: np.ndarray, num_classes: int, alpha: float = 0.75) -> np.ndarray:
    """The image (H x W x 3 uint8) with the non-background classes of `mask` blended over it."""
    colour = colour_mask(mask, num_classes).astype(np.float32)
    out = image.astype(np.float32)
    fg = (mask != 0)[..., None]
    out = np.where(fg, (1 - alpha) * out + alpha * colour, out)
    return out.clip(0, 255).astype(np.uint8)


def as_rgb(image: torch.Tensor) -> np.ndarray:
    """uint8 C x H x W -> H x W x 3."""
    array = image.permute(1, 2, 0).numpy()
    return np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array


@torch.inference_mode()
def predict_masks(model: nn.Module, images: torch.Tensor, mean, std) -> torch.Tensor:
    """Class masks N x H x W predicted for uint8 images N x C x H x W (borders mirrored as needed)."""
    from ..data.tensors import normalize

    device = next(model.parameters()).device
    model.eval()
    x = normalize(images, torch.as_tensor(mean), torch.as_tensor(std)).to(device)
    return fit_to_output(model, x).argmax(1).cpu()


def plot_overlays(model: nn.Module, dataset, path: Path, count: int = 6) -> None:
    """image | truth | prediction for the first `count` test images (the same ones every run)."""
    split = dataset.test
    count = min(count, len(split))
    images, truth = split.images[:count], split.masks[:count]
    pred = predict_masks(model, images, dataset.mean, dataset.std)
    n = dataset.num_classes
    fig = figure(6.6, 2.25 * count)
    axes = fig.subplots(count, 3, squeeze=False)
    for row in range(count):
        rgb = as_rgb(images[row])
        panels = (rgb, overlay(rgb, truth[row].numpy(), n), overlay(rgb, pred[row].numpy(), n))
        for col, (ax, picture) in enumerate(zip(axes[row], panels, strict=True)):
            ax.imshow(picture, interpolation="nearest")
            ax.set_axis_off()
            if row == 0:
                ax.set_title(("image", "truth", "prediction")[col])
    from matplotlib.patches import Patch

    handles = [Patch(color=palette(n)[i] / 255, label=c) for i, c in enumerate(dataset.classes) if i]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(5, len(handles)), frameon=False)
    save_figure(fig, path, dpi=90)
