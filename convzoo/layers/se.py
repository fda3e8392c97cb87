"""Squeeze-and-Excitation (Hu et al. 2018): channel gates from globally pooled features."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class SqueezeExcite(nn.Module):
    """x * gate(fc2(act(fc1(avgpool(x))))), the fcs as 1x1 convolutions.

    `rd_chs` is the reduced width (C/r in the paper); children `fc1`, `fc2` for converters.
    """

    def __init__(
        self,
        chs: int,
        rd_chs: int,
        act: Callable[[], nn.Module] = nn.ReLU,
        gate: Callable[[], nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(chs, rd_chs, 1)
        self.act = act()
        self.fc2 = nn.Conv2d(rd_chs, chs, 1)
        self.gate = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * self.gate(self.fc2(self.act(self.fc1(s))))
