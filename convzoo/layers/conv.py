"""Convolution + normalisation + activation, the unit most families are built from."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

# ConvNormAct's `padding` for TensorFlow's "SAME": pad so the output is ceil(input / stride),
# putting the odd pixel after (right / bottom), computed from each input's size.
TF_SAME = "tf_same"


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of `divisor`, never more than 10% below `value`.

    The rounding rule of the MobileNet and EfficientNet reference code.
    """
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def tf_same_pad(
    x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> torch.Tensor:
    """Zero-pad `x` as TensorFlow's "SAME" convolution does before a valid convolution.

    Per side of length n the output is ceil(n / s), so the total padding is
    max((ceil(n / s) - 1) s + (k - 1) d + 1 - n, 0), of which the smaller half goes before.
    PyTorch's symmetric padding gives the same output size but, at stride 2 on even sizes, shifts
    every sampling point by one pixel, which changes every output of weights trained in TensorFlow.
    """
    pads = []
    for n, k, s, d in zip(x.shape[-2:], kernel, stride, dilation, strict=True):
        total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return F.pad(x, (left, right, top, bottom)) if top or bottom or left or right else x


torch.fx.wrap("tf_same_pad")


def tf_same_is_static(kernel: tuple[int, int], stride: int, dilation: int) -> bool:
    """Whether TensorFlow's SAME padding is PyTorch's symmetric (k - 1) d / 2 on every input: at
    stride 1 with an odd (k - 1) d + 1 it does not depend on the input's size. ConvNormAct then
    pads statically, sparing a padded copy of every input (only the stride-2 convolutions of a
    tf_* network pad per input)."""
    return stride == 1 and all((k - 1) * dilation % 2 == 0 for k in kernel)


class Conv2dTFSame(nn.Conv2d):
    """nn.Conv2d with TensorFlow's "SAME" padding (`tf_same_pad`); its parameters are nn.Conv2d's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, padding=0, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(tf_same_pad(x, self.kernel_size, self.stride, self.dilation))


class ConvNormAct(nn.Sequential):
    """conv -> optional norm -> optional activation, with "same" padding by default.

    `padding=TF_SAME` pads as TensorFlow does (Conv2dTFSame), for networks whose weights were
    trained there (timm's `tf_*` models).

    Children are named `conv`, `bn`, `act` so checkpoint converters can map by rule.
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int | tuple[int, int] = 3,
        stride: int = 1,
        padding: int | tuple[int, int] | str | None = None,
        groups: int = 1,
        dilation: int = 1,
        norm: Callable[[int], nn.Module] | None = nn.BatchNorm2d,
        act: Callable[[], nn.Module] | None = nn.ReLU,
        bias: bool | None = None,
    ) -> None:
        super().__init__()
        conv_kwargs = dict(
            stride=stride, groups=groups, dilation=dilation, bias=norm is None if bias is None else bias
        )
        ks = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        if padding == TF_SAME and not tf_same_is_static(ks, stride, dilation):
            self.conv = Conv2dTFSame(in_chs, out_chs, kernel_size, **conv_kwargs)
        else:
            if padding is None or padding == TF_SAME:  # TF_SAME here: its padding is the symmetric one
                padding = tuple(dilation * (k - 1) // 2 for k in ks)
            self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, padding=padding, **conv_kwargs)
        if norm is not None:
            self.bn = norm(out_chs)
        if act is not None:
            self.act = act()
            if isinstance(getattr(self.act, "inplace", None), bool):
                # Its input is this block's own fresh norm/conv output: activating it in place
                # saves an allocation and a pass over memory (torchvision's MobileNet/EfficientNet
                # do the same); interpret.without_inplace turns it off for attribution hooks.
                self.act.inplace = True
