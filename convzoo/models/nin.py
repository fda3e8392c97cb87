"""Network in Network, Lin, Chen & Yan 2014.

mlpconv blocks (a convolution followed by two 1x1 convolutions, the "micro network") and global
average pooling of one map per class instead of fully connected layers. `nin_cifar` is the
paper's CIFAR-10 model (Section 4.2, the authors' released configuration); `nin` is the
ImageNet model the authors released with the paper (Caffe Model Zoo).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..registry import register_model

PAPER = Paper(
    title="Network In Network",
    authors="M. Lin, Q. Chen, S. Yan",
    year=2014,
    link="https://arxiv.org/abs/1312.4400",
)


@dataclass(frozen=True)
class MlpConvRow:
    """One mlpconv block: a k x k conv of widths[0] maps, then 1x1 convs of widths[1] and widths[2]."""

    widths: tuple[int, int, int]
    kernel: int
    stride: int = 1
    padding: int = 0
    pool: str | None = "max"  # 3x3/2 pooling after the block ("max", "avg" or None)
    dropout: bool = False  # dropout 0.5 after the block


# CIFAR-10 (Section 4.2; the released cifar10 model): three mlpconv blocks, 10 maps at the end.
NIN_CIFAR_ROWS = (
    MlpConvRow((192, 160, 96), 5, padding=2, pool="max", dropout=True),
    MlpConvRow((192, 192, 192), 5, padding=2, pool="avg", dropout=True),
    MlpConvRow((192, 192, 0), 3, padding=1, pool=None),
)
# ImageNet (released model): four mlpconv blocks, 1000 maps at the end.
NIN_IMAGENET_ROWS = (
    MlpConvRow((96, 96, 96), 11, stride=4),
    MlpConvRow((256, 256, 256), 5, padding=2),
    MlpConvRow((384, 384, 384), 3, padding=1, dropout=True),
    MlpConvRow((1024, 1024, 0), 3, padding=1, pool=None),
)


class MlpConv(nn.Sequential):
    """conv -> ReLU -> 1x1 conv -> ReLU [-> 1x1 conv -> ReLU] [-> pool] [-> dropout]."""

    def __init__(self, row: MlpConvRow, in_chs: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_chs, row.widths[0], row.kernel, row.stride, row.padding)
        self.act = nn.ReLU(inplace=True)
        self.cccp1 = nn.Conv2d(row.widths[0], row.widths[1], 1)
        self.act1 = nn.ReLU(inplace=True)
        if row.widths[2]:
            self.cccp2 = nn.Conv2d(row.widths[1], row.widths[2], 1)
            self.act2 = nn.ReLU(inplace=True)
        if row.pool == "max":
            self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        elif row.pool == "avg":
            self.pool = nn.AvgPool2d(3, 2, ceil_mode=True)
        if row.dropout:
            self.drop = nn.Dropout(0.5)


class NiNHead(nn.Module):
    """The last 1x1 conv (one map per class), ReLU as in the released models, global average pooling."""

    def __init__(self, in_chs: int, num_classes: int) -> None:
        super().__init__()
        self.in_chs = in_chs
        self.reset(num_classes)
        self.act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)

    def reset(self, num_classes: int) -> None:
        self.fc = nn.Conv2d(self.in_chs, num_classes, 1) if num_classes else nn.Identity()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if pre_logits:
            return self.pool(x).flatten(1)
        return self.pool(self.act(self.fc(x))).flatten(1)


class NiN(Classifier):
    """mlpconv blocks (`blocks.0`...), the last one's final 1x1 conv being the classifier."""

    def __init__(
        self,
        rows: tuple[MlpConvRow, ...],
        num_classes: int,
        in_chans: int,
        input_size: int,
        min_input_size: int,
    ) -> None:
        super().__init__(num_classes, in_chans, (input_size, input_size), min_input_size)
        self.blocks = nn.Sequential()
        self.feature_info = []
        width, reduction = in_chans, 1
        for i, row in enumerate(rows):
            self.blocks.append(MlpConv(row, width))
            width = row.widths[2] or row.widths[1]
            reduction *= row.stride * (2 if row.pool else 1)
            self.feature_info.append(dict(module=f"blocks.{i}", num_chs=width, reduction=reduction))
        self.num_features = width
        self.head = NiNHead(width, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.blocks(x)

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("blocks", self.blocks)]


_CIFAR_CARD = ModelCard(
    name="nin_cifar",
    family="nin",
    paper=PAPER,
    input_size=(3, 32, 32),
    params=966_986,
    results=(
        PaperResult("error", 10.41, "CIFAR-10", "test", "NIN + dropout, Table 2"),
        PaperResult("error", 8.81, "CIFAR-10", "test", "NIN + dropout + augmentation, Table 2"),
    ),
    notes=(
        "The released CIFAR-10 configuration (192-160-96, 192-192-192, 192-192-10); "
        "ReLU before the global average, as released."
    ),
)


@register_model(_CIFAR_CARD)
def nin_cifar(num_classes: int = 10, in_chans: int = 3) -> NiN:
    """NiN for 32x32 CIFAR images: three mlpconv blocks and global average pooling."""
    return NiN(NIN_CIFAR_ROWS, num_classes, in_chans, 32, 4)


@register_model(
    _CIFAR_CARD.variant(
        name="nin",
        input_size=(3, 224, 224),
        params=7_595_176,
        results=(
            PaperResult(
                "top-1 error",
                40.64,
                "ILSVRC-2012",
                "val",
                "released model",
                source="the authors' Caffe Model Zoo release; the paper reports no ImageNet result",
            ),
        ),
        notes=(
            "The paper reports no ImageNet model; this is the four-block model its authors released "
            "(96-96-96, 256-256-256, 384-384-384, 1024-1024-1000), Caffe's ceil-mode pooling."
        ),
    )
)
def nin(num_classes: int = 1000, in_chans: int = 3) -> NiN:
    """NiN for ImageNet: four mlpconv blocks and global average pooling."""
    return NiN(NIN_IMAGENET_ROWS, num_classes, in_chans, 224, 39)
