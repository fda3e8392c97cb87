"""Parameter-free shortcuts of residual networks, and the residual sum itself."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class ZeroPadShortcut(nn.Module):
    """Option A of He et al. 2016 (Section 3.3): the identity, subsampled by `stride` and with
    zero channels appended up to `out_chs`, so a shortcut that changes shape adds no parameters."""

    def __init__(self, in_chs: int, out_chs: int, stride: int = 1) -> None:
        super().__init__()
        if out_chs < in_chs:
            raise ValueError(f"zero-padding shortcut cannot shrink {in_chs} channels to {out_chs}")
        self.in_chs, self.out_chs, self.stride = in_chs, out_chs, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.out_chs - self.in_chs))

    def extra_repr(self) -> str:
        return f"{self.in_chs}->{self.out_chs}, stride={self.stride}"


def add_shortcut(branch: torch.Tensor, shortcut: torch.Tensor, inplace: bool) -> torch.Tensor:
    """branch + shortcut; with `inplace` written into `branch`, as torchvision's ResNet, MobileNetV3
    and EfficientNet blocks add their identity, so no tensor the size of the block's output is made.

    `branch` must be a tensor the block made and no backward needs: the output of a BatchNorm, an
    SE product or a DropPath mask. Blocks keep `inplace` as an attribute, which attribution turns off
    so that hooked outputs keep their values."""
    return branch.add_(shortcut) if inplace else branch + shortcut
