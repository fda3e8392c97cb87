"""Classifier heads: what turns the last feature map into logits.

Every head has `fc` (the final layer, nn.Identity after reset(0)), `reset(num_classes)` and
`forward(x, pre_logits=False)`, which is what convzoo.contract.Classifier relies on.
"""

from __future__ import annotations

import torch
from torch import nn


class ClassifierHead(nn.Module):
    """Global average (or max) pooling, dropout, one linear layer."""

    def __init__(self, in_features: int, num_classes: int, pool: str = "avg", drop_rate: float = 0.0) -> None:
        super().__init__()
        if pool not in ("avg", "max"):
            raise ValueError(f"pool must be 'avg' or 'max', got {pool!r}")
        self.in_features = in_features
        self.pool = nn.AdaptiveAvgPool2d(1) if pool == "avg" else nn.AdaptiveMaxPool2d(1)
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
