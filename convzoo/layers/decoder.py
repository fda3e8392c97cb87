"""Encoder-decoder blocks: U-Net's double convolution and its up-sampling step with skip joining."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .conv import ConvNormAct


class DoubleConv(nn.Sequential):
    """Two 3x3 conv -> [norm] -> ReLU layers (`0`, `1`); padding 0 shrinks each map by 2 pixels."""

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        padding: int = 1,
        norm: Callable[[int], nn.Module] | None = None,
    ) -> None:
        super().__init__(
            ConvNormAct(in_chs, out_chs, 3, padding=padding, norm=norm, bias=norm is None),
            ConvNormAct(out_chs, out_chs, 3, padding=padding, norm=norm, bias=norm is None),
        )


def center_crop(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The central size[0] x size[1] window of x (U-Net's cropping of the encoder's maps)."""
    h, w = x.shape[-2:]
    th, tw = size
    if th > h or tw > w:
        raise ValueError(f"cannot crop a {h}x{w} map to {th}x{tw}")
    top, left = (h - th) // 2, (w - tw) // 2
    return x[..., top : top + th, left : left + tw]


def join_skip(x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
    """x and the centre of the skip map at x's size, concatenated on channels."""
    return torch.cat([x, center_crop(skip, tuple(x.shape[-2:]))], dim=1)


def resize_nearest(x: torch.Tensor, like: torch.Tensor | None, size: tuple[int, int] | None) -> torch.Tensor:
    """x resized (nearest neighbour) to the map `like`'s size, else to `size`, else to twice its own."""
    target = tuple(like.shape[-2:]) if like is not None else size or tuple(2 * s for s in x.shape[-2:])
    return F.interpolate(x, size=target, mode="nearest")


def crop_like(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The centre of x at the map `like`'s size."""
    return center_crop(x, tuple(like.shape[-2:]))


# Python arithmetic on map sizes: torch.fx records these as calls instead of tracing into them
torch.fx.wrap("join_skip")
torch.fx.wrap("resize_nearest")
torch.fx.wrap("crop_like")


def up_conv_output_side(side: int, kernel: int = 2, stride: int = 2, padding: int = 0) -> int:
    """Side of a transposed convolution's output: (side - 1) * stride - 2 * padding + kernel.

    U-Net's 2x2 up-convolution (kernel 2, stride 2, no padding) doubles the side exactly, each input
    pixel spreading to its own 2x2 output block: 28 -> 56 at the bottom of Fig. 1. It costs
    in_channels x out_channels x 4 multiply-adds per input pixel (convzoo summary lists it).
    """
    return (side - 1) * stride - 2 * padding + kernel


class UpBlock(nn.Module):
    """One decoder step: up-sample, join the encoder's map, two 3x3 convolutions.

    `transposed=True` is U-Net's 2x2 up-convolution that halves the channels, followed by cropping
    the (larger) skip map to the centre; `transposed=False` resizes by nearest-neighbour
    interpolation to the skip map's size, which suits encoders whose maps are not exact halves.
    `skip_chs=0` up-samples without a skip (to `size` in forward).
    """

    def __init__(
        self,
        in_chs: int,
        skip_chs: int,
        out_chs: int,
        transposed: bool = True,
        padding: int = 1,
        norm: Callable[[int], nn.Module] | None = None,
    ) -> None:
        super().__init__()
        if transposed:
            self.up = nn.ConvTranspose2d(in_chs, in_chs // 2, kernel_size=2, stride=2)
            in_chs //= 2
        self.transposed = transposed
        self.conv = DoubleConv(in_chs + skip_chs, out_chs, padding, norm)

    def forward(
        self, x: torch.Tensor, skip: torch.Tensor | None = None, size: tuple[int, int] | None = None
    ) -> torch.Tensor:
        x = self.up(x) if self.transposed else resize_nearest(x, skip, size)
        if skip is not None:
            x = join_skip(x, skip)
        return self.conv(x)
