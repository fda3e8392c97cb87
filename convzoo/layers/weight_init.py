"""He et al. 2015 ("msra") initialisation, as the ResNet and DenseNet reference code applies it."""

from __future__ import annotations

from torch import nn


def init_msra(
    model: nn.Module, linear_std: float | None = 0.01, mode: str = "fan_out", conv_bias: bool = True
) -> None:
    """Conv weights N(0, 2 / fan), fan = k * k * out_chs ("fan_out") or k * k * in_chs ("fan_in");
    conv biases 0 (unless conv_bias=False, which leaves them); BN scale 1, shift 0; fc N(0, linear_std)
    with bias 0, or, with linear_std=None, fc layers left as PyTorch initialised them."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode=mode, nonlinearity="relu")
            if conv_bias and m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0.0, linear_std)
            nn.init.zeros_(m.bias)
