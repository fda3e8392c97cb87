"""ConvNeXt, Liu et al. 2022, "A ConvNet for the 2020s".

A ResNet modernised step by step towards a Swin Transformer (Section 2): a 4x4/4 "patchify" stem,
stages of inverted-bottleneck blocks (7x7 depthwise conv -> LayerNorm -> 1x1 expand x4 -> GELU ->
1x1 project), LayerNorm + 2x2/2 conv between stages, layer scale (initialised to 1e-6) and
stochastic depth on every residual branch, and a global-average-pool -> LayerNorm -> linear head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier, stem_then_stages
from ..layers.drop import DropPath, drop_path_rates
from ..layers.heads import ClassifierHead
from ..layers.norm import LayerNorm2d
from ..weights import rename_keys
from ._builder import register_builder

PAPER = Paper(
    title="A ConvNet for the 2020s",
    authors="Z. Liu, H. Mao, C.-Y. Wu, C. Feichtenhofer, T. Darrell, S. Xie",
    year=2022,
    link="https://arxiv.org/abs/2201.03545",
)


@dataclass(frozen=True)
class ConvNeXtStageRow:
    """One stage of Section 3's variant list: `depth` blocks of `width` channels."""

    depth: int
    width: int


def rows(depths: tuple[int, ...], widths: tuple[int, ...]) -> tuple[ConvNeXtStageRow, ...]:
    return tuple(ConvNeXtStageRow(d, w) for d, w in zip(depths, widths, strict=True))


# Section 3, "ConvNeXt variants": C = channels, B = blocks per stage.
CONVNEXT_CONFIGS: dict[str, tuple[ConvNeXtStageRow, ...]] = {
    "T": rows((3, 3, 9, 3), (96, 192, 384, 768)),
    "S": rows((3, 3, 27, 3), (96, 192, 384, 768)),
    "B": rows((3, 3, 27, 3), (128, 256, 512, 1024)),
    "L": rows((3, 3, 27, 3), (192, 384, 768, 1536)),
    "XL": rows((3, 3, 27, 3), (256, 512, 1024, 2048)),
}


class ConvNeXtBlock(nn.Module):
    """x + drop_path(layer_scale * pwconv2(GELU(pwconv1(LN(dwconv7x7(x)))))), Fig. 4 of the paper.

    The 1x1 convolutions are linear layers on the channels-last map, as in the authors' code.
    """

    def __init__(self, dim: int, drop_path: float = 0.0, layer_scale_init: float = 1e-6) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.layer_scale = nn.Parameter(torch.full((dim,), layer_scale_init))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
        y = self.layer_scale * self.pwconv2(self.act(self.pwconv1(y)))
        return x + self.drop_path(y.permute(0, 3, 1, 2))


class Downsample(nn.Sequential):
    """Section 2.6 "separate downsampling layers": LayerNorm, then a 2x2 convolution of stride 2."""

    def __init__(self, in_chs: int, out_chs: int) -> None:
        super().__init__()
        self.norm = LayerNorm2d(in_chs)
        self.conv = nn.Conv2d(in_chs, out_chs, 2, stride=2)


class ConvNeXtHead(ClassifierHead):
    """Global average pooling -> LayerNorm -> dropout -> linear."""

    def __init__(self, in_features: int, num_classes: int, drop_rate: float = 0.0) -> None:
        super().__init__(in_features, num_classes, "avg", drop_rate)
        self.norm = nn.LayerNorm(in_features, eps=1e-6)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(self.norm(self.pool(x).flatten(1)))
        return x if pre_logits else self.fc(x)


class ConvNeXt(Classifier):
    """stem (4x4/4 conv + LN), four stages (`stages.0`-`stages.3`, reductions 4-32) and the head."""

    def __init__(
        self,
        config: tuple[ConvNeXtStageRow, ...],
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        layer_scale_init: float = 1e-6,
    ) -> None:
        # the stem and three downsamplings need a 1x1 map at the end
        super().__init__(num_classes, in_chans, (224, 224), 32)
        width = config[0].width
        self.stem = nn.Sequential()
        self.stem.add_module("conv", nn.Conv2d(in_chans, width, 4, stride=4))
        self.stem.add_module("norm", LayerNorm2d(width))
        # Stochastic depth grows linearly from 0 to drop_path_rate over all blocks (Huang et al.).
        total = sum(r.depth for r in config)
        rates = drop_path_rates(drop_path_rate, total)
        self.stages = nn.Sequential()
        self.feature_info = []
        for i, row in enumerate(config):
            stage = nn.Sequential()
            if i > 0:
                stage.add_module("downsample", Downsample(width, row.width))
            stage.add_module(
                "blocks",
                nn.Sequential(
                    *(ConvNeXtBlock(row.width, rates.pop(0), layer_scale_init) for _ in range(row.depth))
                ),
            )
            self.stages.append(stage)
            width = row.width
            self.feature_info.append(dict(module=f"stages.{i}", num_chs=width, reduction=4 * 2**i))
        self.num_features = width
        self.head = ConvNeXtHead(width, num_classes, drop_rate)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.stages(self.stem(x))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return stem_then_stages(self.stem, self.stages)


_BLOCK_PARTS = {"0": "dwconv", "2": "norm", "3": "pwconv1", "5": "pwconv2"}


def from_torchvision(state_dict: dict) -> dict:
    """torchvision's `features.N` layout: even N > 0 downsample, odd N the blocks of stage N // 2."""
    out = rename_keys(
        state_dict,
        [
            (r"features\.0\.0\.(weight|bias)", r"stem.conv.\1"),
            (r"features\.0\.1\.(weight|bias)", r"stem.norm.\1"),
            (
                r"features\.([246])\.0\.(weight|bias)",
                lambda m: f"stages.{int(m[1]) // 2}.downsample.norm.{m[2]}",
            ),
            (
                r"features\.([246])\.1\.(weight|bias)",
                lambda m: f"stages.{int(m[1]) // 2}.downsample.conv.{m[2]}",
            ),
            (
                r"features\.([1357])\.(\d+)\.layer_scale",
                lambda m: f"stages.{int(m[1]) // 2}.blocks.{m[2]}.layer_scale",
            ),
            (
                r"features\.([1357])\.(\d+)\.block\.([0235])\.(weight|bias)",
                lambda m: f"stages.{int(m[1]) // 2}.blocks.{m[2]}.{_BLOCK_PARTS[m[3]]}.{m[4]}",
            ),
            (r"classifier\.0\.(weight|bias)", r"head.norm.\1"),
            (r"classifier\.2\.(weight|bias)", r"head.fc.\1"),
        ],
        "torchvision",
    )
    # torchvision keeps layer scale as C x 1 x 1 (applied channels-first); ours is C (channels-last).
    return {k: v.flatten() if k.endswith("layer_scale") else v for k, v in out.items()}


_TIMM_BLOCK_PARTS = {
    "gamma": "layer_scale",
    "conv_dw": "dwconv",
    "norm": "norm",
    "mlp.fc1": "pwconv1",
    "mlp.fc2": "pwconv2",
}


def from_timm(state_dict: dict) -> dict:
    """timm's layout: `stem.0/1`, `stages.S.downsample.0/1` (norm, conv), blocks' `conv_dw`, `mlp.fc1`,
    `gamma` (the layer scale, already C)."""
    return rename_keys(
        state_dict,
        [
            (r"stem\.0\.(weight|bias)", r"stem.conv.\1"),
            (r"stem\.1\.(weight|bias)", r"stem.norm.\1"),
            (r"stages\.([123])\.downsample\.0\.(weight|bias)", r"stages.\1.downsample.norm.\2"),
            (r"stages\.([123])\.downsample\.1\.(weight|bias)", r"stages.\1.downsample.conv.\2"),
            (r"stages\.(\d)\.blocks\.(\d+)\.gamma", r"stages.\1.blocks.\2.layer_scale"),
            (
                r"stages\.(\d)\.blocks\.(\d+)\.(conv_dw|norm|mlp\.fc[12])\.(weight|bias)",
                lambda m: f"stages.{m[1]}.blocks.{m[2]}.{_TIMM_BLOCK_PARTS[m[3]]}.{m[4]}",
            ),
            (r"head\.(norm|fc)\.(weight|bias)", r"head.\1.\2"),
        ],
        "timm",
    )


# How the paper trained the model whose top-1 a row quotes: (the card's training note, the setting
# its stochastic depth rate comes from). ConvNeXt-XL was trained only with ImageNet-22K
# pre-training; its 1K weights are the 22K model fine-tuned on ImageNet-1K, whose drop path rate
# for XL is 0.4 (the appendix's fine-tuning settings: 0.0 / 0.1 / 0.2 / 0.3 / 0.4 for T to XL).
IN1K = ("trained on ImageNet-1K", "ImageNet-1K training")
IN22K_FT = ("pre-trained on ImageNet-22K, fine-tuned on ImageNet-1K", "ImageNet-1K fine-tuning")

# name: (configuration, parameters at 1000 classes, the paper's top-1 (%, ImageNet-1K val, 224^2,
# Table 1), how that model was trained, drop path rate, the libraries whose checkpoints of that
# name it loads)
CONVNEXTS = {
    "convnext_tiny": ("T", 28_589_128, 82.1, IN1K, 0.1, ("torchvision", "timm")),
    "convnext_small": ("S", 50_223_688, 83.1, IN1K, 0.4, ("torchvision", "timm")),
    "convnext_base": ("B", 88_591_464, 83.8, IN1K, 0.5, ("torchvision", "timm")),
    "convnext_large": ("L", 197_767_336, 84.3, IN1K, 0.5, ("torchvision", "timm")),
    "convnext_xlarge": ("XL", 350_196_968, 87.0, IN22K_FT, 0.4, ("timm",)),
}
_CONVERTERS = {"torchvision": from_torchvision, "timm": from_timm}

for _name, (_config, _params, _top1, (_trained, _setting), _drop_path_rate, _libraries) in CONVNEXTS.items():
    _card = ModelCard(
        name=_name,
        family="convnext",
        paper=PAPER,
        input_size=(3, 224, 224),
        params=_params,
        results=(PaperResult("top-1 accuracy", _top1, "ImageNet-1K", "val", f"224x224, {_trained}"),),
        compatible=dict.fromkeys(_libraries, _name),
        notes=(
            f"ConvNeXt-{_config}. Stochastic depth rate {_drop_path_rate} (the paper's {_setting} setting) "
            "is the default drop_path_rate; layer scale starts at 1e-6. Any input of at least 32x32 runs."
        ),
    )
    register_builder(
        _card,
        ConvNeXt,
        {library: _CONVERTERS[library] for library in _libraries},
        doc=f"ConvNeXt-{_config}; keyword arguments as ConvNeXt's (drop_path_rate: the paper's).",
        config=CONVNEXT_CONFIGS[_config],
        drop_path_rate=_drop_path_rate,
    )
