"""VGG, Simonyan & Zisserman 2015, "Very Deep Convolutional Networks for Large-Scale Image Recognition".

All six configurations of Table 1 (A, A-LRN, B, C, D, E) and the BatchNorm variants that
torchvision adds (not in the paper). The fully connected head is the paper's; inputs of other
sizes than 224x224 are average-pooled to 7x7 before fc6 (torchvision's choice).

The `_dense` variants evaluate as Section 3.2 tests: fc6 and fc7 become 7x7 and 1x1 convolutions
applied densely over the whole feature map, and the class scores are averaged over the map
(`DenseHead`); this is timm's VGG, whose weights are torchvision's reshaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

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


@torch.fx.wrap
def at_least(x: torch.Tensor, size: int) -> torch.Tensor:
    """x average-pooled (here: replicated) up to `size` along any side shorter than that, so a
    size x size convolution has one output; longer sides are kept. timm's rule for VGG's fc6."""
    h, w = x.shape[-2:]
    if h >= size and w >= size:
        return x
    return F.adaptive_avg_pool2d(x, (max(size, h), max(size, w)))


class DenseHead(nn.Module):
    """VGG's head as the paper tests it (Section 3.2): fc6 as a `kernel` x `kernel` conv and fc7 as
    a 1x1 conv over the whole map (ReLU each), the map averaged, then the classifier `fc`.

    Averaging fc7's map before the linear `fc` equals averaging the class score map after it, the
    paper's "spatially averaged" scores. A map smaller than the kernel is first stretched to it
    (`at_least`, timm's rule; the paper tests at 256 and more). Dropout follows fc6 and the pooled
    fc7 (timm's places; at 224x224 the map is 1x1 and these are the paper's training places).
    """

    def __init__(
        self, in_chs: int, kernel: int, hidden: int, num_classes: int, drop_rate: float = 0.5
    ) -> None:
        super().__init__()
        self.kernel, self.hidden = kernel, hidden
        self.fc6 = nn.Conv2d(in_chs, hidden, kernel)
        self.act6 = nn.ReLU(inplace=True)
        self.drop6 = nn.Dropout(drop_rate)
        self.fc7 = nn.Conv2d(hidden, hidden, 1)
        self.act7 = nn.ReLU(inplace=True)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop7 = nn.Dropout(drop_rate)
        self.fc = nn.Linear(hidden, num_classes) if num_classes else nn.Identity()

    def reset(self, num_classes: int) -> None:
        self.fc = nn.Linear(self.hidden, num_classes) if num_classes else nn.Identity()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop6(self.act6(self.fc6(at_least(x, self.kernel))))
        x = self.drop7(self.pool(self.act7(self.fc7(x))).flatten(1))
        return x if pre_logits else self.fc(x)


class VGG(Classifier):
    """Five stages of convolutions (`stages.0`-`stages.4`), each ending in 2x2 max-pooling, and fc6-fc7-fc.

    `dense=True` applies fc6 and fc7 as convolutions over the whole map and averages the scores
    (`DenseHead`, the paper's test-time network); otherwise the map is pooled to 7x7 for fc6.
    """

    def __init__(
        self,
        config: list[int | str],
        num_classes: int = 1000,
        in_chans: int = 3,
        batch_norm: bool = False,
        drop_rate: float = 0.5,
        dense: bool = False,
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
        head = DenseHead if dense else MLPHead
        self.head = head(width, 7, 4096, num_classes, drop_rate)
        # Section 3.1 trains deep nets from config A's weights or with Glorot-style random init;
        # He init (as torchvision) trains every configuration from scratch.
        init_msra(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.stages(x)

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [(f"stages.{i}", stage) for i, stage in enumerate(self.stages)]


def feature_placer(config: list[int | str], batch_norm: bool) -> Callable[[re.Match], str | None]:
    """The rename rule for torchvision's (and timm's) flat `features.N.{weight,...}` keys, whose
    indices come from walking the config (conv, [BN], ReLU per layer; one index per max-pool)."""
    conv_at: dict[int, str] = {}  # torchvision index of each conv -> our block prefix
    index, stage, block = 0, 0, 0
    for item in config:
        if item == "M":
            index, stage, block = index + 1, stage + 1, 0
        elif item != "LRN":
            conv_at[index] = f"stages.{stage}.{block}"
            index, block = index + (3 if batch_norm else 2), block + 1

    def place(m: re.Match) -> str | None:
        i = int(m[1])
        if i in conv_at and m[2] in ("weight", "bias"):
            return f"{conv_at[i]}.conv.{m[2]}"
        if batch_norm and i - 1 in conv_at:
            return f"{conv_at[i - 1]}.bn.{m[2]}"
        return None

    return place


FEATURES = r"features\.(\d+)\.(\w+)"


def torchvision_converter(
    config: list[int | str], batch_norm: bool, dense: bool = False
) -> Callable[[dict], dict]:
    """A converter from torchvision's flat `features.N` layout, derived by walking the config.

    With `dense` (for the `_dense` variants) fc6 / fc7 are reshaped to DenseHead's 7x7 / 1x1
    convolutions, as timm converts torchvision's weights."""
    place, fcs = feature_placer(config, batch_norm), {"0": "fc6", "3": "fc7", "6": "fc"}

    def from_torchvision(state_dict: dict) -> dict:
        out = rename_keys(
            state_dict,
            [
                (FEATURES, place),
                (r"classifier\.([036])\.(weight|bias)", lambda m: f"head.{fcs[m[1]]}.{m[2]}"),
            ],
            "torchvision",
        )
        return as_convolutions(out) if dense else out

    return from_torchvision


def as_convolutions(state_dict: dict) -> dict:
    """fc6's [4096, 512 * 7 * 7] and fc7's [4096, 4096] weights as the [4096, 512, 7, 7] and
    [4096, 4096, 1, 1] kernels of DenseHead (Section 3.2's conversion; timm's _filter_fn)."""
    out = dict(state_dict)
    for key, kernel in (("head.fc6.weight", 7), ("head.fc7.weight", 1)):
        if key in out and out[key].dim() == 2:
            out[key] = out[key].reshape(out[key].shape[0], -1, kernel, kernel)
    return out


def timm_converter(config: list[int | str], batch_norm: bool) -> Callable[[dict], dict]:
    """A converter from timm's VGG (for the `_dense` variants): torchvision's `features.N`, then
    fc6 / fc7 already as convolutions (pre_logits.fc1 / fc2), the classifier as head.fc."""
    place, fcs = feature_placer(config, batch_norm), {"pre_logits.fc1": "fc6", "pre_logits.fc2": "fc7"}

    def from_timm(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (FEATURES, place),
                (r"(pre_logits\.fc[12])\.(weight|bias)", lambda m: f"head.{fcs[m[1]]}.{m[2]}"),
                (r"head\.fc\.(weight|bias)", r"head.fc.\1"),
            ],
            "timm",
        )

    return from_timm


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

_DENSE_NOTES = (
    " Evaluated as Section 3.2 tests: fc6 and fc7 are 7x7 and 1x1 convolutions applied over the whole "
    "feature map and the scores are averaged over it (DenseHead). This is timm's {name} (torchvision's "
    "weights, reshaped), and it is a model of its own because it differs from {name} at some sizes: "
    "below 256x256 the map is at most 7x7 and both compute the same function (a smaller map is "
    "stretched to 7x7 by both), but when a side is 256 or more {name} average-pools the map to 7x7 "
    "before fc6 while this one applies fc6 at every 7x7 window and averages after fc7. Loads "
    "torchvision's {name} too (fc6 / fc7 reshaped to convolutions). Dropout 0.5 (the paper's) follows "
    "fc6 and the pooled fc7, timm's places; timm's own default rate is 0."
)

# name -> the VGGS row it evaluates densely (each is timm's model of that row's name)
VGG_DENSE: dict[str, str] = {
    "vgg11_dense": "vgg11",
    "vgg13_dense": "vgg13",
    "vgg16_dense": "vgg16",
    "vgg19_dense": "vgg19",
    "vgg11_bn_dense": "vgg11_bn",
    "vgg13_bn_dense": "vgg13_bn",
    "vgg16_bn_dense": "vgg16_bn",
    "vgg19_bn_dense": "vgg19_bn",
}

for _dense_name, _name in VGG_DENSE.items():
    _config, _bn, _params, _tv = VGGS[_name]
    _card = vgg_card(_name, _config, _bn, _params, _tv)
    register_builder(
        _card.variant(
            name=_dense_name,
            compatible={"timm": _name},
            notes=_card.notes + _DENSE_NOTES.format(name=_name),
        ),
        VGG,
        {
            "timm": timm_converter(VGG_CONFIGS[_config], _bn),
            "torchvision": torchvision_converter(VGG_CONFIGS[_config], _bn, dense=True),
        },
        doc=f"VGG configuration {_config}{' with BatchNorm' if _bn else ''}, evaluated densely "
        "(Section 3.2).",
        config=VGG_CONFIGS[_config],
        batch_norm=_bn,
        dense=True,
    )
