"""Pre-activation ResNet, He et al. 2016, "Identity Mappings in Deep Residual Networks".

The full pre-activation unit of Fig. 4(e): x + conv3(BN-ReLU(conv2(BN-ReLU(conv1(BN-ReLU(x)))))),
with nothing after the addition, so the identity path runs unimpeded from the first unit to the
last. ImageNet nets of 50/101/152/200 layers (bottleneck stages as in He et al. 2016a, Table 1)
and the CIFAR nets of 164 and 1001 layers (Section 4, bottleneck units 16-32-64 wide, output
64-128-256).

As the Appendix prescribes, the first unit of the network takes the activation right after conv1
(conv1-BN-ReLU is the stem and both paths of that unit start from it), the last unit is followed
by an extra BN-ReLU before pooling, and projection shortcuts (1x1 convolutions, used where the
shape changes) take the pre-activated input. Downsampling is done by the first 1x1 convolution
of a stage's first unit, as in the original ResNet [1] and the authors' CIFAR code.

`preact_resnet50_timm` is timm's `resnetv2_50`, which differs: its stem is a bare 7x7 conv and
max-pool (the first unit pre-activates itself after the pooling) and it strides the 3x3
convolution. It loads timm checkpoints.

Weights start with He et al.'s initialisation, except that the last convolution of every unit
starts at zero (`zero_init_last=True`, Goyal et al. 2017) so that an untrained net of any depth is
the identity chain and stays finite in eval mode; `zero_init_last=False` gives the paper's.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult, top_errors
from ..contract import Classifier
from ..layers.drop import DropPath, drop_path_rates
from ..layers.heads import ClassifierHead
from ..layers.preact import BatchNormReLU
from ..layers.weight_init import init_msra
from ..weights import rename_keys
from ._builder import register_builder

PAPER = Paper(
    title="Identity Mappings in Deep Residual Networks",
    authors="K. He, X. Zhang, S. Ren, J. Sun",
    year=2016,
    link="https://arxiv.org/abs/1603.05027",
)


@dataclass(frozen=True)
class PreActConfig:
    """A pre-activation ResNet: units per stage and each stage's output width (4x its bottleneck)."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    stem_width: int = 64
    imagenet: bool = True  # 7x7/2 conv + 3x3/2 max-pool stem at 224x224; else a 3x3 conv at 32x32
    timm_layout: bool = False  # bare stem, every unit pre-activates itself, stride on the 3x3

    @property
    def depth(self) -> int:
        return 3 * sum(self.depths) + 2


IMAGENET_WIDTHS = (256, 512, 1024, 2048)
CIFAR_WIDTHS = (64, 128, 256)
CONFIGS = {
    "preact_resnet50": PreActConfig((3, 4, 6, 3), IMAGENET_WIDTHS),
    "preact_resnet101": PreActConfig((3, 4, 23, 3), IMAGENET_WIDTHS),
    "preact_resnet152": PreActConfig((3, 8, 36, 3), IMAGENET_WIDTHS),
    "preact_resnet200": PreActConfig((3, 24, 36, 3), IMAGENET_WIDTHS),
    "preact_resnet50_timm": PreActConfig((3, 4, 6, 3), IMAGENET_WIDTHS, timm_layout=True),
    "preact_resnet101_timm": PreActConfig((3, 4, 23, 3), IMAGENET_WIDTHS, timm_layout=True),
    "preact_resnet152_timm": PreActConfig((3, 8, 36, 3), IMAGENET_WIDTHS, timm_layout=True),
    # Section 4: 9n+2 layers, n = 18 and 111 bottleneck units per stage.
    "preact_resnet164": PreActConfig((18, 18, 18), CIFAR_WIDTHS, stem_width=16, imagenet=False),
    "preact_resnet1001": PreActConfig((111, 111, 111), CIFAR_WIDTHS, stem_width=16, imagenet=False),
}


class PreActBottleneck(nn.Module):
    """BN-ReLU-1x1, BN-ReLU-3x3, BN-ReLU-1x1, added to the (projected) input; no activation after.

    `preact=False` for a unit whose input is already activated (the first unit after the stem).
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        stride: int = 1,
        preact: bool = True,
        stride_on_3x3: bool = False,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        mid = out_chs // 4
        s1, s3 = (1, stride) if stride_on_3x3 else (stride, 1)
        self.norm1 = BatchNormReLU(in_chs) if preact else nn.Identity()
        self.conv1 = nn.Conv2d(in_chs, mid, 1, s1, bias=False)
        self.norm2 = BatchNormReLU(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, s3, padding=1, bias=False)
        self.norm3 = BatchNormReLU(mid)
        self.conv3 = nn.Conv2d(mid, out_chs, 1, bias=False)
        needs_projection = stride != 1 or in_chs != out_chs
        self.shortcut = nn.Conv2d(in_chs, out_chs, 1, stride, bias=False) if needs_projection else None
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()  # stochastic depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.norm1(x)
        # Appendix: projection shortcuts are also with pre-activation; identity ones carry x as is.
        shortcut = x if self.shortcut is None else self.shortcut(pre)
        out = self.conv1(pre)
        out = self.conv2(self.norm2(out))
        out = self.conv3(self.norm3(out))
        return self.drop_path(out) + shortcut


class PreActResNet(Classifier):
    """stem -> stages of PreActBottleneck units -> final BN-ReLU (`norm`) -> global pool -> fc."""

    def __init__(
        self,
        config: PreActConfig,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.0,
        zero_init_last: bool = True,
        drop_path_rate: float = 0.0,
    ) -> None:
        size = 224 if config.imagenet else 32
        # every conv and pool is padded to keep a 1x1 map 1x1
        super().__init__(num_classes, in_chans, (size, size), 1)
        self.config = config
        stem = OrderedDict()
        if config.imagenet:
            stem["conv"] = nn.Conv2d(in_chans, config.stem_width, 7, 2, padding=3, bias=False)
        else:
            stem["conv"] = nn.Conv2d(in_chans, config.stem_width, 3, 1, padding=1, bias=False)
        if not config.timm_layout:
            stem["norm"] = BatchNormReLU(config.stem_width)
        if config.imagenet:
            stem["pool"] = nn.MaxPool2d(3, 2, padding=1)
        self.stem = nn.Sequential(stem)

        reduction = 4 if config.imagenet else 1
        width = config.stem_width
        self.stages = nn.Sequential()
        self.feature_info = []
        # Stochastic depth (Huang et al. 2016), rising linearly over the units; the paper has none.
        rates = iter(drop_path_rates(drop_path_rate, sum(config.depths)))
        for i, (depth, out_chs) in enumerate(zip(config.depths, config.widths, strict=True)):
            stride = 1 if i == 0 else 2
            reduction *= stride
            units = nn.Sequential()
            for j in range(depth):
                preact = config.timm_layout or i > 0 or j > 0
                units.append(
                    PreActBottleneck(
                        width,
                        out_chs,
                        stride if j == 0 else 1,
                        preact,
                        stride_on_3x3=config.timm_layout,
                        drop_path=next(rates),
                    )
                )
                width = out_chs
            self.stages.append(units)
            # The last stage's map is only complete after the final BN-ReLU.
            last = i == len(config.depths) - 1
            self.feature_info.append(
                dict(module="norm" if last else f"stages.{i}", num_chs=out_chs, reduction=reduction)
            )
        self.norm = BatchNormReLU(width)
        self.num_features = width
        self.head = ClassifierHead(width, num_classes, drop_rate=drop_rate)
        self._init_weights(zero_init_last)

    def _init_weights(self, zero_init_last: bool) -> None:
        init_msra(self)
        if zero_init_last:
            # Every unit starts as the identity (Goyal et al. 2017): without it an untrained
            # 1001-layer net overflows in eval mode, where BN does not renormalise each branch.
            for m in self.modules():
                if isinstance(m, PreActBottleneck):
                    nn.init.zeros_(m.conv3.weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.norm(self.stages(self.stem(x)))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("stem", self.stem), ("stages", self.stages), ("norm", self.norm)]


def from_timm(state_dict: dict) -> dict:
    """timm ResNetV2 (`stages.S.blocks.B.norm1`, `downsample.conv`, 1x1-conv head) -> convzoo."""
    return rename_keys(
        state_dict,
        [
            (r"stem\.conv\.weight", r"stem.conv.weight"),
            (r"stages\.(\d+)\.blocks\.(\d+)\.downsample\.conv\.weight", r"stages.\1.\2.shortcut.weight"),
            (r"stages\.(\d+)\.blocks\.(\d+)\.((?:norm|conv)[123]\.\w+)", r"stages.\1.\2.\3"),
            (r"norm\.(\w+)", r"norm.\1"),
            (r"head\.fc\.(weight|bias)", r"head.fc.\1"),
        ],
        "timm",
    )  # timm's classifier is a 1x1 convolution: loading reshapes its weight (fit_pointwise_weights)


_INIT_NOTE = (
    " The last conv of every unit starts at zero (zero_init_last=True) so any depth is finite untrained;"
    " zero_init_last=False is the paper's He initialisation throughout."
)
_IMAGENET_NOTE = (
    "Units per stage as in He et al. 2016a, Table 1. Stride on the first 1x1 convolution of a "
    "stage, as the original ResNet; conv1-BN-ReLU stem shared by both paths of the first unit "
    "(Appendix)." + _INIT_NOTE
)
_CIFAR_NOTE = (
    "CIFAR net of Section 4: 3x3 conv (16) then three stages of {n} bottleneck units (64, 128, "
    "256 wide at 32, 16, 8 pixels), final BN-ReLU, global average pooling, fc. 10 classes by default."
    + _INIT_NOTE
)


def _results(name: str) -> tuple[PaperResult, ...]:
    table5 = "Table 5, single crop 320x320, trained on 224 crops with scale augmentation"
    table = {
        "preact_resnet152": top_errors(21.1, 5.5, table5),
        "preact_resnet200": top_errors(20.7, 5.3, table5)
        + top_errors(20.1, 4.8, table5 + " and aspect-ratio augmentation"),
        "preact_resnet164": (
            PaperResult(
                "error", 5.46, "CIFAR-10", "test", "Table 3, standard augmentation (1.7M parameters, Table 4)"
            ),
            PaperResult("error", 24.33, "CIFAR-100", "test", "Table 3, standard augmentation"),
        ),
        "preact_resnet1001": (
            PaperResult("error", 4.92, "CIFAR-10", "test", "Table 3, mini-batch 128"),
            PaperResult("error", 4.62, "CIFAR-10", "test", "Table 4, mini-batch 64, 10.2M parameters"),
            PaperResult("error", 22.71, "CIFAR-100", "test", "Table 3"),
        ),
    }
    return table.get(name, ())


_PARAMS = {
    "preact_resnet50": 25_549_352,
    "preact_resnet101": 44_541_480,
    "preact_resnet152": 60_185_128,
    "preact_resnet200": 64_666_152,
    "preact_resnet50_timm": 25_549_352,
    "preact_resnet101_timm": 44_541_480,
    "preact_resnet152_timm": 60_185_128,
    "preact_resnet164": 1_703_258,
    "preact_resnet1001": 10_327_706,
}


def preact_card(name: str, config: PreActConfig) -> ModelCard:
    """The card of one pre-activation ResNet of CONFIGS."""
    timm_name = f"resnetv2_{config.depth}"
    if config.timm_layout:
        notes = (
            f"timm's {timm_name}, not the paper's layout: the stem is a bare 7x7 conv and max-pool "
            "(the first unit pre-activates the pooled map itself) and the stride sits on the 3x3 "
            f"convolution. Same parameter count as preact_resnet{config.depth}."
        )
    elif config.imagenet:
        notes = _IMAGENET_NOTE
        if not _results(name):
            notes += " The paper reports ImageNet results for the 152- and 200-layer nets only."
    else:
        notes = _CIFAR_NOTE.format(n=config.depths[0])
    return ModelCard(
        name=name,
        family="preact_resnet",
        paper=PAPER,
        input_size=(3, 224, 224) if config.imagenet else (3, 32, 32),
        params=_PARAMS[name],
        results=_results(name),
        compatible={"timm": timm_name} if config.timm_layout else {},
        notes=notes,
    )


for _name, _config in CONFIGS.items():
    register_builder(
        preact_card(_name, _config),
        PreActResNet,
        {"timm": from_timm} if _config.timm_layout else {},
        doc=f"Pre-activation ResNet-{_config.depth}.",
        config=_config,
        num_classes=1000 if _config.imagenet else 10,
        zero_init_last=True,
    )
