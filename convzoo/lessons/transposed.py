"""Transposed convolution: its output size, the checkerboard of stride 2, and why it is a gradient.

A transposed convolution scatters each input value, times the kernel, onto the output with the
given stride; where a kernel of size k is not a multiple of the stride s the windows overlap
unevenly and an all-ones input gives a checkerboard (Odena, Dumoulin & Olah, Distill 2016). It is
exactly the gradient of a convolution with respect to its input (hence "transposed": the conv's
matrix, transposed).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..io import save_figure
from .base import Lesson, annotate_matrix, pyplot

# (H, k, s, p, output_padding, lecture's output size): U-Net's 2x2/2 up-convolution doubles the map,
# DCGAN's 4x4/2 with padding 1 doubles it too, a 3x3/2 with padding 1 gives 2H - 1.
SIZE_CASES = (
    (28, 2, 2, 0, 0, 56),
    (8, 4, 2, 1, 0, 16),
    (4, 3, 2, 1, 0, 7),
    (4, 3, 2, 1, 1, 8),
    (5, 3, 1, 0, 0, 7),
)
# Overlap counts of a 3x3, stride-2 transposed conv of a 3x3 all-ones input with an all-ones kernel.
CHECKERBOARD_3x3 = [
    [1, 1, 2, 1, 2, 1, 1],
    [1, 1, 2, 1, 2, 1, 1],
    [2, 2, 4, 2, 4, 2, 2],
    [1, 1, 2, 1, 2, 1, 1],
    [2, 2, 4, 2, 4, 2, 2],
    [1, 1, 2, 1, 2, 1, 1],
    [1, 1, 2, 1, 2, 1, 1],
]


def transposed_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """(H - 1) s - 2p + d(k - 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def scatter_by_hand(x: torch.Tensor, kernel: torch.Tensor, stride: int) -> torch.Tensor:
    """Each input value times the kernel, added onto the output at stride-spaced offsets."""
    h, k = x.shape[-1], kernel.shape[-1]
    out = torch.zeros(
        transposed_output_size(h, k, stride), transposed_output_size(h, k, stride), dtype=x.dtype
    )
    for i, j in itertools.product(range(h), range(h)):
        out[i * stride : i * stride + k, j * stride : j * stride + k] += x[i, j] * kernel
    return out


def _ones_transposed(h: int, k: int, s: int, p: int = 0) -> torch.Tensor:
    ones = torch.ones(1, 1, h, h, dtype=torch.float64)
    return F.conv_transpose2d(ones, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, padding=p)[0, 0]


def run(out: str | Path | None = None) -> Lesson:
    """The transposed-convolution lesson; draws the picture to `out` when given."""
    lesson = Lesson("transposed", "Transposed convolution: size, checkerboard, gradient of a convolution")
    rows = []
    for h, k, s, p, op, said in SIZE_CASES:
        module = nn.ConvTranspose2d(1, 1, k, s, p, op)
        shape = module(torch.zeros(1, 1, h, h)).shape[-1]
        rows.append((h, k, s, p, op, transposed_output_size(h, k, s, p, op), shape))
        lesson.check(
            f"output size H={h} k={k} s={s} p={p} op={op} (formula, nn.ConvTranspose2d)",
            [said, said],
            [transposed_output_size(h, k, s, p, op), shape],
        )
    lesson.table(
        "output size (H - 1)s - 2p + d(k - 1) + output_padding + 1",
        ["H", "k", "s", "p", "op", "formula", "module"],
        rows,
    )

    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 4, generator=g, dtype=torch.float64)
    w = torch.randn(3, 3, generator=g, dtype=torch.float64)
    lesson.check(
        "F.conv_transpose2d == scattering kernel copies by hand (stride 2)",
        scatter_by_hand(x, w, 2),
        F.conv_transpose2d(x[None, None], w[None, None], stride=2)[0, 0],
        tol=1e-12,
    )
    board = _ones_transposed(3, 3, 2)
    lesson.check("stride 2, 3x3 kernel on ones: the checkerboard of overlaps", CHECKERBOARD_3x3, board)
    even = _ones_transposed(6, 4, 2, 1)
    lesson.check(
        "stride 2, 4x4 kernel (k divisible by s): interior uniform (min, max)",
        [4, 4],
        [even[1:-1, 1:-1].min(), even[1:-1, 1:-1].max()],
    )

    # the gradient of y = conv2d(x, W, stride 2) with respect to x, for an upstream gradient g
    x = torch.randn(1, 2, 9, 9, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(3, 2, 3, 3, generator=g, dtype=torch.float64)
    y = F.conv2d(x, weight, stride=2, padding=1)
    upstream = torch.randn(y.shape, generator=g, dtype=torch.float64)
    (grad,) = torch.autograd.grad(y, x, upstream)
    transposed = F.conv_transpose2d(upstream, weight, stride=2, padding=1, output_padding=0)
    lesson.check(
        "d conv2d(x, W, s=2) / dx applied to g == conv_transpose2d(g, W, s=2)",
        grad[0],
        transposed[0],
        tol=1e-12,
    )
    lesson.check("the shapes agree (9x9 -> 5x5 -> 9x9)", list(x.shape), list(transposed.shape))
    if out is not None:
        lesson.figure = draw(board, _ones_transposed(4, 4, 2, 1), out)
    return lesson


def draw(board: torch.Tensor, even: torch.Tensor, out: str | Path) -> Path:
    """The overlap counts of an all-ones transposed convolution, k=3 vs k=4 at stride 2."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    annotate_matrix(axes[0], board, cmap="Blues")
    axes[0].set_title("k=3, s=2: uneven overlap (checkerboard)")
    annotate_matrix(axes[1], even, cmap="Blues")
    axes[1].set_title("k=4, s=2, p=1: even overlap inside")
    fig.suptitle("Transposed convolution of all-ones input and kernel: how often each output is written")
    fig.tight_layout()
    return save_figure(fig, out)
