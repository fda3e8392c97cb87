"""Depthwise separable convolution without anything between its two halves (Chollet 2017)."""

from __future__ import annotations

from torch import nn


class SeparableConv2d(nn.Sequential):
    """Depthwise k x k convolution then pointwise 1x1 convolution, no bias, no norm or ReLU between.

    Xception's "SeparableConv", where an activation between the halves hurt in Chollet's experiments;
    MobileNet's block instead puts BatchNorm and ReLU between them (layers.mbconv.DepthwiseSeparableConv).
    """

    def __init__(self, in_chs: int, out_chs: int, kernel: int = 3, stride: int = 1) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(in_chs, in_chs, kernel, stride, kernel // 2, groups=in_chs, bias=False)
        self.pointwise = nn.Conv2d(in_chs, out_chs, 1, bias=False)
