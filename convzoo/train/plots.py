"""PNG figures of a run: training curves (loss, a metric, learning rate) and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from ..io import save_figure


def figure(width: float, height: float):
    # The Agg canvas directly: no global backend switch, works without a display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_curves(
    history: Sequence[dict],
    path: Path,
    metric: str = "top1",
    title: str = "top-1 accuracy",
    extra: Sequence[str] = (),
) -> None:
    """Three panels over epochs: train/test loss, train/test `metric` (and the `extra` columns), lr."""
    fig = figure(12, 3.6)
    ax_loss, ax_metric, ax_lr = fig.subplots(1, 3)
    epochs = [row["epoch"] for row in history]
    for ax, key, name in ((ax_loss, "loss", "loss"), (ax_metric, metric, title)):
        ax.plot(epochs, [row[f"train_{key}"] for row in history], "o-", label="train")
        ax.plot(epochs, [row[f"test_{key}"] for row in history], "o-", label="test")
        ax.set(title=name, xlabel="epoch")
        ax.grid(alpha=0.3)
    for key in extra:
        ax_metric.plot(epochs, [row[key] for row in history], "s--", label=key.replace("_", " "))
    ax_loss.legend()
    ax_metric.legend()
    ax_lr.plot(epochs, [row["lr"] for row in history], "o-")
    ax_lr.set(title="learning rate (end of epoch)", xlabel="epoch")
    ax_lr.grid(alpha=0.3)
    save_figure(fig, path, dpi=90)


def plot_confusion(confusion: torch.Tensor, classes: Sequence[str], path: Path) -> None:
    """The confusion matrix (rows: true class, columns: predicted), counts written in the cells."""
    n = len(classes)
    size = min(14, 2.5 + 0.45 * n)
    fig = figure(size, size)
    ax = fig.subplots()
    ax.imshow(confusion.numpy(), cmap="Blues")
    if n <= 30:
        ticks = range(n)
        ax.set_xticks(ticks, classes, rotation=90 if n > 10 else 0)
        ax.set_yticks(ticks, classes)
        vmax = int(confusion.max()) or 1
        for i in range(n):
            for j in range(n):
                value = int(confusion[i, j])
                if value:
                    colour = "white" if value > vmax / 2 else "black"
                    ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix (test)")
    save_figure(fig, path, dpi=90)
