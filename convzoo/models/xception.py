"""Xception, Chollet 2017, "Xception: Deep Learning with Depthwise Separable Convolutions".

Figure 5: an entry flow (two convolutions, then three residual blocks of separable convolutions
that end in 3x3/2 max-pooling), a middle flow of eight residual blocks of three separable
convolutions at 19x19x728, and an exit flow (one more downsampling block, then separable
convolutions of 1536 and 2048 maps and global average pooling). Every convolution is followed by
BatchNorm. The paper's network is the one timm `legacy_xception` builds, 22,855,952 parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..layers.conv import ConvNormAct
from ..layers.drop import DropPath, drop_path_rates
from ..layers.heads import ClassifierHead
from ..layers.inception import stage_feature_info
from ..layers.separable import SeparableConv2d
from ..registry import register_model
from ..weights import rename_keys

PAPER = Paper(
    title="Xception: Deep Learning with Depthwise Separable Convolutions",
    authors="F. Chollet",
    year=2017,
    link="https://arxiv.org/abs/1610.02357",
)


@dataclass(frozen=True)
class XceptionRow:
    """One residual block of Figure 5: `reps` separable convolutions ending in `out_chs` maps."""

    name: str
    out_chs: int
    reps: int
    stride: int  # 2: the block ends in 3x3/2 max-pooling and its shortcut is a 1x1/2 convolution
    start_with_relu: bool = True  # the first block follows conv2's ReLU directly
    grow_first: bool = True  # widen at the first separable convolution (else at the last)


FIGURE_5: tuple[XceptionRow, ...] = (
    # entry flow
    XceptionRow("block1", 128, 2, 2, start_with_relu=False),
    XceptionRow("block2", 256, 2, 2),
    XceptionRow("block3", 728, 2, 2),
    # middle flow, repeated eight times
    *(XceptionRow(f"block{i}", 728, 3, 1) for i in range(4, 12)),
    # exit flow
    XceptionRow("block12", 1024, 2, 2, grow_first=False),
)


def separable_unit(in_chs: int, out_chs: int, relu_first: bool) -> nn.Sequential:
    """[ReLU] -> SeparableConv 3x3 -> BatchNorm, the repeated unit of Figure 5."""
    unit = nn.Sequential()
    if relu_first:
        unit.add_module("act", nn.ReLU())
    unit.add_module("sep", SeparableConv2d(in_chs, out_chs, 3))
    unit.add_module("bn", nn.BatchNorm2d(out_chs))
    return unit


class XceptionBlock(nn.Module):
    """units (ReLU-SeparableConv-BN, reps times), [3x3/2 max-pool], plus the shortcut."""

    def __init__(self, row: XceptionRow, in_chs: int, drop_path: float = 0.0) -> None:
        super().__init__()
        last = row.out_chs
        widths = [last] * row.reps if row.grow_first else [in_chs] * (row.reps - 1) + [last]
        self.units = nn.Sequential()
        width = in_chs
        for i, out in enumerate(widths):
            self.units.append(separable_unit(width, out, relu_first=i > 0 or row.start_with_relu))
            width = out
        self.pool = nn.MaxPool2d(3, row.stride, 1) if row.stride > 1 else nn.Identity()
        if row.stride > 1 or in_chs != row.out_chs:  # Figure 5: "Conv 1x1, stride 2x2" shortcuts
            self.skip = ConvNormAct(in_chs, row.out_chs, 1, row.stride, act=None)
        else:
            self.skip = nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()  # stochastic depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop_path(self.pool(self.units(x))) + self.skip(x)


class Xception(Classifier):
    """`features`: conv1, conv2, block1-block12 (Figure 5's rows), conv3, conv4; then the head."""

    def __init__(
        self,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.5,
        rows: tuple[XceptionRow, ...] = FIGURE_5,
        drop_path_rate: float = 0.0,
    ) -> None:
        super().__init__(num_classes, in_chans, (299, 299), 7)
        self.num_features = 2048
        self.features = nn.Sequential()
        self.features.add_module("conv1", ConvNormAct(in_chans, 32, 3, 2, padding=0))
        self.features.add_module("conv2", ConvNormAct(32, 64, 3, padding=0))
        layers, width = [("conv1", 32, 2), ("conv2", 64, 1)], 64
        # Stochastic depth (Huang et al. 2016), rising linearly over the blocks; the paper has none.
        for row, rate in zip(rows, drop_path_rates(drop_path_rate, len(rows)), strict=True):
            self.features.add_module(row.name, XceptionBlock(row, width, rate))
            width = row.out_chs
            layers.append((row.name, width, row.stride))
        for name, out in (("conv3", 1536), ("conv4", 2048)):  # exit flow: SeparableConv, BN, ReLU
            sep = nn.Sequential()
            sep.add_module("sep", SeparableConv2d(width, out, 3))
            sep.add_module("bn", nn.BatchNorm2d(out))
            sep.add_module("act", nn.ReLU())
            self.features.add_module(name, sep)
            width = out
            layers.append((name, width, 1))
        self.feature_info = stage_feature_info(layers)
        # Section 4.3: dropout of rate 0.5 before the logistic regression layer on ImageNet.
        self.head = ClassifierHead(2048, num_classes, drop_rate=drop_rate)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.features(x)

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("features", self.features)]


_START_WITH_RELU = {row.name: row.start_with_relu for row in FIGURE_5}
_SEPARABLE = {"conv1": "depthwise", "pointwise": "pointwise"}


def _unit(m) -> str:
    """timm's flat `blockN.rep.I` (ReLU, sep, BN, ReLU, sep, BN, ...) -> our `units.U.sep|bn`."""
    index = int(m["index"]) - (1 if _START_WITH_RELU[m["block"]] else 0)
    unit, kind = divmod(index, 3)
    if kind == 0 and m["sep"]:
        return f"features.{m['block']}.units.{unit}.sep.{_SEPARABLE[m['sep']]}.{m['param']}"
    if kind == 1 and not m["sep"]:
        return f"features.{m['block']}.units.{unit}.bn.{m['param']}"
    return None


def from_timm(state_dict: dict) -> dict:
    """timm legacy_xception -> xception."""
    return rename_keys(
        state_dict,
        [
            (
                r"(?P<block>block\d+)\.rep\.(?P<index>\d+)\.(?:(?P<sep>conv1|pointwise)\.)?(?P<param>\w+)",
                _unit,
            ),
            (r"(block\d+)\.skip\.weight", r"features.\1.skip.conv.weight"),
            (r"(block\d+)\.skipbn\.(\w+)", r"features.\1.skip.bn.\2"),
            (r"conv([12])\.weight", r"features.conv\1.conv.weight"),
            (r"bn([12])\.(\w+)", r"features.conv\1.bn.\2"),
            (
                r"conv([34])\.(conv1|pointwise)\.weight",
                lambda m: f"features.conv{m[1]}.sep.{_SEPARABLE[m[2]]}.weight",
            ),
            (r"bn([34])\.(\w+)", r"features.conv\1.bn.\2"),
            (r"fc\.(weight|bias)", r"head.fc.\1"),
        ],
        "timm",
    )


CARD = ModelCard(
    name="xception",
    family="xception",
    paper=PAPER,
    input_size=(3, 299, 299),
    params=22_855_952,
    results=(
        PaperResult("top-1 accuracy", 79.0, "ImageNet", "val", "single crop, single model, Table 1"),
        PaperResult("top-5 accuracy", 94.5, "ImageNet", "val", "single crop, single model, Table 1"),
    ),
    compatible={"timm": "legacy_xception"},
    notes=(
        "Figure 5 exactly, 22,855,952 parameters as Table 3 prints. Separable convolutions have no "
        "intermediate ReLU or bias; each is followed by BatchNorm (Figure 5's caption). Convolutions are "
        "unpadded in conv1/conv2 (299 -> 149 -> 147) and 'same' elsewhere; max-pooling pads by 1. Dropout "
        "0.5 before the classifier (Section 4.3, ImageNet). Loads timm `legacy_xception` checkpoints."
    ),
)


@register_model(CARD, {"timm": from_timm})
def xception(
    num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.5, drop_path_rate: float = 0.0
) -> Xception:
    """Xception as in Figure 5 of Chollet 2017."""
    return Xception(num_classes, in_chans, drop_rate, drop_path_rate=drop_path_rate)
