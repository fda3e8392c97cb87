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

from ..weights import rename_keys
from .conv import ConvNormAct, make_divisible
from .drop import DropPath
from .se import SqueezeExcite

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
    ) -> None:
        super().__init__()
        expands = exp_chs != in_chs
        self.has_skip = stride == 1 and in_chs == out_chs
        for name in mbconv_layout(expands, se_chs > 0, fused):
            if name == "fused":
                width = exp_chs if expands else out_chs
                layer = ConvNormAct(in_chs, width, kernel, stride, norm=norm, act=act)
            elif name == "expand":
                layer = ConvNormAct(in_chs, exp_chs, 1, norm=norm, act=act)
            elif name == "dw":
                layer = ConvNormAct(exp_chs, exp_chs, kernel, stride, groups=exp_chs, norm=norm, act=act)
            elif name == "se":
                layer = SqueezeExcite(exp_chs, se_chs, act=se_act, gate=se_gate)
            else:  # linear bottleneck: no activation after the projection (MobileNet v2, Section 3.2)
                layer = ConvNormAct(exp_chs, out_chs, 1, norm=norm, act=None)
            self.add_module(name, layer)
        self.drop_path = DropPath(drop_path) if self.has_skip and drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for name, layer in self.named_children():
            if name != "drop_path":
                out = layer(out)
        return x + self.drop_path(out) if self.has_skip else out


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
                )
            )
            in_chs, index = row.channels, index + 1
        reduction *= row.stride
        info.append(dict(module=f"stages.{len(stages)}", num_chs=in_chs, reduction=reduction))
        stages.append(blocks)
    return stages, info, in_chs


# Converters: other libraries name a block's layers by position (torchvision) or by kind (timm);
# both map onto `mbconv_layout`.
CONV_OR_BN = {"0": "conv", "1": "bn"}
_TIMM_SE = {"conv_reduce": "fc1", "conv_expand": "fc2"}


def place_positional(prefix: str, layout: Sequence[str], position: int, rest: str) -> str | None:
    """Our key for torchvision's `block.{position}.{rest}`: the position-th layer of `layout`, in
    which `0` / `1` are the conv / BN and squeeze-and-excitation keeps its `fc1` / `fc2`."""
    if position >= len(layout):
        return None
    role = layout[position]
    if role == "se":
        return f"{prefix}.se.{rest}" if rest.startswith(("fc1.", "fc2.")) else None
    head, _, tail = rest.partition(".")
    return f"{prefix}.{role}.{CONV_OR_BN[head]}.{tail}" if head in CONV_OR_BN else None


def place_timm(prefix: str, layout: Sequence[str], name: str, rest: str) -> str | None:
    """Our key for timm's `{name}.{rest}` in a block: convs named by kind (conv_pw, conv_dw,
    conv_pwl), BNs by position (bn1, bn2, bn3), SE as conv_reduce / conv_expand."""
    convs = [n for n in layout if n != "se"]
    if name == "se":
        key, _, tail = rest.partition(".")
        return f"{prefix}.se.{_TIMM_SE[key]}.{tail}" if key in _TIMM_SE and "se" in layout else None
    if name.startswith("bn") and name[2:].isdigit():
        k = int(name[2:])
        return f"{prefix}.{convs[k - 1]}.bn.{rest}" if 1 <= k <= len(convs) else None
    pw = "expand" if "expand" in layout else layout[-1]
    role = {"conv_dw": "dw", "conv_pwl": "project", "conv_pw": pw}.get(name)
    return f"{prefix}.{role}.conv.{rest}" if role in convs else None


def timm_converter(layouts: Sequence[tuple[str, Sequence[str]]]) -> Callable[[dict], dict]:
    """A converter from timm's MobileNet / EfficientNet layout (conv_stem, blocks.S.B, conv_head),
    given (module name, layout) of our blocks as `block_layouts` lists them."""
    by_name = dict(layouts)

    def block(m) -> str | None:
        prefix = f"stages.{m[1]}.{m[2]}"
        return place_timm(prefix, by_name[prefix], m[3], m[4]) if prefix in by_name else None

    def from_timm(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (r"conv_stem\.(weight)", r"stem.conv.\1"),
                (r"bn1\.(\w+)", r"stem.bn.\1"),
                (r"conv_head\.(weight)", r"conv_head.conv.\1"),
                (r"bn2\.(\w+)", r"conv_head.bn.\1"),
                (r"classifier\.(weight|bias)", r"head.fc.\1"),
                (r"blocks\.(\d+)\.(\d+)\.(\w+)\.(.+)", block),
            ],
            "timm",
        )

    return from_timm


def torchvision_converter(
    layouts: Sequence[tuple[str, Sequence[str]]],
    classifier: dict[str, str],
    *,
    flat: bool,
    split_project: bool = False,
) -> Callable[[dict], dict]:
    """A converter from torchvision's MobileNet v2/v3 and EfficientNet layout.

    `features.0` is the stem, then the blocks - flat `features.N` (MobileNet, `flat=True`) or one
    `features.S` per stage (EfficientNet) - then the 1x1 conv; `classifier.I` maps to
    `head.{classifier[I]}`. MobileNet v2 keeps the projection's conv and BN as two positions
    (`split_project`).
    """
    by_name = dict(layouts)
    names = list(by_name)
    stages = {n.rsplit(".", 1)[0] for n in names}
    last = (len(names) if flat else len(stages)) + 1

    def block(m) -> str | None:
        if flat:
            n = int(m[1])
            prefix = names[n - 1] if 1 <= n <= len(names) else None
        else:
            prefix = f"stages.{int(m[1]) - 1}.{m[2]}"
        if prefix not in by_name:
            return None
        layout, position, rest = by_name[prefix], int(m[3]), m[4]
        if split_project and position >= len(layout) - 1:
            part = "conv" if position == len(layout) - 1 else "bn"
            return f"{prefix}.project.{part}.{rest}" if position <= len(layout) else None
        return place_positional(prefix, layout, position, rest)

    block_pattern = (
        r"features\.(\d+)()\.(?:block|conv)\.(\d+)\.(.+)"
        if flat
        else (r"features\.(\d+)\.(\d+)\.block\.(\d+)\.(.+)")
    )

    def from_torchvision(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (r"features\.0\.([01])\.(\w+)", lambda m: f"stem.{CONV_OR_BN[m[1]]}.{m[2]}"),
                (rf"features\.{last}\.([01])\.(\w+)", lambda m: f"conv_head.{CONV_OR_BN[m[1]]}.{m[2]}"),
                (block_pattern, block),
                (
                    r"classifier\.(\d+)\.(weight|bias)",
                    lambda m: f"head.{classifier[m[1]]}.{m[2]}" if m[1] in classifier else None,
                ),
            ],
            "torchvision",
        )

    return from_torchvision
