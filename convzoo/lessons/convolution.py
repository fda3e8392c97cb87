"""Convolution: the lecture's weighted sums, an edge detector, parameter counts and output sizes.

Everything is computed with `F.conv2d` / `nn.Conv2d` (which, as in every deep-learning library,
computes cross-correlation; the lecture's kernels are symmetric or applied as written, so the
numbers are the same).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..io import save_figure
from .base import Lesson, annotate_matrix, pyplot

# The lecture's 6x6 image and 3x3 kernel; the highlighted window's products are listed term by term.
IMAGE = torch.tensor(
    [
        [1, 0, 4, 2, 125, 67],
        [8, 2, 5, 4, 34, 12],
        [20, 13, 25, 15, 240, 2],
        [76, 8, 6, 6, 100, 76],
        [34, 66, 134, 223, 201, 3],
        [255, 123, 89, 55, 32, 2],
    ],
    dtype=torch.float64,
)
KERNEL = torch.tensor([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=torch.float64)
HIGHLIGHT_TERMS = (2, 10, 4, 26, 100, 30, 8, 12, 6)  # 2+10+4+26+100+30+8+12+6
HIGHLIGHT_SUM = 198
# Which window the lecture highlights: its values are 2,5,4 / 13,25,15 / 8,6,6, i.e. rows 2-4 and
# columns 2-4 counted from 1, the output unit (1, 1) counted from 0.
HIGHLIGHT_VALUES = ((2, 5, 4), (13, 25, 15), (8, 6, 6))
HIGHLIGHT_AT = (1, 1)

# The vertical-edge detector on a 6x6 image, 10s on the left half and 0s on the right.
EDGE_KERNEL = torch.tensor([[1, 0, -1]] * 3, dtype=torch.float64)
EDGE_IMAGE = torch.tensor([[10] * 3 + [0] * 3] * 6, dtype=torch.float64)
EDGE_MAP = [[0, 30, 30, 0]] * 4

# (C_in, C_out, k) of layers the course meets: LeNet-5's C1, AlexNet's conv1, VGG's 3x3 at 256.
PARAM_CASES = ((1, 6, 5), (3, 96, 11), (256, 256, 3), (64, 128, 1))
# (H, k, padding, stride, dilation, lecture's output): 6x6 with a 3x3 kernel, "same" padding,
# AlexNet's conv1 (227 -> 55), ResNet's stem (224 -> 112), a dilated 3x3 (reach 5).
SIZE_CASES = (
    (6, 3, 0, 1, 1, 4),
    (32, 3, 1, 1, 1, 32),
    (227, 11, 0, 4, 1, 55),
    (224, 7, 3, 2, 1, 112),
    (32, 3, 2, 1, 2, 32),
    (7, 3, 0, 2, 1, 3),
)


def conv_output_size(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """floor((H + 2p - d(k - 1) - 1) / s) + 1: the lecture's formula for one spatial axis."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_params(c_in: int, c_out: int, kernel: int, bias: bool = True) -> int:
    """C_out * k * k * C_in weights, plus C_out biases."""
    return c_out * kernel * kernel * c_in + (c_out if bias else 0)


def _conv_shape(size: int, kernel: int, padding: int, stride: int, dilation: int) -> int:
    x, w = torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel)
    return F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation).shape[-1]


def _correlate(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    return F.conv2d(image[None, None], kernel[None, None])[0, 0]


def run(out: str | Path | None = None) -> Lesson:
    """The convolution lesson; draws the picture to `out` when given."""
    lesson = Lesson("convolution", "Convolution: weighted sums over sliding windows")
    feature_map = _correlate(IMAGE, KERNEL)
    i, j = HIGHLIGHT_AT
    window = IMAGE[i : i + 3, j : j + 3]
    lesson.table(
        "the 3x3 kernel on the 6x6 image (F.conv2d, no padding)",
        ["row", "output"],
        [(r, feature_map[r]) for r in range(feature_map.shape[0])],
    )
    lesson.check("highlighted window: its values", HIGHLIGHT_VALUES, window)
    lesson.check("highlighted window: the nine products", HIGHLIGHT_TERMS, (window * KERNEL).flatten())
    lesson.check("the sum of the products", HIGHLIGHT_SUM, sum(HIGHLIGHT_TERMS))
    lesson.check("F.conv2d at output (1, 1) = rows 2-4, cols 2-4 (from 1)", HIGHLIGHT_SUM, feature_map[i, j])
    where = [tuple(p) for p in (feature_map == HIGHLIGHT_SUM).nonzero().tolist()]
    lesson.check("output units equal to 198", [list(HIGHLIGHT_AT)], where)

    edges = _correlate(EDGE_IMAGE, EDGE_KERNEL)
    lesson.check("vertical-edge kernel on 10s | 0s: the 4x4 map", EDGE_MAP, edges)

    rows = []
    for c_in, c_out, k in PARAM_CASES:
        module = nn.Conv2d(c_in, c_out, k)
        weights, total = module.weight.numel(), sum(p.numel() for p in module.parameters())
        rows.append((f"{c_in} -> {c_out}, {k}x{k}", c_out * k * k * c_in, conv_params(c_in, c_out, k), total))
        lesson.check(
            f"{k}x{k} conv {c_in} -> {c_out}: C_out*k*k*C_in weights, + C_out biases",
            (conv_params(c_in, c_out, k, bias=False), conv_params(c_in, c_out, k)),
            (weights, total),
        )
    lesson.table("parameters", ["conv", "C_out*k*k*C_in", "+ biases", "nn.Conv2d"], rows)

    rows = []
    for h, k, p, s, d, said in SIZE_CASES:
        shape = nn.Conv2d(1, 1, k, s, p, d)(torch.zeros(1, 1, h, h)).shape[-1]  # the module itself
        rows.append((h, k, p, s, d, conv_output_size(h, k, p, s, d), shape))
        name = f"output size H={h} k={k} p={p} s={s} d={d}"
        lesson.check(name + " (formula)", said, conv_output_size(h, k, p, s, d))
        lesson.check(name + " (nn.Conv2d)", said, shape)
    # the formula against nn.Conv2d on a whole grid of settings, not only the lecture's cases
    grid = [
        (h, k, p, s, d)
        for h, k, p, s, d in itertools.product((5, 8, 13), (1, 2, 3, 5), (0, 1, 2), (1, 2, 3), (1, 2))
        if d * (k - 1) + 1 <= h + 2 * p
    ]
    disagree = [setting for setting in grid if conv_output_size(*setting) != _conv_shape(*setting)]
    lesson.check(f"output-size formula == F.conv2d on {len(grid)} settings (disagreements)", [], disagree)
    lesson.table(
        "output size floor((H + 2p - d(k-1) - 1) / s) + 1",
        ["H", "k", "p", "s", "d", "formula", "nn.Conv2d"],
        rows,
    )
    lesson.data = {"feature_map": feature_map, "edge_map": edges}
    if out is not None:
        lesson.figure = draw(feature_map, edges, out)
    return lesson


def draw(feature_map: torch.Tensor, edges: torch.Tensor, out: str | Path) -> Path:
    """The image with the highlighted window, the kernel, the map; the edge image and its map."""
    plt = pyplot()
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(2, 3, figsize=(11, 7.5))
    annotate_matrix(axes[0, 0], IMAGE, cmap="Blues")
    i, j = HIGHLIGHT_AT
    axes[0, 0].add_patch(Rectangle((j - 0.5, i - 0.5), 3, 3, fill=False, edgecolor="red", linewidth=2.5))
    axes[0, 0].set_title("6x6 image (window: rows 2-4, cols 2-4)")
    annotate_matrix(axes[0, 1], KERNEL, cmap="Oranges")
    axes[0, 1].set_title("kernel")
    annotate_matrix(axes[0, 2], feature_map, cmap="Blues")
    axes[0, 2].add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2.5))
    axes[0, 2].set_title(f"output: {HIGHLIGHT_SUM} = " + "+".join(map(str, HIGHLIGHT_TERMS)), fontsize=9)
    annotate_matrix(axes[1, 0], EDGE_IMAGE)
    axes[1, 0].set_title("10s | 0s")
    annotate_matrix(axes[1, 1], EDGE_KERNEL, cmap="coolwarm")
    axes[1, 1].set_title("vertical-edge kernel")
    annotate_matrix(axes[1, 2], edges)
    axes[1, 2].set_title("output: the edge is where the 30s are")
    fig.suptitle("Convolution (F.conv2d)")
    return save_figure(fig, out)
