"""Detection pictures: images with predicted (and true) boxes, precision-recall curves per class."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..contract import Detections
from ..io import save_figure
from ..train.plots import figure
from .boxes import BoxTargets, scale_boxes

COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45")


def draw_boxes(
    ax,
    image: np.ndarray,
    detections: Detections | None,
    classes: Sequence[str],
    truth: BoxTargets | None = None,
) -> None:
    """Show an H x W x 3 image with predicted boxes (solid, "class score") and true ones (dashed
    white on black)."""
    from matplotlib.patches import Rectangle

    h, w = image.shape[:2]
    ax.imshow(image)
    ax.set_axis_off()
    if truth is not None:
        for box in scale_boxes(truth.boxes, w, h).tolist():
            x0, y0, x1, y1 = box
            # black under white dashes: visible on light shapes whose edges the box follows exactly
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="black", lw=2.0))
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="white", ls="--", lw=1.2))
    if detections is None:
        return
    for box, score, label in zip(
        detections.boxes.tolist(), detections.scores.tolist(), detections.labels.tolist(), strict=True
    ):
        x0, y0, x1, y1 = box
        colour = COLOURS[label % len(COLOURS)]
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=colour, lw=1.8))
        ax.text(
            x0, y0, f"{classes[label]} {score:.2f}", color="white", fontsize=7, va="bottom",
            bbox=dict(facecolor=colour, edgecolor="none", pad=1, alpha=0.85),
        )  # fmt: skip


def plot_detection_grid(
    images: Sequence[np.ndarray],
    detections: Sequence[Detections],
    truths: Sequence[BoxTargets] | None,
    classes: Sequence[str],
    path: str | Path,
    columns: int = 4,
    title: str | None = None,
) -> Path:
    """A grid of images with their predicted boxes (and dashed true boxes when given)."""
    n = len(images)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig = figure(2.6 * cols, 2.6 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for i, ax in enumerate(axes):
        if i < n:
            draw_boxes(ax, images[i], detections[i], classes, truths[i] if truths is not None else None)
        else:
            ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def plot_prediction(
    image: np.ndarray, detections: Detections, classes: Sequence[str], path: str | Path
) -> Path:
    """One image with its predicted boxes, labels and scores, at its own size."""
    h, w = image.shape[:2]
    fig = figure(max(2.0, w / 100), max(2.0, h / 100))
    draw_boxes(fig.subplots(), image, detections, classes)
    return save_figure(fig, path)


def plot_pr_curves(
    per_class: Sequence[dict], curves: dict, path: str | Path, title: str = "precision-recall at IoU 0.5"
) -> Path:
    """One precision-recall curve per class with objects (VOC matching at IoU 0.5), AP in the legend."""
    fig = figure(5.5, 4.2)
    ax = fig.subplots()
    for k, row in enumerate(per_class):
        if not row["positives"]:
            continue
        recall, precision = curves[row["class"]]
        ax.plot(
            np.concatenate([[0], recall]), np.concatenate([[1], precision]), color=COLOURS[k % len(COLOURS)],
            label=f"{row['class']} (AP {row['ap50']:.3f})",
        )  # fmt: skip
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return save_figure(fig, path)


def plot_loss_terms(history: Sequence[dict], terms: Sequence[str], path: str | Path) -> Path:
    """Each loss term per epoch, training (solid) and test (dashed), one panel per term."""
    fig = figure(3.2 * len(terms), 3.0)
    epochs = [row["epoch"] for row in history]
    for ax, term in zip(np.atleast_1d(fig.subplots(1, len(terms))), terms, strict=True):
        ax.plot(epochs, [row[f"train_loss_{term}"] for row in history], "o-", label="train")
        ax.plot(epochs, [row[f"test_loss_{term}"] for row in history], "s--", label="test")
        ax.set(title=f"loss: {term}", xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=90)
