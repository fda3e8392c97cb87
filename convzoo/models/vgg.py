"""VGG, Simonyan & Zisserman 2015, "Very Deep Convolutional Networks for Large-Scale Image Recognition".

All six configurations of Table 1 (A, A-LRN, B, C, D, E) and the BatchNorm variants that
torchvision adds (not in the paper). The fully connected head is the paper's; inputs of other
sizes than 224x224 are average-pooled to 7x7 before fc6 (torchvision's choice).
"""

from __future__ import annotations

import re

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..layers import ConvNormAct, LocalResponseNorm, MLPHead
from ..layers.weight_init import init_msra
from ..weights import rename_keys
from ._builder import register_builder

PAPER = Paper(
    title="Very Deep Convolutional Networks for Large-Scale Image Recognition",
    authors="K. Simonyan, A. Zisserman",
    year=2015,
    link="https://arxiv.org/abs/1409.1556",
)

# Table 1: ints are 3x3 conv widths, "1x1-N" a 1x1 conv, "LRN" local response norm, "M" max-pool.
VGG_CONFIGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, "1x1-256", "M", 512, 512, "1x1-512", "M",
          512, 512, "1x1-512", "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}  # fmt: skip


def parse_layer(item: int | str) -> tuple[int, int]:
    """(kernel, width) of a conv entry of VGG_CONFIGS: 256 -> (3, 256), "1x1-256" -> (1, 256)."""
    if isinstance(item, int):
        return 3, item
    m = re.fullmatch(r"(\d)x\1-(\d+)", item)
    if not m:
        raise ValueError(f"not a conv entry of a VGG config: {item!r}")
    return int(m[1]), int(m[2])


class VGG(Classifier):
    """Five stages of convolutions (`stages.0`-`stages.4`), each ending in 2x2 max-pooling, and fc6-fc7-fc."""

    def __init__(
        self,
        config: list[int | str],
        num_classes: int = 1000,
        in_chans: int = 3,
        batch_norm: bool = False,
        drop_rate: float = 0.5,
    ) -> None:
        super().__init__(num_classes, in_chans, (224, 224), 32)
        self.num_features = 4096
        self.stages = nn.Sequential()
        self.feature_info = []
        stage, width = nn.Sequential(), in_chans
        for item in config:
            if item == "M":
                stage.add_module("pool", nn.MaxPool2d(2, 2))
                self.stages.append(stage)
                reduction = 2 ** len(self.stages)
                self.feature_info.append(
                    dict(module=f"stages.{len(self.stages) - 1}", num_chs=width, reduction=reduction)
                )
                stage = nn.Sequential()
            elif item == "LRN":  # A-LRN: Krizhevsky's normalisation after the first layer
                stage.add_module("lrn", LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0))
            else:
                kernel, out = parse_layer(item)
                norm = nn.BatchNorm2d if batch_norm else None
                stage.add_module(str(len(stage)), ConvNormAct(width, out, kernel, norm=norm, bias=True))
                width = out
        self.head = MLPHead(width, 7, 4096, num_classes, drop_rate)
        # Section 3.1 trains deep nets from config A's weights or with Glorot-style random init;
        # He init (as torchvision) trains every configuration from scratch.
        init_msra(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.stages(x)

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [(f"stages.{i}", stage) for i, stage in enumerate(self.stages)]


def torchvision_converter(config: list[int | str], batch_norm: bool):
    """A converter from torchvision's flat `features.N` layout, derived by walking the config."""
    conv_at: dict[int, str] = {}  # torchvision index of each conv -> our block prefix
    index, stage, block = 0, 0, 0
    for item in config:
        if item == "M":
            index, stage, block = index + 1, stage + 1, 0
        elif item != "LRN":
            conv_at[index] = f"stages.{stage}.{block}"
            index, block = index + (3 if batch_norm else 2), block + 1
    fcs = {"0": "fc6", "3": "fc7", "6": "fc"}

    def place(m: re.Match) -> str | None:
        i = int(m[1])
        if i in conv_at and m[2] in ("weight", "bias"):
            return f"{conv_at[i]}.conv.{m[2]}"
        if batch_norm and i - 1 in conv_at:
            return f"{conv_at[i - 1]}.bn.{m[2]}"
        return None

    def from_torchvision(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (r"features\.(\d+)\.(\w+)", place),
                (r"classifier\.([036])\.(weight|bias)", lambda m: f"head.{fcs[m[1]]}.{m[2]}"),
            ],
            "torchvision",
        )

    return from_torchvision


_RESULTS = {  # Table 3, single-scale evaluation (top-1 / top-5 val error, %), and Table 4 multi-scale
    "A": (29.6, 10.4),
    "A-LRN": (29.7, 10.5),
    "B": (28.7, 9.9),
    "C": (27.3, 8.8),
    "D": (25.6, 8.1),
    "E": (25.5, 8.0),
}

VGGS = {  # name: (configuration of Table 1, BatchNorm, parameters at 1000 classes, loads torchvision's)
    "vgg11": ("A", False, 132_863_336, True),
    "vgg11_lrn": ("A-LRN", False, 132_863_336, False),
    "vgg13": ("B", False, 133_047_848, True),
    "vgg16_c": ("C", False, 133_638_952, False),
    "vgg16": ("D", False, 138_357_544, True),
    "vgg19": ("E", False, 143_667_240, True),
    "vgg11_bn": ("A", True, 132_868_840, True),
    "vgg13_bn": ("B", True, 133_053_736, True),
    "vgg16_bn": ("D", True, 138_365_992, True),
    "vgg19_bn": ("E", True, 143_678_248, True),
}


def vgg_card(name: str, config: str, batch_norm: bool, params: int, torchvision: bool) -> ModelCard:
    """The card of one row of VGGS; the paper's results are for the nets without BatchNorm."""
    notes = f"Configuration {config} of Table 1."
    if batch_norm:
        notes += " BatchNorm after every convolution is torchvision's addition, not the paper's."
    top1, top5 = _RESULTS[config]
    return ModelCard(
        name=name,
        family="vgg",
        paper=PAPER,
        input_size=(3, 224, 224),
        params=params,
        results=()
        if batch_norm
        else (
            PaperResult("top-1 error", top1, "ILSVRC-2012", "val", "single scale, Table 3"),
            PaperResult("top-5 error", top5, "ILSVRC-2012", "val", "single scale, Table 3"),
        ),
        compatible={"torchvision": name} if torchvision else {},
        notes=notes,
    )


for _name, (_config, _bn, _params, _tv) in VGGS.items():
    register_builder(
        vgg_card(_name, _config, _bn, _params, _tv),
        VGG,
        {"torchvision": torchvision_converter(VGG_CONFIGS[_config], _bn)} if _tv else {},
        doc=f"VGG configuration {_config}{' with BatchNorm' if _bn else ''}.",
        config=VGG_CONFIGS[_config],
        batch_norm=_bn,
    )
