"""He et al. 2015 ("msra") initialisation, as the ResNet and DenseNet reference code applies it."""

from __future__ import annotations

from torch import nn


def init_msra(model: nn.Module, linear_std: float = 0.01) -> None:
    """Conv weights N(0, 2 / (k * k * out_chs)), biases 0; BN scale 1, shift 0; fc N(0, linear_std)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, linear_std)
            nn.init.zeros_(m.bias)
