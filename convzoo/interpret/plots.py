"""Pictures of attributions and visualisations (matplotlib, Agg backend)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch

from ..io import save_figure
from .attribution import AttributionResult


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def to_display(image: torch.Tensor):
    """C x H x W (any range) -> an H x W x C (or H x W) numpy array in [0, 1] for imshow."""
    img = image.detach().float().cpu()
    img = (img - img.min()) / (img.max() - img.min()).clamp(min=1e-8)
    return (img[0] if img.shape[0] == 1 else img.permute(1, 2, 0)).numpy()


def class_label(index: int, class_names: Sequence[str] | None) -> str:
    return class_names[index] if class_names and index < len(class_names) else str(index)


def save_overlay(
    image: torch.Tensor,
    result: AttributionResult,
    path: str | Path,
    class_names: Sequence[str] | None = None,
) -> Path:
    """The image, and the map overlaid on it, titled with the predicted and target classes."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.3))
    shown = to_display(image)
    cmap = "gray" if shown.ndim == 2 else None
    axes[0].imshow(shown, cmap=cmap)
    axes[0].set_title("input")
    heat = (result.heatmap / result.heatmap.max().clamp(min=1e-12)).cpu().numpy()
    axes[1].imshow(shown, cmap=cmap)
    axes[1].imshow(heat, cmap="jet", alpha=0.5)
    empty = " - zero everywhere" if float(result.heatmap.max()) == 0.0 else ""
    axes[1].set_title(result.method + (f" ({result.layer})" if result.layer else "") + empty)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(
        f"predicted {class_label(result.predicted, class_names)} ({result.predicted_prob:.1%}), "
        f"target {class_label(result.target, class_names)} ({result.target_prob:.1%})"
    )
    return save_figure(fig, path)


def save_grid(maps: torch.Tensor, path: str | Path, title: str, max_items: int = 64) -> Path:
    """A grid of K images (K x C x h x w with C in {1, 3}, or K x h x w), each scaled to [0, 1]."""
    plt = _pyplot()
    if maps.dim() == 3:
        maps = maps.unsqueeze(1)
    if maps.shape[1] not in (1, 3):  # filters over many input maps: show their mean
        maps = maps.mean(1, keepdim=True)
    maps = maps[:max_items]
    cols = math.ceil(math.sqrt(len(maps)))
    rows = math.ceil(len(maps) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.3 * rows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, m in zip(axes.flat, maps, strict=False):
        shown = to_display(m)
        ax.imshow(shown, cmap="gray" if shown.ndim == 2 else None, interpolation="nearest")
    fig.suptitle(title)
    return save_figure(fig, path)


def save_image(image: torch.Tensor, path: str | Path, title: str) -> Path:
    """One image, scaled to [0, 1], with a title."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4, 4.3))
    shown = to_display(image)
    ax.imshow(shown, cmap="gray" if shown.ndim == 2 else None)
    ax.axis("off")
    ax.set_title(title)
    return save_figure(fig, path)
