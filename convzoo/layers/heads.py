"""Classifier heads: what turns the last feature map into logits.

Every head has `fc` (the final layer, nn.Identity after reset(0)), `reset(num_classes)` and
`forward(x, pre_logits=False)`, which is what convzoo.contract.Classifier relies on.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

GLOBAL_POOLS = ("avg", "max", "avgmax")


class AdaptiveAvgMaxPool2d(nn.Module):
    """timm's "avgmax" global pooling: the mean of global average and global max pooling."""

    output_size = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (F.adaptive_avg_pool2d(x, 1) + F.adaptive_max_pool2d(x, 1))


def global_pool(kind: str) -> nn.Module:
    """The N x C x H x W -> N x C x 1 x 1 pooling named `kind`: "avg", "max" or "avgmax" (timm's names)."""
    if kind not in GLOBAL_POOLS:
        raise ValueError(f"global_pool must be one of {', '.join(GLOBAL_POOLS)}; got {kind!r}")
    return {"avg": nn.AdaptiveAvgPool2d, "max": nn.AdaptiveMaxPool2d}.get(
        kind, lambda _: AdaptiveAvgMaxPool2d()
    )(1)


def is_global_pool(module: nn.Module) -> bool:
    """True for a pooling of the whole map to 1 x 1 (what reset_classifier(global_pool=...) may swap)."""
    pools = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, AdaptiveAvgMaxPool2d)
    return isinstance(module, pools) and module.output_size in (1, (1, 1))


class ClassifierHead(nn.Module):
    """Global average (or max, avgmax) pooling, dropout, one linear layer."""

    def __init__(self, in_features: int, num_classes: int, pool: str = "avg", drop_rate: float = 0.0) -> None:
        super().__init__()
        self.in_features = in_features
        self.pool = global_pool(pool)
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(in_features, num_classes) if num_classes else nn.Identity()

    def reset(self, num_classes: int) -> None:
        self.fc = nn.Linear(self.in_features, num_classes) if num_classes else nn.Identity()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(self.pool(x).flatten(1))
        return x if pre_logits else self.fc(x)


class MLPHead(nn.Module):
    """The fully connected head of AlexNet, ZFNet and VGG: fc6, fc7 (ReLU + dropout each), fc.

    The feature map is first average-pooled to `pool_size` x `pool_size` so inputs of other sizes
    than the paper's fit fc6; at the paper's input size this pooling is the identity.
    """

    def __init__(
        self, in_chs: int, pool_size: int, hidden: int, num_classes: int, drop_rate: float = 0.5
    ) -> None:
        super().__init__()
        self.hidden = hidden
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.fc6 = nn.Linear(in_chs * pool_size * pool_size, hidden)
        self.act6 = nn.ReLU(inplace=True)
        self.drop6 = nn.Dropout(drop_rate)
        self.fc7 = nn.Linear(hidden, hidden)
        self.act7 = nn.ReLU(inplace=True)
        self.drop7 = nn.Dropout(drop_rate)
        self.fc = nn.Linear(hidden, num_classes) if num_classes else nn.Identity()

    def reset(self, num_classes: int) -> None:
        self.fc = nn.Linear(self.hidden, num_classes) if num_classes else nn.Identity()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.pool(x).flatten(1)
        x = self.drop6(self.act6(self.fc6(x)))
        x = self.drop7(self.act7(self.fc7(x)))
        return x if pre_logits else self.fc(x)
