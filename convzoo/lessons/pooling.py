"""Pooling: max and average written out, AlexNet's overlapping 3x3/2, and receptive-field growth.

The receptive fields come from `convzoo.summary` (which tracks them through a real forward pass)
and are checked against the lecture's recurrence r' = r + (k - 1) * j, j' = j * s.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..analysis import summarize_registered, summary
from ..io import save_figure
from .base import Lesson, annotate_matrix, pyplot
from .convolution import conv_output_size

# The classic 4x4 example of 2x2, stride-2 pooling.
EXAMPLE = torch.tensor([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=torch.float64)
EXAMPLE_MAX = [[6, 8], [3, 4]]
EXAMPLE_AVG = [[3.25, 5.25], [2, 2]]
# AlexNet (Sec. 3.4): 3x3 windows every 2 pixels, so neighbouring windows share a row or column;
# the maps shrink 55 -> 27, 27 -> 13, 13 -> 6.
ALEXNET_POOLS = ((55, 27), (27, 13), (13, 6))
# The receptive field of AlexNet's conv1, pool1, conv2, pool2, conv3, conv4, conv5, pool5 (pixels)
# and the input pixels between neighbouring units there.
ALEXNET_RF = [11, 19, 51, 67, 99, 131, 163, 195]
ALEXNET_JUMP = [4, 8, 8, 16, 16, 16, 16, 32]
# Three stacked 3x3 convolutions see 3, 5, 7 pixels (VGG, Sec. 2.3).
VGG_STACK_RF = [3, 5, 7]


def pool_by_hand(x: torch.Tensor, kernel: int, stride: int, reduce: str) -> torch.Tensor:
    """Pooling as the lecture writes it: slide a window, take its max (or mean)."""
    n = conv_output_size(x.shape[-1], kernel, 0, stride)
    out = torch.empty(n, n, dtype=x.dtype)
    for i in range(n):
        for j in range(n):
            window = x[i * stride : i * stride + kernel, j * stride : j * stride + kernel]
            out[i, j] = window.max() if reduce == "max" else window.mean()
    return out


def windows_covering(size: int, kernel: int, stride: int) -> list[int]:
    """How many pooling windows include each position of a row (2 where windows overlap)."""
    cover = [0] * size
    for start in range(0, size - kernel + 1, stride):
        for i in range(start, start + kernel):
            cover[i] += 1
    return cover


def field_recurrence(layers: list[nn.Module]) -> tuple[list[int], list[int]]:
    """r_l = r_{l-1} + (k_l - 1) * j_{l-1} and j_l = j_{l-1} * s_l over conv and pool modules."""
    r, j, sizes, jumps = 1, 1, [], []
    for m in layers:
        k, s, d = (_first(getattr(m, a, 1)) for a in ("kernel_size", "stride", "dilation"))
        r, j = r + d * (k - 1) * j, j * s
        sizes.append(r)
        jumps.append(j)
    return sizes, jumps


def _first(v) -> int:
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def run(out: str | Path | None = None) -> Lesson:
    """The pooling lesson; draws the picture to `out` when given."""
    lesson = Lesson("pooling", "Pooling: max, average, overlapping windows, and the receptive field")
    x = EXAMPLE[None, None]
    lesson.check("2x2/2 max pool written out", EXAMPLE_MAX, pool_by_hand(EXAMPLE, 2, 2, "max"))
    lesson.check("2x2/2 max pool, F.max_pool2d", EXAMPLE_MAX, F.max_pool2d(x, 2, 2)[0, 0])
    lesson.check("2x2/2 average pool written out", EXAMPLE_AVG, pool_by_hand(EXAMPLE, 2, 2, "mean"))
    lesson.check("2x2/2 average pool, F.avg_pool2d", EXAMPLE_AVG, F.avg_pool2d(x, 2, 2)[0, 0])
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(9, 9, generator=g, dtype=torch.float64)
    lesson.check(
        "3x3/2 max pool written out == F.max_pool2d (9x9 noise)",
        F.max_pool2d(noise[None], 3, 2)[0],
        pool_by_hand(noise, 3, 2, "max"),
    )

    alexnet = summarize_registered("alexnet")
    pools = [r for r in alexnet.layers if r.type == "MaxPool2d"]
    model_pools = [m for m in _alexnet_modules() if isinstance(m, nn.MaxPool2d)]
    lesson.check(
        "AlexNet's pools are 3x3, stride 2",
        [(3, 2)] * 3,
        [(_first(m.kernel_size), _first(m.stride)) for m in model_pools],
    )
    lesson.check(
        "AlexNet's pooled sizes (convzoo alexnet)",
        [o for _, o in ALEXNET_POOLS],
        [r.output_shape[-1] for r in pools],
    )
    lesson.check(
        "AlexNet's pooled sizes (formula)",
        [o for _, o in ALEXNET_POOLS],
        [conv_output_size(i, 3, 0, 2) for i, _ in ALEXNET_POOLS],
    )
    lesson.check(
        "windows covering each of 7 positions (3x3/2 overlaps by one)",
        [1, 1, 2, 1, 2, 1, 1],
        windows_covering(7, 3, 2),
    )

    windowed = [r for r in alexnet.layers if r.type in ("Conv2d", "MaxPool2d")]
    sizes, jumps = field_recurrence(
        [m for m in _alexnet_modules() if isinstance(m, (nn.Conv2d, nn.MaxPool2d))]
    )
    lesson.check("AlexNet receptive fields, recurrence", ALEXNET_RF, sizes)
    lesson.check("AlexNet receptive fields, convzoo.summary", ALEXNET_RF, [r.rf_size[0] for r in windowed])
    lesson.check(
        "AlexNet jumps (effective strides), convzoo.summary", ALEXNET_JUMP, [r.rf_stride[0] for r in windowed]
    )
    lesson.check("AlexNet jumps, recurrence", ALEXNET_JUMP, jumps)
    stack = nn.Sequential(*(nn.Conv2d(1, 1, 3, padding=1) for _ in range(3)))
    stacked = [r.rf_size[0] for r in summary(stack, (1, 32, 32)).layers]
    lesson.check("three stacked 3x3 convs see 3, 5, 7 pixels (convzoo.summary)", VGG_STACK_RF, stacked)
    lesson.table(
        "AlexNet, layer by layer (convzoo.summary)",
        ["layer", "output", "RF", "jump"],
        [(r.name, "x".join(map(str, r.output_shape)), r.rf_size[0], r.rf_stride[0]) for r in windowed],
    )
    if out is not None:
        lesson.figure = draw(
            [r.name.split(".")[1] + "." + r.name.split(".")[2] for r in windowed], sizes, out
        )
    return lesson


def _alexnet_modules() -> list[nn.Module]:
    from ..analysis.build import build_on_meta

    return list(build_on_meta("alexnet").modules())


def draw(names: list[str], fields: list[int], out: str | Path) -> Path:
    """The 4x4 example with its max and average pools, and AlexNet's receptive field layer by layer."""
    plt = pyplot()
    fig = plt.figure(figsize=(12, 6.5))
    grid = fig.add_gridspec(2, 3, height_ratios=(1, 1.1))
    ax = fig.add_subplot(grid[0, 0])
    annotate_matrix(ax, EXAMPLE, cmap="Blues")
    for v in (1.5,):
        ax.axhline(v, color="red")
        ax.axvline(v, color="red")
    ax.set_title("input, 2x2 windows")
    x = EXAMPLE[None, None]
    ax = fig.add_subplot(grid[0, 1])
    annotate_matrix(ax, F.max_pool2d(x, 2)[0, 0], cmap="Blues")
    ax.set_title("max pool 2x2/2")
    ax = fig.add_subplot(grid[0, 2])
    annotate_matrix(ax, F.avg_pool2d(x, 2)[0, 0], cmap="Blues")
    ax.set_title("average pool 2x2/2")
    ax = fig.add_subplot(grid[1, :])
    bars = ax.bar(
        names, fields, color=["tab:blue" if "conv" in n.split(".")[1] else "tab:orange" for n in names]
    )
    ax.bar_label(bars)
    ax.set_ylabel("receptive field (pixels)")
    ax.set_title("AlexNet: receptive field after each conv (blue) and overlapping 3x3/2 pool (orange)")
    fig.suptitle("Pooling")
    fig.tight_layout()
    return save_figure(fig, out)
