"""Wide Residual Networks, Zagoruyko & Komodakis 2016: WRN-28-10 for CIFAR.

WRN-d-k (Table 1): a 3x3 conv with 16 filters, then three groups of N = (d - 4) / 6 pre-activation
basic blocks B(3,3) with 16k, 32k, 64k filters (the second and third start at stride 2), then
BN-ReLU, global average pooling and the classifier. A block is BN-ReLU-conv3x3-BN-ReLU-[dropout]-
conv3x3 (Figure 1(d)); where the shape changes, the shortcut is a 1x1 conv applied to the
block's pre-activated input, as in the authors' code. The ImageNet Wide ResNets (bottleneck,
post-activation) are in resnet.py.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from ..cards import ModelCard, PaperResult
from ..contract import Classifier
from ..layers import ClassifierHead, DropPath
from ..layers.weight_init import init_msra
from ..registry import register_model
from .resnet import WRN_PAPER


class PreActBasicBlock(nn.Module):
    """x + conv2(dropout(relu(bn2(conv1(relu(bn1(x))))))), the shortcut projected when the shape changes."""

    def __init__(
        self, in_chs: int, out_chs: int, stride: int, drop_rate: float = 0.0, drop_path: float = 0.0
    ) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_chs)
        self.conv1 = nn.Conv2d(in_chs, out_chs, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_chs)
        self.drop = nn.Dropout(drop_rate)
        self.conv2 = nn.Conv2d(out_chs, out_chs, 3, 1, 1, bias=False)
        changes = stride != 1 or in_chs != out_chs
        self.shortcut = nn.Conv2d(in_chs, out_chs, 1, stride, bias=False) if changes else None
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.act(self.bn1(x))
        shortcut = x if self.shortcut is None else self.shortcut(pre)
        out = self.conv2(self.drop(self.act(self.bn2(self.conv1(pre)))))
        return shortcut + self.drop_path(out)


class WideResNet(Classifier):
    """stem conv -> stages.0-2 of PreActBasicBlocks -> final BN-ReLU (`final`) -> pooling, fc."""

    def __init__(
        self,
        depth: int = 28,
        widen: int = 10,
        num_classes: int = 10,
        in_chans: int = 3,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
    ) -> None:
        super().__init__(num_classes, in_chans, (32, 32), 1)
        if (depth - 4) % 6:
            raise ValueError(f"WRN depth must be 6N+4, got {depth}")
        blocks = (depth - 4) // 6
        self.stem = nn.Conv2d(in_chans, 16, 3, 1, 1, bias=False)
        self.stages = nn.Sequential()
        self.feature_info = []
        in_chs, index, reduction = 16, 0, 1
        for i, width in enumerate((16 * widen, 32 * widen, 64 * widen)):
            stage = nn.Sequential()
            for j in range(blocks):
                stride = 2 if i > 0 and j == 0 else 1
                rate = drop_path_rate * index / max(3 * blocks - 1, 1)
                stage.append(PreActBasicBlock(in_chs, width, stride, drop_rate, rate))
                in_chs, index = width, index + 1
            self.stages.append(stage)
            reduction *= 2 if i > 0 else 1
            self.feature_info.append(dict(module=f"stages.{i}", num_chs=width, reduction=reduction))
        # The last stage's output is not yet normalised; its feature map is the one after BN-ReLU.
        self.final = nn.Sequential(OrderedDict(bn=nn.BatchNorm2d(in_chs), act=nn.ReLU()))
        self.feature_info[-1] = dict(module="final", num_chs=in_chs, reduction=reduction)
        self.num_features = in_chs
        self.head = ClassifierHead(in_chs, num_classes)
        init_msra(self, linear_std=None, conv_bias=False)  # the fc keeps PyTorch's initialisation

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.final(self.stages(self.stem(x)))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("stem", self.stem), ("stages", self.stages), ("final", self.final)]


_CARD = ModelCard(
    name="wrn28_10",
    family="wide_resnet",
    paper=WRN_PAPER,
    input_size=(3, 32, 32),
    params=36_479_194,
    results=(
        PaperResult("error", 4.17, "CIFAR-10", "test", "WRN-28-10, no dropout (36.5M parameters)"),
        PaperResult("error", 3.89, "CIFAR-10", "test", "WRN-28-10 with dropout 0.3 in every block"),
        PaperResult("error", 20.50, "CIFAR-100", "test", "WRN-28-10, no dropout, 100 classes"),
        PaperResult("error", 18.85, "CIFAR-100", "test", "WRN-28-10 with dropout 0.3, 100 classes"),
    ),
    notes="WRN-28-10 of Table 1: 28 layers, widening factor 10, pre-activation B(3,3) blocks, 1x1 "
    "projection shortcuts only where the width or stride changes. Dropout between a block's two convs "
    "is off by default (drop_rate=0.3 gives the paper's dropout runs).",
)


@register_model(_CARD)
def wrn28_10(
    num_classes: int = 10, in_chans: int = 3, drop_rate: float = 0.0, drop_path_rate: float = 0.0
) -> WideResNet:
    """WRN-28-10 for CIFAR (Zagoruyko & Komodakis 2016); drop_rate is the in-block dropout."""
    return WideResNet(28, 10, num_classes, in_chans, drop_rate, drop_path_rate)
