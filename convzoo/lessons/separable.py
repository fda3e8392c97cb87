"""Normal, depthwise, pointwise and depthwise-separable convolution (MobileNet v1, Sec. 3.1).

The lecture's formulas, in MobileNet's notation (D_K kernel, M input and N output channels, D_F
the maps' size), checked against the real modules' parameter and MAC counts from `convzoo design`
(`convzoo.analysis.design`, counted on the meta device through torch's FLOP counter).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from torch import nn

from ..analysis.design import design, measure
from ..io import save_figure
from .base import Lesson, pyplot

KERNEL = 3
# MobileNet v1, Sec. 3.1: a 3x3 depthwise separable convolution costs "8 to 9 times less" than a
# standard one (at the widths MobileNet uses).
PAPER_SAVING = (8, 9)


def formulas(k: int, m: int, n: int, f: int) -> dict[str, tuple[int, int]]:
    """name -> (parameters, mult-adds) by the lecture's formulas (bias-free)."""
    return {
        "standard": (k * k * m * n, k * k * m * n * f * f),
        "depthwise": (k * k * m, k * k * m * f * f),
        "pointwise": (m * n, m * n * f * f),
        "separable": (k * k * m + m * n, k * k * m * f * f + m * n * f * f),
    }


def run(out: str | Path | None = None, channels: int | None = None, size: int | None = None) -> Lesson:
    """The separable-convolution lesson at `convzoo design separable`'s sizes (or the ones given)."""
    comparison = design("separable", channels, size)
    m = n = comparison.channels
    f, k = comparison.size, KERNEL
    lesson = Lesson("separable", f"Separable convolutions (D_K={k}, M=N={m}, D_F={f})")
    rows = {r.name: r for r in comparison.rows}
    rows["depthwise"] = measure(
        "depthwise", f"dw {k}x{k}", nn.Conv2d(m, m, k, padding=k // 2, groups=m, bias=False), m, f
    )
    rows["pointwise"] = measure("pointwise", "pw 1x1", nn.Conv2d(m, n, 1, bias=False), m, f)
    expected = formulas(k, m, n, f)
    table = []
    for name in ("standard", "depthwise", "pointwise", "separable"):
        params, macs = expected[name]
        lesson.check(f"{name}: parameters", params, rows[name].params)
        lesson.check(f"{name}: mult-adds", macs, rows[name].macs)
        table.append((name, rows[name].layers, params, rows[name].params, macs, rows[name].macs))
    lesson.table(
        "formula vs module",
        ["conv", "layers", "params (formula)", "params (module)", "MACs (formula)", "MACs (module)"],
        table,
    )
    ratio = Fraction(rows["separable"].macs, rows["standard"].macs)
    lesson.check("separable / standard = 1/N + 1/D_K^2", Fraction(1, n) + Fraction(1, k * k), ratio)
    lesson.check(
        f"MobileNet: {PAPER_SAVING[0]} to {PAPER_SAVING[1]} times less computation",
        True,
        PAPER_SAVING[0] < 1 / ratio < PAPER_SAVING[1],
    )
    lesson.notes.append(f"a 3x3 separable convolution here costs {float(1 / ratio):.2f} times less")
    if out is not None:
        lesson.figure = draw(rows, out)
    return lesson


def draw(rows: dict, out: str | Path) -> Path:
    """Parameters and MACs of the four convolutions, on a log scale."""
    plt = pyplot()
    names = ["standard", "depthwise", "pointwise", "separable"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, what in zip(axes, ("params", "macs"), strict=True):
        bars = ax.bar(
            names,
            [getattr(rows[n], what) for n in names],
            color=["grey", "tab:blue", "tab:orange", "tab:green"],
        )
        ax.bar_label(bars, labels=[f"{getattr(rows[n], what):,}" for n in names], fontsize=8)
        ax.set_yscale("log")
        ax.set_ylim(bottom=min(getattr(rows[n], what) for n in names) / 10)
        ax.set_title("parameters" if what == "params" else "multiply-adds")
    fig.suptitle("Normal vs depthwise vs pointwise vs depthwise-separable (counted on the modules)")
    fig.tight_layout()
    return save_figure(fig, out)
