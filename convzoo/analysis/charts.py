"""The zoo chart (parameters vs MACs) and the ILSVRC timeline, drawn with matplotlib (Agg).

Both write PNGs atomically (`convzoo.io.save_figure`): a failed run never leaves half a picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from ..io import save_figure
from .ilsvrc import CHALLENGE, TimelinePoint
from .zoo_costs import ZooPoint


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _clusters(points: Sequence[ZooPoint]) -> list[list[ZooPoint]]:
    """Points that sit on top of each other (within 2% in both axes) share one label."""
    groups: dict[tuple[int, int], list[ZooPoint]] = {}
    for p in points:
        key = (round(math.log10(p.params) / 0.009), round(math.log10(p.macs) / 0.009))
        groups.setdefault(key, []).append(p)
    return list(groups.values())


# label offsets tried in turn (points): right, left, above, below, then further out with a leader line
OFFSETS = [(5, 2), (-5, 2), (0, 8), (0, -10), (5, -8), (-5, -8), (5, 10), (-5, 10)] + [
    (dx * r, dy * r) for r in (18, 28, 40) for dx, dy in ((1, 1), (-1, 1), (1, -1), (-1, -1), (1, 0), (-1, 0))
]


def _place_labels(fig, ax, labels: Sequence[tuple[float, float, str]]) -> None:
    """Greedy placement: each label takes the first offset whose box overlaps no label placed before."""
    renderer = fig.canvas.get_renderer()
    placed = []
    for x, y, text in labels:
        label = ax.annotate(
            text, (x, y), xytext=(0, 0), textcoords="offset points", fontsize=6.5, color="0.1", zorder=4
        )
        best = None
        for dx, dy in OFFSETS:
            label.set_position((dx, dy))
            label.set_horizontalalignment("left" if dx >= 0 else "right")
            box = label.get_window_extent(renderer).expanded(1.04, 1.15)
            overlap = sum(box.overlaps(other) for other in placed)
            if best is None or overlap < best[0]:
                best = (overlap, dx, dy, box)
            if overlap == 0:
                break
        _, dx, dy, box = best
        label.set_position((dx, dy))
        label.set_horizontalalignment("left" if dx >= 0 else "right")
        if abs(dx) > 10 or abs(dy) > 12:
            ax.annotate(
                "",
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                arrowprops={"arrowstyle": "-", "color": "0.55", "lw": 0.5},
                zorder=1,
            )
        placed.append(box)


def zoo_chart(points: Sequence[ZooPoint], out: str | Path) -> Path:
    """Parameters vs MACs (log-log), coloured by the card's top-1, every point labelled."""
    if not points:
        raise ValueError("no models to draw")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(15, 10))
    rated = [p for p in points if p.top1 is not None]
    unrated = [p for p in points if p.top1 is None]
    ax.scatter(
        [p.params / 1e6 for p in unrated],
        [p.macs / 1e9 for p in unrated],
        s=28,
        facecolors="white",
        edgecolors="0.45",
        label="card reports no ImageNet top-1",
        zorder=2,
    )
    dots = ax.scatter(
        [p.params / 1e6 for p in rated],
        [p.macs / 1e9 for p in rated],
        c=[p.top1 for p in rated],
        s=[18 + 3.5 * max(p.top1 - 50, 0) for p in rated],
        cmap="viridis",
        edgecolors="0.2",
        linewidths=0.5,
        zorder=3,
    )
    colorbar = fig.colorbar(dots, ax=ax, pad=0.01)
    colorbar.set_label("top-1 accuracy on ImageNet (%): the first top-1 result the card lists")
    ax.set_xscale("log")
    ax.set_yscale("log")
    labels = [
        (g[0].params / 1e6, g[0].macs / 1e9, ", ".join(q.name for q in g))
        for g in sorted(_clusters(points), key=lambda g: -g[0].macs)
    ]
    _place_labels(fig, ax, labels)
    ax.set_xlabel("parameters (millions)")
    ax.set_ylabel("multiply-accumulates per image (billions)")
    ax.set_title(
        f"The convzoo: {len(points)} ImageNet classifiers, parameters vs MACs "
        "(batch 1, each card's input size; size and colour: reported top-1)"
    )
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="upper left", fontsize=8)
    fig.text(
        0.01,
        0.005,
        "MACs: torch.utils.flop_counter.FlopCounterMode (convolutions and matrix multiplies, FLOPs // 2). "
        "Parameters: exact counts. `convzoo chart zoo --json` lists every point.",
        fontsize=7,
        color="0.3",
    )
    return save_figure(fig, out)


def timeline_chart(points: Sequence[TimelinePoint], out: str | Path) -> Path:
    """The ILSVRC winners' top-5 error by year; filled markers come from model cards."""
    if not points:
        raise ValueError("no entries to draw")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 6.5))
    winners = sorted((p for p in points if p.winner), key=lambda p: p.year)
    ax.plot([p.year for p in winners], [p.top5_error for p in winners], color="0.6", lw=1.5, zorder=1)
    for from_card in (True, False):
        chosen = [p for p in points if p.source.startswith("card") == from_card]
        ax.scatter(
            [p.year for p in chosen],
            [p.top5_error for p in chosen],
            s=[90 if p.winner else 55 for p in chosen],
            facecolors="tab:blue" if from_card else "white",
            edgecolors="tab:blue",
            linewidths=1.5,
            zorder=3,
            label="from a convzoo model card" if from_card else "from the challenge's results table",
        )
    for p in points:
        ax.annotate(
            f"{p.team}\n{p.top5_error:g}%" + ("" if p.winner else f" ({p.note.split(';')[0]})"),
            (p.year, p.top5_error),
            xytext=(10, -4 if p.winner else 4),
            textcoords="offset points",
            fontsize=8,
            va="center",
        )
    ax.set_xticks(sorted({p.year for p in points}))
    ax.set_xlim(min(p.year for p in points) - 0.4, max(p.year for p in points) + 0.9)
    ax.set_ylim(0, max(p.top5_error for p in points) * 1.15)
    ax.set_xlabel("ILSVRC year")
    ax.set_ylabel("top-5 classification error, test set (%)")
    ax.set_title("ILSVRC classification: the winners' top-5 error (small markers: runner-up, no extra data)")
    ax.grid(True, alpha=0.25)
    ax.legend(loc="upper right", fontsize=8)
    sources = "\n".join(f"{p.year} {p.team} {p.top5_error:g}%: {p.source}" for p in points)
    fig.text(0.01, -0.02, f"Sources (challenge table = {CHALLENGE}):\n{sources}", fontsize=7, va="top")
    return save_figure(fig, out)
