"""Depthwise separable convolutions and the inverted residual (MBConv) block built from them.

MobileNet v1 (Howard et al. 2017) factorises a k x k convolution into a depthwise k x k and a 1x1
pointwise convolution. MobileNet v2 (Sandler et al. 2018) inverts the bottleneck: 1x1 expansion,
depthwise k x k, 1x1 *linear* projection, with the residual between the narrow ends. MobileNet v3
and EfficientNet add squeeze-and-excitation after the depthwise convolution; EfficientNetV2 fuses
expansion and depthwise convolution into one k x k convolution (Fused-MBConv). One block serves
them all; the families differ only in the rows they feed it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import torch
from torch import nn

from .conv import ConvNormAct, make_divisible
from .drop import DropPath
from .se import SqueezeExcite
from .shortcut import add_shortcut

ModuleFactory = Callable[..., nn.Module]
Row = TypeVar("Row")


@dataclass(frozen=True)
class MBConvRow:
    """One stage of an inverted-residual network, a row of MobileNetV2's Table 2 / EfficientNet's Table 1.

    `expand` is the expansion ratio t of each block's input width; `stride` applies to the first of
    the `repeats` blocks; `se` is the squeeze-and-excitation ratio of the block's input width
    (0: none); `fused` makes it a Fused-MBConv (EfficientNetV2).
    """

    expand: float
    kernel: int
    stride: int
    channels: int
    repeats: int
    se: float = 0.0
    fused: bool = False


def scale_rows(
    rows: Sequence[Row], width: float = 1.0, depth: float = 1.0, divisor: int = 8
) -> tuple[Row, ...]:
    """Rows with channels x `width` (rounded to a multiple of `divisor`, at most 10% down) and
    repeats x `depth` (rounded up): the width multipliers of MobileNet v1/v2 and the compound
    scaling of EfficientNet (Section 3.3) in one rule, as the authors' releases round them.
    Any frozen row dataclass with `channels` and `repeats` fields scales (MBConvRow, SeparableRow)."""
    return tuple(
        replace(r, channels=make_divisible(r.channels * width, divisor), repeats=math.ceil(r.repeats * depth))
        for r in rows
    )


def mbconv_layout(expands: bool, se: bool, fused: bool) -> tuple[str, ...]:
    """The names of an inverted residual's layers in forward order.

    The block builds exactly these children, and converters map other libraries' positional
    layouts (`block.0`, `block.1`, ...) onto them.
    """
    if fused:
        names = ("fused", "se" if se else "", "project" if expands else "")
    else:
        names = ("expand" if expands else "", "dw", "se" if se else "", "project")
    return tuple(n for n in names if n)


class DepthwiseSeparableConv(nn.Sequential):
    """Depthwise k x k conv -> BN -> act, pointwise 1x1 conv -> BN -> act (MobileNet v1, Fig. 3)."""

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel: int = 3,
        stride: int = 1,
        norm: ModuleFactory = nn.BatchNorm2d,
        act: ModuleFactory = nn.ReLU,
    ) -> None:
        super().__init__()
        self.dw = ConvNormAct(in_chs, in_chs, kernel, stride, groups=in_chs, norm=norm, act=act)
        self.pw = ConvNormAct(in_chs, out_chs, 1, norm=norm, act=act)


class InvertedResidual(nn.Module):
    """MBConv: [1x1 expand -> act] -> depthwise k x k -> act -> [SE] -> 1x1 linear project (+ input).

    With `fused` the expansion and the depthwise conv are one k x k conv (Fused-MBConv); without
    expansion (`exp_chs == in_chs`) a fused block is that k x k conv alone. The residual (with
    stochastic depth `drop_path`) joins only blocks that keep width and resolution.
    Children follow `mbconv_layout`: `expand`, `dw` / `fused`, `se`, `project`, each a ConvNormAct.
    `padding` is the k x k convolution's (ConvNormAct's: None for symmetric, TF_SAME for TensorFlow's).
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel: int,
        stride: int,
        exp_chs: int,
        se_chs: int = 0,
        act: ModuleFactory = nn.ReLU6,
        norm: ModuleFactory = nn.BatchNorm2d,
        se_act: ModuleFactory = nn.ReLU,
        se_gate: ModuleFactory = nn.Sigmoid,
        fused: bool = False,
        drop_path: float = 0.0,
        padding: str | None = None,
    ) -> None:
        super().__init__()
        expands = exp_chs != in_chs
        self.has_skip = stride == 1 and in_chs == out_chs
        for name in mbconv_layout(expands, se_chs > 0, fused):
            if name == "fused":
                width = exp_chs if expands else out_chs
                layer = ConvNormAct(in_chs, width, kernel, stride, padding, norm=norm, act=act)
            elif name == "expand":
                layer = ConvNormAct(in_chs, exp_chs, 1, norm=norm, act=act)
            elif name == "dw":
                layer = ConvNormAct(
                    exp_chs, exp_chs, kernel, stride, padding, groups=exp_chs, norm=norm, act=act
                )
            elif name == "se":
                layer = SqueezeExcite(exp_chs, se_chs, act=se_act, gate=se_gate)
            else:  # linear bottleneck: no activation after the projection (MobileNet v2, Section 3.2)
                layer = ConvNormAct(exp_chs, out_chs, 1, norm=norm, act=None)
            self.add_module(name, layer)
        self.drop_path = DropPath(drop_path) if self.has_skip and drop_path > 0 else nn.Identity()
        # The sum goes into the branch in place where the branch ends in the linear projection's
        # BatchNorm; a lone fused conv ends in its activation, which a ReLU's backward still needs.
        self.inplace = hasattr(self, "project")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for name, layer in self.named_children():
            if name != "drop_path":
                out = layer(out)
        return add_shortcut(self.drop_path(out), x, self.inplace) if self.has_skip else out


def block_layouts(rows: Sequence[MBConvRow]) -> list[tuple[str, tuple[str, ...]]]:
    """(module name, layout) of every block `mbconv_stages` builds from `rows`, in forward order."""
    return [
        (f"stages.{s}.{b}", mbconv_layout(row.expand != 1, row.se > 0, row.fused))
        for s, row in enumerate(rows)
        for b in range(row.repeats)
    ]


def mbconv_stages(
    rows: Sequence[MBConvRow],
    in_chs: int,
    *,
    act: ModuleFactory,
    norm: ModuleFactory = nn.BatchNorm2d,
    se_act: ModuleFactory | None = None,
    drop_path_rate: float = 0.0,
    reduction: int = 2,
    padding: str | None = None,
) -> tuple[nn.Sequential, list[dict], int]:
    """One nn.Sequential of InvertedResiduals per row, their feature_info, and the output width.

    `reduction` is the stride before the first row (the stem's). Stochastic depth grows linearly
    with the block index from 0 to `drop_path_rate` (Huang et al. 2016, the EfficientNet release).
    SE widths follow EfficientNet: `se` x the block's input width.
    """
    total = sum(r.repeats for r in rows)
    stages, info, index = nn.Sequential(), [], 0
    for row in rows:
        blocks = nn.Sequential()
        for i in range(row.repeats):
            blocks.append(
                InvertedResidual(
                    in_chs,
                    row.channels,
                    row.kernel,
                    row.stride if i == 0 else 1,
                    exp_chs=in_chs if row.expand == 1 else make_divisible(in_chs * row.expand),
                    se_chs=max(1, int(in_chs * row.se)) if row.se else 0,
                    act=act,
                    norm=norm,
                    se_act=se_act or act,
                    fused=row.fused,
                    drop_path=drop_path_rate * index / total,
                    padding=padding,
                )
            )
            in_chs, index = row.channels, index + 1
        reduction *= row.stride
        info.append(dict(module=f"stages.{len(stages)}", num_chs=in_chs, reduction=reduction))
        stages.append(blocks)
    return stages, info, in_chs
