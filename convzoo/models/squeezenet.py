"""SqueezeNet, Iandola et al. 2016, "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters".

Fire modules (Section 3.2): a 1x1 "squeeze" conv feeding parallel 1x1 and 3x3 "expand" convs whose
outputs are concatenated. Version 1.0 is Table 1; version 1.1 is the authors' later release
(3x3 conv1 of 64 maps, pooling moved earlier: 2.4x less computation at the same accuracy). No
fully connected layers: conv10 (one map per class), ReLU, global average pooling, as in NiN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..registry import register_model
from ..weights import rename_keys
from .nin import NiNHead

PAPER = Paper(
    title="SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size",
    authors="F. N. Iandola, S. Han, M. W. Moskewicz, K. Ashraf, W. J. Dally, K. Keutzer",
    year=2016,
    link="https://arxiv.org/abs/1602.07360",
)


@dataclass(frozen=True)
class FireRow:
    """A Fire module as Table 1 lists it: s1x1 squeeze filters, e1x1 and e3x3 expand filters."""

    s1x1: int
    e1x1: int
    e3x3: int


# Table 1: "M" is 3x3/2 max-pooling; the conv1 row is (filters, kernel), stride 2, no padding.
SQUEEZENET_CONFIGS: dict[str, tuple[tuple[int, int], tuple[FireRow | str, ...]]] = {
    "1.0": ((96, 7), (
        "M", FireRow(16, 64, 64), FireRow(16, 64, 64), FireRow(32, 128, 128),
        "M", FireRow(32, 128, 128), FireRow(48, 192, 192), FireRow(48, 192, 192), FireRow(64, 256, 256),
        "M", FireRow(64, 256, 256),
    )),
    "1.1": ((64, 3), (
        "M", FireRow(16, 64, 64), FireRow(16, 64, 64),
        "M", FireRow(32, 128, 128), FireRow(32, 128, 128),
        "M", FireRow(48, 192, 192), FireRow(48, 192, 192), FireRow(64, 256, 256), FireRow(64, 256, 256),
    )),
}  # fmt: skip


# Each of the three ceil-mode 3x3/2 poolings needs at least 2x2 input: 8x8 after conv1.
MIN_INPUT_SIZE = {"1.0": 21, "1.1": 17}


class Fire(nn.Module):
    """squeeze 1x1 -> ReLU -> [expand1x1 -> ReLU, expand3x3 -> ReLU] concatenated."""

    def __init__(self, row: FireRow, in_chs: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(in_chs, row.s1x1, 1)
        self.expand1x1 = nn.Conv2d(row.s1x1, row.e1x1, 1)
        self.expand3x3 = nn.Conv2d(row.s1x1, row.e3x3, 3, padding=1)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.squeeze(x))
        return torch.cat([self.act(self.expand1x1(x)), self.act(self.expand3x3(x))], 1)


class SqueezeNet(Classifier):
    """conv1 (`stem`), stages that each start with max-pooling (`stages.S.pool`, `stages.S.fireN`),
    dropout 0.5 after fire9, then conv10 -> ReLU -> global average pooling (`head.fc` is conv10)."""

    def __init__(
        self, version: str = "1.0", num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.5
    ):
        # Table 1's 111x111 conv1 maps need 227x227 input (the release's crop), not the stated 224.
        super().__init__(num_classes, in_chans, (227, 227), MIN_INPUT_SIZE[version])
        (stem_chs, stem_kernel), items = SQUEEZENET_CONFIGS[version]
        self.stem = nn.Sequential()
        self.stem.add_module("conv", nn.Conv2d(in_chans, stem_chs, stem_kernel, stride=2))
        self.stem.add_module("act", nn.ReLU(inplace=True))
        self.feature_info = [dict(module="stem", num_chs=stem_chs, reduction=2)]
        self.stages = nn.Sequential()
        width, reduction, fire = stem_chs, 2, 2
        for item in items:
            if item == "M":
                if len(self.stages):
                    self._note_stage(width, reduction)
                reduction *= 2
                self.stages.append(nn.Sequential())
                self.stages[-1].add_module("pool", nn.MaxPool2d(3, 2, ceil_mode=True))  # Caffe rounds up
            else:
                self.stages[-1].add_module(f"fire{fire}", Fire(item, width))
                width, fire = item.e1x1 + item.e3x3, fire + 1
        self.stages[-1].add_module("drop", nn.Dropout(drop_rate))
        self._note_stage(width, reduction)
        self.num_features = width
        self.head = NiNHead(width, num_classes)
        self._init_weights()

    def _note_stage(self, width: int, reduction: int) -> None:
        self.feature_info.append(
            dict(module=f"stages.{len(self.stages) - 1}", num_chs=width, reduction=reduction)
        )

    def _init_weights(self) -> None:
        # the release's Caffe fillers: xavier everywhere, conv10 gaussian with std 0.01
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is self.head.fc:
                    nn.init.normal_(m.weight, 0.0, 0.01)
                else:
                    nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.stages(self.stem(x))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("stem", self.stem), ("stages", self.stages)]


def torchvision_converter(version: str):
    """torchvision's flat `features.N`: conv1, ReLU, then pools and fires in Table 1's order."""
    fires: dict[int, str] = {}
    index, stage, fire = 3, -1, 2  # features.0-2: conv1, ReLU, the first pool
    for item in SQUEEZENET_CONFIGS[version][1]:
        if item == "M":
            stage += 1
            index += stage > 0  # every later pool takes one index
        else:
            fires[index], index, fire = f"stages.{stage}.fire{fire}", index + 1, fire + 1

    def place(m: re.Match) -> str | None:
        return f"{fires[int(m[1])]}.{m[2]}" if int(m[1]) in fires else None

    def from_torchvision(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (r"features\.0\.(weight|bias)", r"stem.conv.\1"),
                (r"features\.(\d+)\.((?:squeeze|expand1x1|expand3x3)\.(?:weight|bias))", place),
                (r"classifier\.1\.(weight|bias)", r"head.fc.\1"),
            ],
            "torchvision",
        )

    return from_torchvision


_CARD = ModelCard(
    name="squeezenet1_0",
    family="squeezenet",
    paper=PAPER,
    input_size=(3, 227, 227),
    params=1_248_424,
    results=(
        PaperResult("top-1 accuracy", 57.5, "ILSVRC-2012", "val", "Table 2, uncompressed 32-bit, 4.8MB"),
        PaperResult("top-5 accuracy", 80.3, "ILSVRC-2012", "val", "Table 2"),
    ),
    compatible={"torchvision": "squeezenet1_0"},
    notes="Table 1 (SqueezeNet v1.0, no bypass). Default input 227x227: Table 1's 111x111 conv1 output "
    "needs it (the table states 224x224); torchvision evaluates at 224, which also runs.",
)


@register_model(_CARD, {"torchvision": torchvision_converter("1.0")})
def squeezenet1_0(num_classes: int = 1000, in_chans: int = 3, **kwargs) -> SqueezeNet:
    return SqueezeNet("1.0", num_classes, in_chans, **kwargs)


@register_model(
    _CARD.variant(
        name="squeezenet1_1",
        params=1_235_496,
        results=(),
        compatible={"torchvision": "squeezenet1_1"},
        notes="SqueezeNet v1.1 of the authors' release (github.com/forresti/SqueezeNet), not in the paper: "
        "3x3 conv1 of 64 maps and earlier pooling, 2.4x less computation than v1.0 at the same accuracy. "
        "Loads torchvision's squeezenet1_1.",
    ),
    {"torchvision": torchvision_converter("1.1")},
)
def squeezenet1_1(num_classes: int = 1000, in_chans: int = 3, **kwargs) -> SqueezeNet:
    return SqueezeNet("1.1", num_classes, in_chans, **kwargs)
