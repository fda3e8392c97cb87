"""DenseNet, Huang et al. 2017, "Densely Connected Convolutional Networks".

Inside a dense block every layer sees the concatenation of all earlier maps and adds `growth`
(k) new ones. DenseNet-B layers are BN-ReLU-Conv(1x1, 4k)-BN-ReLU-Conv(3x3, k); DenseNet-C
transitions (BN-ReLU-Conv 1x1-2x2 avg-pool) compress the width by theta = 0.5. The ImageNet
nets (Table 1) are DenseNet-BC with k = 32 after a 7x7/2 conv (2k wide), BN-ReLU and 3x3/2
max-pool, and end in BN-ReLU, global average pooling and fc. The CIFAR nets (Section 3) start with
a 3x3 conv (16 wide, or 2k for DenseNet-BC) and have three equal dense blocks.

`stages.i` is transition i (for i > 0) followed by dense block i+1, so each stage's output is a
dense block's full concatenation. torchvision's `densenet121` is the paper's DenseNet-121 and
loads directly. `memory_efficient=True` recomputes the concatenation and bottleneck in the
backward pass instead of storing them (Pleiss et al. 2017), trading compute for memory.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from ..cards import ModelCard, Paper, PaperResult, top_errors
from ..contract import Classifier
from ..layers.heads import ClassifierHead
from ..layers.preact import BatchNormReLU
from ..layers.weight_init import init_msra
from ..weights import rename_keys
from ._builder import register_builder

PAPER = Paper(
    title="Densely Connected Convolutional Networks",
    authors="G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger",
    year=2017,
    link="https://arxiv.org/abs/1608.06993",
)


@dataclass(frozen=True)
class DenseNetConfig:
    """Layers per dense block, growth rate k, and the B (bottleneck) / C (compression) options."""

    block_layers: tuple[int, ...]
    growth: int
    bottleneck: bool = True  # DenseNet-B: a 1x1 conv to 4k maps before each 3x3
    compression: float = 0.5  # DenseNet-C: theta; 1.0 keeps the width at transitions
    imagenet: bool = True  # 7x7/2 conv + BN-ReLU + 3x3/2 max-pool stem at 224x224; else 3x3 conv

    @property
    def stem_width(self) -> int:
        return 2 * self.growth if self.bottleneck and self.compression < 1 else 16

    @property
    def depth(self) -> int:
        per_layer = 2 if self.bottleneck else 1
        return per_layer * sum(self.block_layers) + len(self.block_layers) + 1


def cifar_config(depth: int, growth: int, bc: bool) -> DenseNetConfig:
    """Three equal dense blocks: (L - 4) / 3 layers each, or (L - 4) / 6 with bottlenecks."""
    n = (depth - 4) // (6 if bc else 3)
    return DenseNetConfig((n, n, n), growth, bc, 0.5 if bc else 1.0, imagenet=False)


CONFIGS = {
    "densenet121": DenseNetConfig((6, 12, 24, 16), 32),
    "densenet161": DenseNetConfig((6, 12, 36, 24), 48),
    "densenet169": DenseNetConfig((6, 12, 32, 32), 32),
    "densenet201": DenseNetConfig((6, 12, 48, 32), 32),
    "densenet264": DenseNetConfig((6, 12, 64, 48), 32),
    "densenet_40_12": cifar_config(40, 12, bc=False),
    "densenet_bc_100_12": cifar_config(100, 12, bc=True),
    "densenet_bc_250_24": cifar_config(250, 24, bc=True),
    "densenet_bc_190_40": cifar_config(190, 40, bc=True),
}


class DenseLayer(nn.Module):
    """BN-ReLU-Conv(1x1, 4k) (DenseNet-B only), BN-ReLU-Conv(3x3, k) on the concatenated inputs."""

    def __init__(self, in_chs: int, growth: int, bottleneck: bool = True, memory_efficient: bool = False):
        super().__init__()
        self.memory_efficient = memory_efficient
        mid = 4 * growth if bottleneck else in_chs
        if bottleneck:
            self.norm1 = BatchNormReLU(in_chs)
            self.conv1 = nn.Conv2d(in_chs, mid, 1, bias=False)
        self.norm2 = BatchNormReLU(mid)
        self.conv2 = nn.Conv2d(mid, growth, 3, padding=1, bias=False)

    def _bottleneck(self, *inputs: torch.Tensor) -> torch.Tensor:
        x = torch.cat(inputs, 1)
        return self.conv1(self.norm1(x)) if hasattr(self, "conv1") else x

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        if self.memory_efficient and self.training and any(t.requires_grad for t in inputs):
            x = checkpoint(self._bottleneck, *inputs, use_reentrant=False)
        else:
            x = self._bottleneck(*inputs)
        return self.conv2(self.norm2(x))


class Transition(nn.Sequential):
    """BN-ReLU-Conv(1x1) to floor(theta * m) maps, then 2x2 average pooling."""

    def __init__(self, in_chs: int, out_chs: int) -> None:
        super().__init__()
        self.norm = BatchNormReLU(in_chs)
        self.conv = nn.Conv2d(in_chs, out_chs, 1, bias=False)
        self.pool = nn.AvgPool2d(2, 2)


class DenseStage(nn.Module):
    """An optional transition, then a dense block; returns the block's full concatenation."""

    def __init__(
        self,
        in_chs: int,
        num_layers: int,
        growth: int,
        bottleneck: bool,
        transition_chs: int | None = None,
        memory_efficient: bool = False,
    ) -> None:
        super().__init__()
        if transition_chs is not None:
            self.transition = Transition(in_chs, transition_chs)
            in_chs = transition_chs
        self.layers = nn.ModuleList(
            DenseLayer(in_chs + i * growth, growth, bottleneck, memory_efficient) for i in range(num_layers)
        )
        self.out_chs = in_chs + num_layers * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "transition"):
            x = self.transition(x)
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseNet(Classifier):
    """stem -> stages (transition + dense block) -> BN-ReLU (`norm`) -> global pool -> fc."""

    def __init__(
        self,
        config: DenseNetConfig,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.0,
        memory_efficient: bool = False,
    ) -> None:
        # Each transition's 2x2 pooling needs a map of at least 2x2; the stem keeps 1 of 4 pixels.
        n_pools = len(config.block_layers) - 1
        min_size = 4 * 2**n_pools - 3 if config.imagenet else 2**n_pools
        super().__init__(num_classes, in_chans, (224, 224) if config.imagenet else (32, 32), min_size)
        self.config = config
        width = config.stem_width
        if config.imagenet:
            self.stem = nn.Sequential(
                OrderedDict(
                    conv=nn.Conv2d(in_chans, width, 7, 2, padding=3, bias=False),
                    norm=BatchNormReLU(width),
                    pool=nn.MaxPool2d(3, 2, padding=1),
                )
            )
            reduction = 4
        else:
            self.stem = nn.Sequential(OrderedDict(conv=nn.Conv2d(in_chans, width, 3, padding=1, bias=False)))
            reduction = 1

        self.stages = nn.Sequential()
        self.feature_info = []
        for i, num_layers in enumerate(config.block_layers):
            transition_chs = None if i == 0 else int(width * config.compression)
            stage = DenseStage(
                width, num_layers, config.growth, config.bottleneck, transition_chs, memory_efficient
            )
            self.stages.append(stage)
            width = stage.out_chs
            reduction *= 1 if i == 0 else 2
            last = i == len(config.block_layers) - 1
            self.feature_info.append(
                dict(module="norm" if last else f"stages.{i}", num_chs=width, reduction=reduction)
            )
        self.norm = BatchNormReLU(width)
        self.num_features = width
        self.head = ClassifierHead(width, num_classes, drop_rate=drop_rate)
        init_msra(self)  # the authors' code: conv weights N(0, 2 / (k * k * out_chs))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.norm(self.stages(self.stem(x)))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("stem", self.stem), ("stages", self.stages), ("norm", self.norm)]


def _dense_layer_key(m) -> str:
    # torchvision's released files keep the pre-0.4 names `norm.1`, `conv.2` (its loader renames them)
    return f"stages.{int(m[1]) - 1}.layers.{int(m[2]) - 1}.{m[3]}{m[4]}.{m[5]}"


def from_torchvision(state_dict: dict) -> dict:
    """torchvision's `features.denseblockB.denselayerL.norm1`, `features.transitionT` -> convzoo."""
    return rename_keys(
        state_dict,
        [
            (r"features\.conv0\.weight", "stem.conv.weight"),
            (r"features\.norm0\.(\w+)", r"stem.norm.\1"),
            (r"features\.denseblock(\d+)\.denselayer(\d+)\.(norm|conv)\.?([12])\.(\w+)", _dense_layer_key),
            (r"features\.transition(\d+)\.((?:norm|conv)\.\w+)", r"stages.\1.transition.\2"),
            (r"features\.norm5\.(\w+)", r"norm.\1"),
            (r"classifier\.(weight|bias)", r"head.fc.\1"),
        ],
        "torchvision",
    )


def _imagenet_results(table3: tuple[float, float, float, float]) -> tuple[PaperResult, ...]:
    top1, top5, top1_10, top5_10 = table3
    return top_errors(top1, top5, "Table 3, single crop") + top_errors(top1_10, top5_10, "Table 3, 10 crops")


def _cifar_results(
    c10: float, c10p: float, c100: float, c100p: float, svhn: float
) -> tuple[PaperResult, ...]:
    return (
        PaperResult("error", c10, "CIFAR-10", "test", "Table 2, no augmentation"),
        PaperResult("error", c10p, "CIFAR-10", "test", "Table 2, standard augmentation (C10+)"),
        PaperResult("error", c100, "CIFAR-100", "test", "Table 2, no augmentation"),
        PaperResult("error", c100p, "CIFAR-100", "test", "Table 2, standard augmentation (C100+)"),
        PaperResult("error", svhn, "SVHN", "test", "Table 2"),
    )


_IMAGENET_NOTE = (
    "DenseNet-BC of Table 1 (k = 32, theta = 0.5). Stem conv-BN-ReLU-max-pool as the authors' "
    "released code and torchvision."
)
_VARIANTS = {  # name: (parameters, results, notes)
    "densenet121": (7_978_856, _imagenet_results((25.02, 7.71, 23.61, 6.66)), _IMAGENET_NOTE),
    "densenet161": (
        28_681_000,
        (),
        "DenseNet-BC with k = 48 and blocks of 6, 12, 36 and 24 layers (96-wide stem): the authors' "
        "ImageNet release beside Table 1's nets (not in the paper, so no results here); the stem as "
        "densenet121's.",
    ),
    "densenet169": (14_149_480, _imagenet_results((23.80, 6.85, 22.08, 5.92)), _IMAGENET_NOTE),
    "densenet201": (20_013_928, _imagenet_results((22.58, 6.34, 21.46, 5.54)), _IMAGENET_NOTE),
    "densenet264": (
        33_337_704,
        _imagenet_results((22.15, 6.12, 20.80, 5.29)),
        _IMAGENET_NOTE + " Table 1's blocks of 6, 12, 64 and 48 layers make 265 weight layers by the "
        "count that gives DenseNet-121 its name; 264 is the paper's name.",
    ),
    "densenet_40_12": (
        1_019_722,
        _cifar_results(7.00, 5.24, 27.55, 24.42, 1.79),
        "DenseNet (L = 40, k = 12) of Table 2: no bottleneck, no compression, 16-wide 3x3 stem; "
        "the paper rounds its size to 1.0M. 10 classes by default.",
    ),
    "densenet_bc_100_12": (
        769_162,
        _cifar_results(5.92, 4.51, 24.15, 22.27, 1.76),
        "DenseNet-BC (L = 100, k = 12) of Table 2: 16 bottleneck layers per block, theta = 0.5, "
        "24-wide 3x3 stem; the paper rounds its size to 0.8M. 10 classes by default.",
    ),
    "densenet_bc_250_24": (
        15_324_406,
        _cifar_results(5.19, 3.62, 19.64, 17.60, 1.74),
        "DenseNet-BC (L = 250, k = 24) of Table 2: 41 bottleneck layers per block, theta = 0.5, "
        "48-wide 3x3 stem; 15.3M parameters in the paper. 10 classes by default.",
    ),
    "densenet_bc_190_40": (
        25_624_430,
        (
            PaperResult("error", 3.46, "CIFAR-10", "test", "Table 2, standard augmentation (C10+)"),
            PaperResult("error", 17.18, "CIFAR-100", "test", "Table 2, standard augmentation (C100+)"),
        ),
        "DenseNet-BC (L = 190, k = 40) of Table 2: 31 bottleneck layers per block, theta = 0.5, "
        "80-wide 3x3 stem; 25.6M parameters in the paper. 10 classes by default.",
    ),
}


def densenet_card(name: str, config: DenseNetConfig, params: int, results: tuple, notes: str) -> ModelCard:
    """The card of one DenseNet. torchvision and timm have the ImageNet nets up to DenseNet-201, both in
    this layout."""
    library = config.imagenet and config.depth <= 201
    return ModelCard(
        name=name,
        family="densenet",
        paper=PAPER,
        input_size=(3, 224, 224) if config.imagenet else (3, 32, 32),
        params=params,
        results=results,
        compatible={"torchvision": name, "timm": name} if library else {},
        notes=notes,
    )


for _name, _config in CONFIGS.items():
    _card = densenet_card(_name, _config, *_VARIANTS[_name])
    register_builder(
        _card,
        DenseNet,
        {"torchvision": from_torchvision, "timm": from_torchvision} if _card.compatible else {},
        doc=f"DenseNet-{_config.depth} (k = {_config.growth}).",
        config=_config,
        num_classes=1000 if _config.imagenet else 10,
    )
