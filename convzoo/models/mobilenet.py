"""MobileNet v1, v2 and v3: depthwise separable convolutions, inverted residuals, searched blocks.

- v1 (Howard et al. 2017): Table 1's stack of depthwise separable convolutions, the width
  multiplier alpha (Section 3.3, `alpha`) and the resolution multiplier rho (`resolution`, the input size).
- v2 (Sandler et al. 2018): Table 2's inverted residuals with linear bottlenecks and ReLU6.
- v3 (Howard et al. 2019): Tables 1 and 2 (Large, Small), h-swish, squeeze-and-excitation with a
  hard sigmoid gate, and the efficient last stage of Section 5.2 (pool before the 1x1 conv).

`MBConvNet` - stem, rows of inverted residuals, 1x1 conv, pool, fc - is v2's skeleton, which
EfficientNet reuses with its own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..layers import TF_SAME, ClassifierHead, ConvNormAct, make_divisible
from ..layers.mbconv import (
    DepthwiseSeparableConv,
    InvertedResidual,
    MBConvRow,
    block_layouts,
    mbconv_layout,
    mbconv_stages,
    scale_rows,
)
from ..layers.weight_init import init_msra
from ..registry import register_model
from ..weights import rename_keys
from ._builder import register_builder
from ._convert import TIMM_BLOCK, timm_block_placer, timm_converter, torchvision_converter

PAPER_V1 = Paper(
    title="MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
    authors="A. G. Howard, M. Zhu, B. Chen, D. Kalenichenko, W. Wang, T. Weyand, M. Andreetto, H. Adam",
    year=2017,
    link="https://arxiv.org/abs/1704.04861",
)
PAPER_V2 = Paper(
    title="MobileNetV2: Inverted Residuals and Linear Bottlenecks",
    authors="M. Sandler, A. Howard, M. Zhu, A. Zhmoginov, L.-C. Chen",
    year=2018,
    link="https://arxiv.org/abs/1801.04381",
)
PAPER_V3 = Paper(
    title="Searching for MobileNetV3",
    authors="A. Howard, M. Sandler, G. Chu, L.-C. Chen, B. Chen, M. Tan, W. Wang, Y. Zhu, R. Pang, "
    "V. Vasudevan, Q. V. Le, H. Adam",
    year=2019,
    link="https://arxiv.org/abs/1905.02244",
)

# Every layer pads k // 2, so a stride-2 layer maps 1x1 to 1x1: any input from 1x1 up runs.
MIN_INPUT_SIZE = 1


@dataclass(frozen=True)
class SeparableRow:
    """`repeats` depthwise separable convolutions of MobileNet v1's Table 1, the first with `stride`."""

    stride: int
    channels: int
    repeats: int = 1
    kernel: int = 3


# MobileNet v1, Table 1 (after the 3x3/2 conv of 32 maps). The table's last depthwise conv says s2,
# but its input and output are both 7x7: stride 1, as in the authors' release.
MOBILENET_V1_ROWS = (
    SeparableRow(1, 64),
    SeparableRow(2, 128, 2),
    SeparableRow(2, 256, 2),
    SeparableRow(2, 512, 6),
    SeparableRow(2, 1024, 2),
)

# MobileNet v2, Table 2: expansion t, (3x3 kernels), stride s, channels c, repeats n; after a 3x3/2
# conv of 32 maps, and followed by a 1x1 conv of 1280 maps.
MOBILENET_V2_ROWS = (
    MBConvRow(expand=1, kernel=3, stride=1, channels=16, repeats=1),
    MBConvRow(expand=6, kernel=3, stride=2, channels=24, repeats=2),
    MBConvRow(expand=6, kernel=3, stride=2, channels=32, repeats=3),
    MBConvRow(expand=6, kernel=3, stride=2, channels=64, repeats=4),
    MBConvRow(expand=6, kernel=3, stride=1, channels=96, repeats=3),
    MBConvRow(expand=6, kernel=3, stride=2, channels=160, repeats=3),
    MBConvRow(expand=6, kernel=3, stride=1, channels=320, repeats=1),
)


@dataclass(frozen=True)
class BneckRow:
    """One bneck row of MobileNetV3's Tables 1-2: kernel, exp size, #out, SE, NL, stride."""

    kernel: int
    exp: int
    out: int
    se: bool
    nl: str  # "RE" (ReLU) or "HS" (h-swish)
    stride: int


B = BneckRow
# Table 1 (Large) and Table 2 (Small), grouped into stages of equal output width.
MOBILENET_V3_LARGE = (
    (B(3, 16, 16, False, "RE", 1),),
    (B(3, 64, 24, False, "RE", 2), B(3, 72, 24, False, "RE", 1)),
    (B(5, 72, 40, True, "RE", 2), B(5, 120, 40, True, "RE", 1), B(5, 120, 40, True, "RE", 1)),
    (B(3, 240, 80, False, "HS", 2), B(3, 200, 80, False, "HS", 1), B(3, 184, 80, False, "HS", 1),
     B(3, 184, 80, False, "HS", 1)),
    (B(3, 480, 112, True, "HS", 1), B(3, 672, 112, True, "HS", 1)),
    (B(5, 672, 160, True, "HS", 2), B(5, 960, 160, True, "HS", 1), B(5, 960, 160, True, "HS", 1)),
)  # fmt: skip
MOBILENET_V3_SMALL = (
    (B(3, 16, 16, True, "RE", 2),),
    (B(3, 72, 24, False, "RE", 2), B(3, 88, 24, False, "RE", 1)),
    (B(5, 96, 40, True, "HS", 2), B(5, 240, 40, True, "HS", 1), B(5, 240, 40, True, "HS", 1)),
    (B(5, 120, 48, True, "HS", 1), B(5, 144, 48, True, "HS", 1)),
    (B(5, 288, 96, True, "HS", 2), B(5, 576, 96, True, "HS", 1), B(5, 576, 96, True, "HS", 1)),
)  # fmt: skip
# stem width, stages, last 1x1 conv width, width of the 1x1 conv after pooling
MOBILENET_V3_CONFIGS = {
    "large": (16, MOBILENET_V3_LARGE, 960, 1280),
    "small": (16, MOBILENET_V3_SMALL, 576, 1024),
}


def scale_v3_config(config: str, width: float = 1.0) -> tuple[int, tuple, int, int]:
    """MOBILENET_V3_CONFIGS[config] at width multiplier `width`, as the release scales it (Table 3's
    0.75 models): the stem, every #out and the last 1x1 conv times `width`; each exp size keeps
    its ratio to its block's input (exp / input of Tables 1-2, times the scaled input); all
    rounded by make_divisible. The 1x1 conv after pooling keeps its width."""
    stem_chs, stages, head_chs, hidden = MOBILENET_V3_CONFIGS[config]
    scaled_stem = make_divisible(stem_chs * width)
    table_in, scaled_in, scaled_stages = stem_chs, scaled_stem, []
    for rows in stages:
        scaled_rows = []
        for row in rows:
            out = make_divisible(row.out * width)
            exp = scaled_in if row.exp == table_in else make_divisible(scaled_in * row.exp / table_in)
            scaled_rows.append(replace(row, exp=exp, out=out))
            table_in, scaled_in = row.out, out
        scaled_stages.append(tuple(scaled_rows))
    return scaled_stem, tuple(scaled_stages), make_divisible(head_chs * width), hidden


V3_ACTS = {"RE": nn.ReLU, "HS": nn.Hardswish}
V3_BN_EPS = 1e-3  # the release's BatchNorm epsilon (TensorFlow's); timm's PyTorch-trained weights use 1e-5


class StemStagesNet(Classifier):
    """stem -> stages -> 1x1 `conv_head` (or none) -> head: the shape of every network here."""

    conv_head: nn.Module

    def __init__(self, num_classes: int, in_chans: int, resolution: int) -> None:
        super().__init__(num_classes, in_chans, (resolution, resolution), MIN_INPUT_SIZE)

    def _start(self, stem: ConvNormAct) -> None:
        """Set the stem and an empty stage list, whose feature_info starts with the stem's."""
        self.stem, self.stages = stem, nn.Sequential()
        self.feature_info = [dict(module="stem", num_chs=stem.conv.out_channels, reduction=2)]

    def _add_stage(self, stage: nn.Sequential, width: int, reduction: int) -> None:
        self.feature_info.append(
            dict(module=f"stages.{len(self.stages)}", num_chs=width, reduction=reduction)
        )
        self.stages.append(stage)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.conv_head(self.stages(self.stem(x)))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("stem", self.stem), ("stages", self.stages), ("conv_head", self.conv_head)]


class MobileNetV1(StemStagesNet):
    """3x3/2 conv, depthwise separable stages (`stages.S.B.dw` / `.pw`), global pool, fc."""

    def __init__(
        self,
        rows: Sequence[SeparableRow] = MOBILENET_V1_ROWS,
        alpha: float = 1.0,
        resolution: int = 224,
        act: Callable[[], nn.Module] = nn.ReLU,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.0,
    ) -> None:
        super().__init__(num_classes, in_chans, resolution)
        rows = scale_rows(rows, width=alpha)
        width = make_divisible(32 * alpha)
        self._start(ConvNormAct(in_chans, width, 3, 2, act=act))
        reduction = 2
        for row in rows:
            stage = nn.Sequential()
            for i in range(row.repeats):
                stride = row.stride if i == 0 else 1
                stage.append(DepthwiseSeparableConv(width, row.channels, row.kernel, stride, act=act))
                width = row.channels
            reduction *= row.stride
            self._add_stage(stage, width, reduction)
        self.conv_head = nn.Identity()
        self.num_features = width
        self.head = ClassifierHead(width, num_classes, drop_rate=drop_rate)
        init_msra(self)


class MBConvNet(StemStagesNet):
    """3x3/2 conv stem, one stage of InvertedResiduals per MBConvRow, 1x1 conv, pool, dropout, fc.

    MobileNet v2 (ReLU6, no SE) and EfficientNet (SiLU, SE, stochastic depth) are both this network.
    `padding=TF_SAME` pads the stem and every k x k conv as TensorFlow does (timm's `tf_*` weights).
    """

    def __init__(
        self,
        rows: Sequence[MBConvRow],
        stem_chs: int,
        head_chs: int,
        *,
        act: Callable[[], nn.Module],
        norm: Callable[[int], nn.Module] = nn.BatchNorm2d,
        resolution: int = 224,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.2,
        drop_path_rate: float = 0.0,
        padding: str | None = None,
    ) -> None:
        super().__init__(num_classes, in_chans, resolution)
        self.rows = tuple(rows)
        self.stem = ConvNormAct(in_chans, stem_chs, 3, 2, padding, norm=norm, act=act)
        self.stages, info, width = mbconv_stages(
            rows, stem_chs, act=act, norm=norm, drop_path_rate=drop_path_rate, padding=padding
        )
        self.conv_head = ConvNormAct(width, head_chs, 1, norm=norm, act=act)
        self.feature_info = [
            dict(module="stem", num_chs=stem_chs, reduction=2),
            *info,
            dict(module="conv_head", num_chs=head_chs, reduction=info[-1]["reduction"]),
        ]
        self.num_features = head_chs
        self.head = ClassifierHead(head_chs, num_classes, drop_rate=drop_rate)
        init_msra(self)


def mobilenet_v2(width: float = 1.0, **kwargs) -> MBConvNet:
    """MobileNet v2 with width multiplier `width`; the last 1x1 conv never narrows below 1280
    (Section 6.1: the multiplier applies to all layers but the last)."""
    rows = scale_rows(MOBILENET_V2_ROWS, width=width)
    head_chs = make_divisible(1280 * max(1.0, width))
    return MBConvNet(rows, make_divisible(32 * width), head_chs, act=nn.ReLU6, **kwargs)


class HiddenLayerHead(ClassifierHead):
    """MobileNetV3's efficient last stage (Section 5.2): pool first, then a 1x1 conv without BN (a
    linear layer on the pooled vector) -> h-swish -> dropout -> classifier. pre_logits is its output."""

    def __init__(self, in_chs: int, hidden: int, num_classes: int, drop_rate: float) -> None:
        super().__init__(hidden, num_classes, drop_rate=drop_rate)
        self.hidden = nn.Linear(in_chs, hidden)
        self.act = nn.Hardswish()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(self.act(self.hidden(self.pool(x).flatten(1))))
        return x if pre_logits else self.fc(x)


def v3_layout(row: BneckRow, in_chs: int) -> tuple[str, ...]:
    return mbconv_layout(row.exp != in_chs, row.se, fused=False)


class MobileNetV3(StemStagesNet):
    """h-swish 3x3/2 stem, bneck stages, 1x1 conv, then pool -> 1x1 conv (no BN) -> h-swish -> fc.

    `stages` is a tuple of stages, each a tuple of BneckRows (MOBILENET_V3_LARGE / _SMALL);
    `bn_eps` is every BatchNorm's epsilon (1e-3 as the release, 1e-5 for timm's weights);
    `padding=TF_SAME` pads the stem and the depthwise convs as TensorFlow does (timm's `tf_*`).
    """

    def __init__(
        self,
        stages: Sequence[Sequence[BneckRow]] = MOBILENET_V3_LARGE,
        stem_chs: int = 16,
        head_chs: int = 960,
        hidden: int = 1280,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.2,
        bn_eps: float = V3_BN_EPS,
        padding: str | None = None,
    ) -> None:
        super().__init__(num_classes, in_chans, 224)
        norm = partial(nn.BatchNorm2d, eps=bn_eps)
        self._start(ConvNormAct(in_chans, stem_chs, 3, 2, padding, norm=norm, act=nn.Hardswish))
        width, reduction = stem_chs, 2
        for rows in stages:
            stage = nn.Sequential()
            for row in rows:
                # SE squeezes the expanded width by 4, rounded to a multiple of 8 (the release's rule)
                se_chs = make_divisible(row.exp // 4) if row.se else 0
                stage.append(
                    InvertedResidual(
                        width, row.out, row.kernel, row.stride, row.exp, se_chs,
                        act=V3_ACTS[row.nl], norm=norm, se_act=nn.ReLU, se_gate=nn.Hardsigmoid,
                        padding=padding,
                    )
                )  # fmt: skip
                width, reduction = row.out, reduction * row.stride
            self._add_stage(stage, width, reduction)
        self.conv_head = ConvNormAct(width, head_chs, 1, norm=norm, act=nn.Hardswish)
        self.feature_info.append(dict(module="conv_head", num_chs=head_chs, reduction=reduction))
        self.num_features = hidden
        self.head = HiddenLayerHead(head_chs, hidden, num_classes, drop_rate)
        init_msra(self)


# ---- converters


def v1_layouts(rows: Sequence[SeparableRow]) -> list[tuple[str, tuple[str, ...]]]:
    return [(f"stages.{s}.{b}", ("dw", "pw")) for s, row in enumerate(rows) for b in range(row.repeats)]


def v3_layouts(config: str, width: float = 1.0) -> list[tuple[str, tuple[str, ...]]]:
    stem_chs, stages, _, _ = scale_v3_config(config, width)
    out, width = [], stem_chs
    for s, rows in enumerate(stages):
        for b, row in enumerate(rows):
            out.append((f"stages.{s}.{b}", v3_layout(row, width)))
            width = row.out
    return out


def timm_v3_converter(layouts: Sequence[tuple[str, Sequence[str]]]) -> Callable[[dict], dict]:
    """A converter from timm's MobileNetV3 layout, given (module name, layout) of our blocks as
    `v3_layouts` lists them (any rows: Large, Small, other widths; timm's tf_ variants share the keys).

    timm: conv_stem / bn1 (our stem), blocks.S.B for the bneck rows (ds and ir blocks, placed by
    `place_timm`), then one more stage blocks.{S+1}.0 holding the 1x1 conv before pooling (a
    ConvBnAct: conv, bn1; our conv_head), and after pooling `conv_head`, a 1x1 conv with bias (our
    head.hidden, an nn.Linear: loading reshapes its [out, in, 1, 1] weight), then classifier (head.fc).
    """
    block = timm_block_placer(layouts)
    last = 1 + max(int(name.split(".")[1]) for name, _ in layouts)

    def from_timm(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (r"conv_stem\.(weight)", r"stem.conv.\1"),
                (r"bn1\.(\w+)", r"stem.bn.\1"),
                (rf"blocks\.{last}\.0\.conv\.(weight)", r"conv_head.conv.\1"),
                (rf"blocks\.{last}\.0\.bn1\.(\w+)", r"conv_head.bn.\1"),
                (TIMM_BLOCK, block),
                (r"conv_head\.(weight|bias)", r"head.hidden.\1"),
                (r"classifier\.(weight|bias)", r"head.fc.\1"),
            ],
            "timm",
        )

    return from_timm


# ---- registration

# Table 6 (width multipliers at 224x224): ImageNet top-1 accuracy (%), million mult-adds, million
# parameters; Table 7 (1.0 MobileNet at lower resolutions): accuracy, million mult-adds.
_V1_TABLE6 = {1.0: (70.6, 569, 4.2), 0.75: (68.4, 325, 2.6), 0.5: (63.7, 149, 1.3), 0.25: (50.6, 41, 0.5)}
_V1_TABLE7 = {192: (69.1, 418), 160: (67.2, 290), 128: (64.4, 186)}
_V1_NOTES = (
    "Table 1 of the paper, with the last depthwise conv at stride 1 (the table's s2 contradicts its "
    "7x7 -> 7x7 sizes). Width multipliers 1.0/0.75/0.5/0.25 are registered names (MobileNetV1(alpha=...) "
    "builds others); the resolution multiplier is create_model(name, resolution=...)."
)


def _v1_card(name: str, alpha: float, params: int, notes: str, compatible: dict) -> ModelCard:
    top1, madds, paper_params = _V1_TABLE6[alpha]
    results = [
        PaperResult(
            "top-1 accuracy", top1, "ILSVRC-2012", "val",
            f"{alpha} MobileNet-224, Table 6; {madds}M mult-adds, {paper_params}M parameters",
        )
    ]  # fmt: skip
    if alpha == 1.0:
        results += [
            PaperResult(
                "top-1 accuracy",
                acc,
                "ILSVRC-2012",
                "val",
                f"1.0 MobileNet-{res}, Table 7; {madds}M mult-adds",
            )
            for res, (acc, madds) in _V1_TABLE7.items()
        ]
    return ModelCard(
        name=name,
        family="mobilenet",
        paper=PAPER_V1,
        input_size=(3, 224, 224),
        params=params,
        results=results,
        compatible=compatible,
        notes=notes,
    )


MOBILENETS_V1 = {  # name: (width multiplier alpha, parameters at 1000 classes, ReLU6 as the release)
    "mobilenet_v1": (1.0, 4_231_976, False),
    "mobilenet_v1_075": (0.75, 2_585_560, False),
    "mobilenet_v1_050": (0.5, 1_331_592, False),
    "mobilenet_v1_025": (0.25, 470_072, False),
    "mobilenet_v1_relu6": (1.0, 4_231_976, True),
}

for _name, (_alpha, _params, _relu6) in MOBILENETS_V1.items():
    _notes = _V1_NOTES + (
        " ReLU6 instead of the paper's ReLU, as the TensorFlow release and timm's mobilenetv1_100; "
        "loads (and reproduces) timm's weights."
        if _relu6
        else ""
    )
    if not _relu6:
        _notes += (
            " Loads timm's mobilenetv1_100 weights (same layers), but timm computes with ReLU6: "
            "mobilenet_v1_relu6 reproduces its outputs."
        )
    register_builder(
        _v1_card(_name, _alpha, _params, _notes, {"timm": "mobilenetv1_100"} if _relu6 else {}),
        MobileNetV1,
        {"timm": timm_converter(v1_layouts(MOBILENET_V1_ROWS))},
        doc=f"MobileNet v1 at width {_alpha}" + (" with ReLU6." if _relu6 else "."),
        rows=MOBILENET_V1_ROWS,
        alpha=_alpha,
        act=nn.ReLU6 if _relu6 else nn.ReLU,
    )


_V2_CARD = ModelCard(
    name="mobilenet_v2",
    family="mobilenet",
    paper=PAPER_V2,
    input_size=(3, 224, 224),
    params=3_504_872,
    results=(
        PaperResult("top-1 accuracy", 72.0, "ILSVRC-2012", "val", "Table 4; 3.4M parameters, 300M MAdds"),
    ),
    compatible={"torchvision": "mobilenet_v2", "timm": "mobilenetv2_100"},
    notes="Table 2 with width multiplier 1.0; dropout 0.2 before the classifier as in the release.",
)


@register_model(
    _V2_CARD, {"torchvision": torchvision_converter(block_layouts(MOBILENET_V2_ROWS), {"1": "fc"},
                                                    flat=True, split_project=True),
               "timm": timm_converter(block_layouts(MOBILENET_V2_ROWS))}
)  # fmt: skip
def mobilenet_v2_100(num_classes: int = 1000, in_chans: int = 3, **kwargs) -> MBConvNet:
    return mobilenet_v2(1.0, num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    _V2_CARD.variant(
        name="mobilenet_v2_140",
        params=6_108_776,
        compatible={"timm": "mobilenetv2_140"},
        results=(
            PaperResult("top-1 accuracy", 74.7, "ILSVRC-2012", "val", "Table 4; 6.9M parameters, 585M MAdds"),
        ),
        notes="Table 2 with width multiplier 1.4 (stem 48, last conv 1792). Table 4 prints 6.9M parameters; "
        "the width rule of the release gives 6.1M.",
    ),
    {"timm": timm_converter(block_layouts(scale_rows(MOBILENET_V2_ROWS, width=1.4)))},
)
def mobilenet_v2_140(num_classes: int = 1000, in_chans: int = 3, **kwargs) -> MBConvNet:
    return mobilenet_v2(1.4, num_classes=num_classes, in_chans=in_chans, **kwargs)


# name: (width multiplier, parameters at 1000 classes). Section 6.1 and Fig. 5 train these widths
# (0.35-1.4); the paper prints no number for them (Fig. 5 is a plot).
MOBILENETS_V2_NARROW = {
    "mobilenet_v2_035": (0.35, 1_677_128),
    "mobilenet_v2_050": (0.5, 1_968_680),
    "mobilenet_v2_075": (0.75, 2_636_424),
}

for _name, (_width, _params) in MOBILENETS_V2_NARROW.items():
    register_builder(
        _V2_CARD.variant(
            name=_name,
            params=_params,
            compatible={"timm": f"mobilenetv2_{round(_width * 100):03d}"},
            results=(),
            notes=f"Table 2 with width multiplier {_width} (every layer but the last 1x1 conv, which "
            "stays 1280); dropout 0.2 before the classifier as in the release. Fig. 5 plots this width's "
            "accuracy; the paper prints no number for it.",
        ),
        mobilenet_v2,
        {"timm": timm_converter(block_layouts(scale_rows(MOBILENET_V2_ROWS, width=_width)))},
        doc=f"MobileNet v2 at width {_width}.",
        width=_width,
    )


# name: (configuration, width multiplier, parameters at 1000 classes,
#        Table 3: top-1 accuracy, MAdds (M), parameters (M))
MOBILENETS_V3 = {
    "mobilenet_v3_large": ("large", 1.0, 5_483_032, 75.2, 219, 5.4),
    "mobilenet_v3_small": ("small", 1.0, 2_542_856, 67.4, 56, 2.5),
    "mobilenet_v3_large_075": ("large", 0.75, 3_993_528, 73.3, 155, 4.0),
    "mobilenet_v3_small_075": ("small", 0.75, 2_041_872, 65.4, 44, 2.0),
}
TORCHVISION_V3 = {"mobilenet_v3_large", "mobilenet_v3_small"}  # torchvision has the 1.0 models only
# each MOBILENETS_V3 row -> (its twin with timm's BatchNorm epsilon, the timm model that twin loads)
MOBILENETS_V3_TIMM = {
    "mobilenet_v3_large": ("mobilenet_v3_large_timm", "mobilenetv3_large_100"),
    "mobilenet_v3_small": ("mobilenet_v3_small_timm", "mobilenetv3_small_100"),
    "mobilenet_v3_large_075": ("mobilenet_v3_large_075_timm", "mobilenetv3_large_075"),
    "mobilenet_v3_small_075": ("mobilenet_v3_small_075_timm", "mobilenetv3_small_075"),
}
# each MOBILENETS_V3 row -> (its twin with TensorFlow's SAME padding, the timm model that twin loads)
MOBILENETS_V3_TF = {
    "mobilenet_v3_large": ("mobilenet_v3_large_tf", "tf_mobilenetv3_large_100"),
    "mobilenet_v3_small": ("mobilenet_v3_small_tf", "tf_mobilenetv3_small_100"),
    "mobilenet_v3_large_075": ("mobilenet_v3_large_075_tf", "tf_mobilenetv3_large_075"),
    "mobilenet_v3_small_075": ("mobilenet_v3_small_075_tf", "tf_mobilenetv3_small_075"),
}


def mobilenet_v3(config: str = "large", width: float = 1.0, **kwargs) -> MobileNetV3:
    """MobileNetV3-Large or -Small (MOBILENET_V3_CONFIGS) at width multiplier `width` (scale_v3_config)."""
    stem_chs, stages, head_chs, hidden = scale_v3_config(config, width)
    return MobileNetV3(stages, stem_chs, head_chs, hidden, **kwargs)


for _name, (_config, _width, _params, _top1, _madds, _paper_params) in MOBILENETS_V3.items():
    _title = f"{_config.title()} {_width}"  # "Large 1.0", "Small 0.75": Table 3's names
    _card = ModelCard(
        name=_name,
        family="mobilenet",
        paper=PAPER_V3,
        input_size=(3, 224, 224),
        params=_params,
        results=(
            PaperResult(
                "top-1 accuracy",
                _top1,
                "ILSVRC-2012",
                "val",
                f"Table 3, {_title}; {_madds}M MAdds, {_paper_params}M parameters",
            ),
        ),
        compatible={"torchvision": _name} if _name in TORCHVISION_V3 else {},
        notes=f"Table {1 if _config == 'large' else 2} of the paper"
        + (
            f" at width multiplier {_width:g} (every layer but the 1x1 conv after pooling; exp sizes keep "
            "their ratio to the block's input, as the release scales them)"
            if _width != 1.0
            else ""
        )
        + "; BatchNorm eps 1e-3 and dropout 0.2 as in the release."
        + (
            " Table 2 marks SE on the last 1x1 conv; the released model has none there, nor does this one."
            if _config == "small"
            else ""
        ),
    )
    _layouts = v3_layouts(_config, _width)
    _converter = torchvision_converter(_layouts, {"0": "hidden", "3": "fc"}, flat=True)
    register_builder(
        _card,
        mobilenet_v3,
        {"torchvision": _converter} if _name in TORCHVISION_V3 else {},
        doc=f"MobileNetV3-{_title}.",
        config=_config,
        width=_width,
    )
    # timm's mobilenetv3_*: the same network (same rows, SE widths, activations, residuals and
    # efficient last stage), trained in PyTorch with BatchNorm eps 1e-5, which changes every
    # BatchNorm's output; timm's tf_mobilenetv3_*: the release's own TensorFlow weights, which need
    # TensorFlow's SAME padding (eps 1e-3 is already the release's). Each needs its own model.
    _timm_twin, _timm_name = MOBILENETS_V3_TIMM[_name]
    _tf_twin, _tf_name = MOBILENETS_V3_TF[_name]
    _timm_notes = (
        f"{_name} (Table {1 if _config == 'large' else 2} of the paper) with BatchNorm eps 1e-5 "
        f"instead of the release's 1e-3: the epsilon of timm's {_timm_name}, whose weights were trained "
        f"in PyTorch with it; this variant exists to load and reproduce them. Every layer, width and "
        f"activation is {_name}'s; timm names them differently (conv_stem/bn1, blocks.S.B, the last "
        "1x1 conv as a block of its own, the 1x1 conv after pooling as conv_head), which the "
        "converter maps."
    )
    _tf_notes = (
        f"{_name} with TensorFlow's SAME padding (at stride 2 on an even side the padded pixel "
        "goes after, not one on each side: Conv2dTFSame), as the authors' TensorFlow release pads; "
        f"loads timm's {_tf_name}, which holds that release's weights. " + _card.notes
    )
    for _twin, _library_name, _notes, _doc, _kwargs in (
        (_timm_twin, _timm_name, _timm_notes, "with timm's BatchNorm epsilon (1e-5)", dict(bn_eps=1e-5)),
        (_tf_twin, _tf_name, _tf_notes, "as the TensorFlow release pads it (SAME)", dict(padding=TF_SAME)),
    ):
        register_builder(
            _card.variant(name=_twin, compatible={"timm": _library_name}, notes=_notes),
            mobilenet_v3,
            {"timm": timm_v3_converter(_layouts)},
            doc=f"MobileNetV3-{_title} {_doc}.",
            config=_config,
            width=_width,
            **_kwargs,
        )
