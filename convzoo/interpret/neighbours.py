"""Nearest neighbours in the last hidden layer (Krizhevsky et al. 2012, Sec. 6.1 and Fig. 4 right).

Images whose last-hidden-layer vectors (the pooled embedding `forward_head(..., pre_logits=True)`;
AlexNet's 4096-d fc7 output) are close in Euclidean distance are ones the network considers
similar, even where their pixels are far apart in L2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..io import save_figure
from ..transfer.embeddings import extract_features
from .plots import _pyplot, class_label, to_display


@dataclass
class Neighbours:
    """For each query: the indices of its k nearest gallery items and their distances, nearest first."""

    indices: torch.Tensor  # Q x k
    distances: torch.Tensor  # Q x k


def nearest_neighbours(
    model: nn.Module, queries: torch.Tensor, gallery: torch.Tensor, k: int = 6, batch_size: int = 256
) -> Neighbours:
    """The k gallery images nearest to each query in the model's last hidden layer (Euclidean)."""
    if not 1 <= k <= len(gallery):
        raise ValueError(f"k must be in 1..{len(gallery)} (the gallery's size), got {k}")

    def embed(x: torch.Tensor) -> torch.Tensor:
        chunks = ((x[i : i + batch_size], torch.zeros(0)) for i in range(0, len(x), batch_size))
        return torch.from_numpy(extract_features(model, chunks)[0]).double()

    distances = torch.cdist(embed(queries), embed(gallery))
    nearest = distances.topk(k, dim=1, largest=False)
    return Neighbours(nearest.indices, nearest.values)


def save_neighbours(
    queries: torch.Tensor,
    query_labels: Sequence[int],
    gallery: torch.Tensor,
    gallery_labels: Sequence[int],
    found: Neighbours,
    path: str | Path,
    title: str,
    class_names: Sequence[str] | None = None,
) -> Path:
    """One row per query: the test image (left, framed) and its nearest training images."""
    plt = _pyplot()
    rows, k = found.indices.shape
    fig, axes = plt.subplots(rows, k + 1, figsize=(1.4 * (k + 1), 1.55 * rows + 0.6), squeeze=False)
    for r in range(rows):
        cells = [(queries[r], int(query_labels[r]), None)] + [
            (gallery[i], int(gallery_labels[i]), float(d))
            for i, d in zip(found.indices[r].tolist(), found.distances[r].tolist(), strict=True)
        ]
        for c, (image, label, distance) in enumerate(cells):
            ax = axes[r, c]
            shown = to_display(image)
            ax.imshow(shown, cmap="gray" if shown.ndim == 2 else None)
            ax.set_xticks([])
            ax.set_yticks([])
            name = class_label(label, class_names)
            ax.set_title(name if distance is None else f"{name}, d={distance:.2g}", fontsize=7)
            if distance is None:
                for spine in ax.spines.values():
                    spine.set_edgecolor("red")
                    spine.set_linewidth(2)
    axes[0, 0].set_title(f"test: {axes[0, 0].get_title()}", fontsize=7)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path)
