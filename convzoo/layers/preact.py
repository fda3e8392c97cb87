"""BatchNorm followed by ReLU: the "pre-activation" of He et al. 2016 and DenseNet's composite function."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class BatchNormReLU(nn.BatchNorm2d):
    """relu(batchnorm(x)) in one module.

    Its state-dict keys are those of nn.BatchNorm2d (weight, bias, running_mean, ...), so a
    checkpoint's `norm1.weight` maps to it unchanged whether the source applies the ReLU inside
    the norm (timm's BatchNormAct2d) or as a separate module (torchvision's DenseNet).
    The ReLU works in place on the norm's fresh output, as torchvision's `ReLU(inplace=True)` does
    (out of place, every DenseNet layer allocated and wrote one more copy of its concatenated input);
    `inplace = False` on an instance turns that off (e.g. for attribution hooks).
    """

    inplace: bool = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(super().forward(x), inplace=self.inplace)

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if not isinstance(input, torch.fx.Proxy):  # torch.fx traces nn.BatchNorm2d as a leaf, not this
            super()._check_input_dim(input)
