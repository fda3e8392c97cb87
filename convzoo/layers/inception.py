"""Blocks of the Inception family: GoogLeNet, Inception v2-v4 and Inception-ResNet.

An Inception module runs several branches on one input and concatenates their outputs. Branches
are written the way the papers' figures label them, one token per layer:

    "1x1-64"          1x1 convolution, 64 maps, "same" padding
    "3x3/2V-384"      3x3 convolution, stride 2, valid padding ("V" in Szegedy et al. 2017)
    "1x7-160"         an asymmetric 1x7 convolution (1 high, 7 wide)
    "max3x3/2V"       3x3 max-pooling, stride 2, valid; "avg3x3" 3x3 average pooling, stride 1, same
    "1x3-384|3x1-384" a split: both convolutions on the same input, concatenated (children a, b)

so Inception-v4's Figure 4 reads {"branch0": "1x1-96", "branch1": "1x1-64 3x3-96", ...}.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

from .conv import ConvNormAct
from .drop import DropPath

ConvFactory = Callable[..., nn.Module]  # (in_chs, out_chs, kernel, stride, padding) -> module

_CONV = re.compile(r"(\d+)x(\d+)(?:/(\d+))?(V?)-(\d+)")
_POOL = re.compile(r"(max|avg)(\d+)x\2(?:/(\d+))?(V?)")


def conv_bn(
    in_chs: int, out_chs: int, kernel: int | tuple[int, int], stride: int = 1, padding=None
) -> ConvNormAct:
    """conv (no bias) -> BatchNorm (eps 0.001, the TensorFlow releases' value) -> ReLU."""
    return ConvNormAct(
        in_chs, out_chs, kernel, stride, padding, norm=partial(nn.BatchNorm2d, eps=1e-3), bias=False
    )


def conv_relu(
    in_chs: int, out_chs: int, kernel: int | tuple[int, int], stride: int = 1, padding=None
) -> ConvNormAct:
    """conv (with bias) -> ReLU, the unit of the networks before batch normalisation (GoogLeNet)."""
    return ConvNormAct(in_chs, out_chs, kernel, stride, padding, norm=None, bias=True)


class Branches(nn.Module):
    """Run every child on the same input and concatenate their outputs along channels."""

    def __init__(self, branches: Mapping[str, nn.Module], out_chs: int) -> None:
        super().__init__()
        for name, branch in branches.items():
            self.add_module(name, branch)
        self.out_chs = out_chs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.children()], dim=1)


def parse_layer(
    token: str, in_chs: int, conv: ConvFactory = conv_bn, count_include_pad: bool = True
) -> tuple[nn.Module, int, int]:
    """One token of a branch spec -> (module, out_chs, stride); see the module docstring."""
    if "|" in token:
        parts = [parse_layer(t, in_chs, conv, count_include_pad) for t in token.split("|")]
        out = sum(p[1] for p in parts)
        named = {chr(ord("a") + i): p[0] for i, p in enumerate(parts)}
        return Branches(named, out), out, parts[0][2]
    m = _CONV.fullmatch(token)
    if m:
        kernel, stride = (int(m[1]), int(m[2])), int(m[3] or 1)
        padding = 0 if m[4] else (kernel[0] // 2, kernel[1] // 2)
        return conv(in_chs, int(m[5]), kernel, stride, padding), int(m[5]), stride
    m = _POOL.fullmatch(token)
    if m:
        size, stride = int(m[2]), int(m[3] or 1)
        padding = 0 if m[4] else size // 2
        if m[1] == "max":
            return nn.MaxPool2d(size, stride, padding), in_chs, stride
        return nn.AvgPool2d(size, stride, padding, count_include_pad=count_include_pad), in_chs, stride
    raise ValueError(f"not a layer of an Inception branch: {token!r}")


def parse_branch(
    spec: str, in_chs: int, conv: ConvFactory = conv_bn, count_include_pad: bool = True
) -> tuple[nn.Module, int, int]:
    """A space-separated branch spec -> (module, out_chs, stride); one layer stays unwrapped."""
    layers, stride = [], 1
    for token in spec.split():
        layer, in_chs, s = parse_layer(token, in_chs, conv, count_include_pad)
        layers.append(layer)
        stride *= s
    return (layers[0] if len(layers) == 1 else nn.Sequential(*layers)), in_chs, stride


def inception_block(
    branches: Mapping[str, str], in_chs: int, conv: ConvFactory = conv_bn, count_include_pad: bool = True
) -> tuple[Branches, int, int]:
    """An Inception module from {branch name: spec} -> (module, out_chs, stride)."""
    built = {name: parse_branch(spec, in_chs, conv, count_include_pad) for name, spec in branches.items()}
    out = sum(b[1] for b in built.values())
    strides = {b[2] for b in built.values()}
    if len(strides) != 1:
        raise ValueError(f"branches of one Inception module must share a stride, got {sorted(strides)}")
    return Branches({n: b[0] for n, b in built.items()}, out), out, strides.pop()


class ResidualInception(nn.Module):
    """An Inception-ResNet block (Szegedy et al. 2017, Figures 10-13 and 16-19).

    relu(x + scale * up(branches(x))): `up` is the 1x1 "Linear" convolution (bias, no BatchNorm)
    restoring the input width; Section 3.3 scales the residual by 0.1-0.3 to keep training stable.
    BatchNorm sits on the branches' convolutions only, "not on top of the summations".
    """

    def __init__(
        self,
        branches: Mapping[str, str],
        chs: int,
        scale: float,
        relu: bool = True,
        count_include_pad=True,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        self.branches, cat_chs, _ = inception_block(branches, chs, count_include_pad=count_include_pad)
        self.up = nn.Conv2d(cat_chs, chs, 1, bias=True)
        self.scale = scale
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()  # stochastic depth
        self.act = nn.ReLU() if relu else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.drop_path(self.scale * self.up(self.branches(x))))

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


class AuxPool(nn.Module):
    """An auxiliary classifier's average pooling (5x5, stride 3 in GoogLeNet and Inception v3),
    then adaptive pooling to the `grid` its next layer expects: the identity at the paper's input
    size, and what keeps the head working on smaller or larger inputs."""

    def __init__(self, kernel: int, stride: int, grid: int) -> None:
        super().__init__()
        self.kernel, self.stride, self.grid = kernel, stride, grid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if min(x.shape[-2:]) >= self.kernel:
            x = F.avg_pool2d(x, self.kernel, self.stride)
        if tuple(x.shape[-2:]) != (self.grid, self.grid):
            x = F.adaptive_avg_pool2d(x, self.grid)
        return x

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, stride={self.stride}, grid={self.grid}"


class AuxClassifier(nn.Module):
    """A side classifier on an intermediate map: pool -> conv -> flatten -> hidden -> fc."""

    def __init__(
        self, pool: nn.Module, conv: nn.Sequential, hidden: nn.Sequential, in_features: int, num_classes: int
    ) -> None:
        super().__init__()
        self.pool, self.conv, self.hidden = pool, conv, hidden
        self.in_features = in_features
        self.fc = nn.Linear(in_features, num_classes)

    def reset(self, num_classes: int) -> None:
        self.fc = nn.Linear(self.in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.hidden(self.conv(self.pool(x)).flatten(1)))


def stage_feature_info(layers: list[tuple[str, int, int]], prefix: str = "features") -> list[dict]:
    """feature_info from (name, out_chs, stride) of a net's layers in order: the last layer before
    each downsampling, and the last layer."""
    info, reduction = [], 1
    for i, (name, chs, stride) in enumerate(layers):
        reduction *= stride
        last = i == len(layers) - 1
        if reduction > 1 and (last or layers[i + 1][2] > 1):
            info.append(dict(module=f"{prefix}.{name}", num_chs=chs, reduction=reduction))
    return info
