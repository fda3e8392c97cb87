"""Convolution + normalisation + activation, the unit most families are built from."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of `divisor`, never more than 10% below `value`.

    The rounding rule of the MobileNet and EfficientNet reference code.
    """
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class ConvNormAct(nn.Sequential):
    """conv -> optional norm -> optional activation, with "same" padding by default.

    Children are named `conv`, `bn`, `act` so checkpoint converters can map by rule.
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int | tuple[int, int] = 3,
        stride: int = 1,
        padding: int | tuple[int, int] | None = None,
        groups: int = 1,
        dilation: int = 1,
        norm: Callable[[int], nn.Module] | None = nn.BatchNorm2d,
        act: Callable[[], nn.Module] | None = nn.ReLU,
        bias: bool | None = None,
    ) -> None:
        super().__init__()
        if padding is None:
            ks = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            padding = tuple(dilation * (k - 1) // 2 for k in ks)
        self.conv = nn.Conv2d(
            in_chs,
            out_chs,
            kernel_size,
            stride=stride,
            padding=padding,
            groups=groups,
            dilation=dilation,
            bias=norm is None if bias is None else bias,
        )
        if norm is not None:
            self.bn = norm(out_chs)
        if act is not None:
            self.act = act()
            if isinstance(getattr(self.act, "inplace", None), bool):
                # Its input is this block's own fresh norm/conv output: activating it in place
                # saves an allocation and a pass over memory (torchvision's MobileNet/EfficientNet
                # do the same); interpret.without_inplace turns it off for attribution hooks.
                self.act.inplace = True
