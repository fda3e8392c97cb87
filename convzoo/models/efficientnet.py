"""EfficientNet B0-B7 (Tan & Le 2019) and EfficientNetV2 S/M/L (Tan & Le 2021).

B0 is Table 1: MBConv blocks (MobileNet v2's inverted residual with squeeze-and-excitation and
swish), stochastic depth. B1-B7 scale B0's rows with one rule, `scale_rows(rows, width, depth)`
(channels rounded to multiples of 8, repeats rounded up), at the coefficients of the authors'
release; `efficientnet(phi=...)` builds new members from the paper's compound rule
(depth 1.2^phi, width 1.1^phi, resolution 1.15^phi, Section 3.3). EfficientNetV2 replaces the
early MBConvs by Fused-MBConvs (Table 4). The network is MobileNet v2's skeleton (`MBConvNet`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..layers import TF_SAME, make_divisible
from ..layers.mbconv import MBConvRow, block_layouts, scale_rows
from ._builder import register_builder
from ._convert import timm_converter, torchvision_converter
from .mobilenet import MBConvNet

PAPER = Paper(
    title="EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
    authors="M. Tan, Q. V. Le",
    year=2019,
    link="https://arxiv.org/abs/1905.11946",
)
PAPER_V2 = Paper(
    title="EfficientNetV2: Smaller Models and Faster Training",
    authors="M. Tan, Q. V. Le",
    year=2021,
    link="https://arxiv.org/abs/2104.00298",
)

# Table 1, EfficientNet-B0: stage 1 is a 3x3/2 conv of 32 maps, stages 2-8 these MBConv rows
# (MBConv1 / MBConv6 = expansion 1 / 6; SE ratio 0.25 as in the release), stage 9 a 1x1 conv of
# 1280 maps, pooling and fc.
EFFICIENTNET_B0_ROWS = (
    MBConvRow(expand=1, kernel=3, stride=1, channels=16, repeats=1, se=0.25),
    MBConvRow(expand=6, kernel=3, stride=2, channels=24, repeats=2, se=0.25),
    MBConvRow(expand=6, kernel=5, stride=2, channels=40, repeats=2, se=0.25),
    MBConvRow(expand=6, kernel=3, stride=2, channels=80, repeats=3, se=0.25),
    MBConvRow(expand=6, kernel=5, stride=1, channels=112, repeats=3, se=0.25),
    MBConvRow(expand=6, kernel=5, stride=2, channels=192, repeats=4, se=0.25),
    MBConvRow(expand=6, kernel=3, stride=1, channels=320, repeats=1, se=0.25),
)
STEM_CHS, HEAD_CHS = 32, 1280


@dataclass(frozen=True)
class Scaling:
    """Compound scaling coefficients of one member: width, depth, input resolution, dropout."""

    width: float
    depth: float
    resolution: int
    drop_rate: float = 0.2


# The authors' release (efficientnet_builder.py); the paper gives only the rule below.
EFFICIENTNET_SCALING = {
    "b0": Scaling(1.0, 1.0, 224, 0.2),
    "b1": Scaling(1.0, 1.1, 240, 0.2),
    "b2": Scaling(1.1, 1.2, 260, 0.3),
    "b3": Scaling(1.2, 1.4, 300, 0.3),
    "b4": Scaling(1.4, 1.8, 380, 0.4),
    "b5": Scaling(1.6, 2.2, 456, 0.4),
    "b6": Scaling(1.8, 2.6, 528, 0.5),
    "b7": Scaling(2.0, 3.1, 600, 0.5),
}

# Section 3.3, Eq. 3: depth d = alpha^phi, width w = beta^phi, resolution r = gamma^phi, found by
# grid search on B0 under alpha * beta^2 * gamma^2 ~ 2 (each phi step about doubles the FLOPs).
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15


def compound_scaling(phi: float, base_resolution: int = 224) -> Scaling:
    """The paper's rule for member phi: width beta^phi, depth alpha^phi, resolution gamma^phi x 224."""
    return Scaling(width=BETA**phi, depth=ALPHA**phi, resolution=round(base_resolution * GAMMA**phi))


def efficientnet(
    phi: float | None = None,
    *,
    scaling: Scaling = EFFICIENTNET_SCALING["b0"],
    num_classes: int = 1000,
    in_chans: int = 3,
    drop_rate: float | None = None,
    drop_path_rate: float = 0.2,
    bn_eps: float = 1e-5,
    padding: str | None = None,
) -> MBConvNet:
    """An EfficientNet: B0's rows scaled by `scaling`, or by the compound rule when `phi` is given.

    Stem and last conv widths scale with the rows (32 x w and 1280 x w, rounded the same way).
    Stochastic depth rises linearly to `drop_path_rate` (0.2 in the release) over the blocks.
    `bn_eps` is BatchNorm's epsilon (the TensorFlow release's is 1e-3); `padding=TF_SAME` pads as
    TensorFlow does (the release's, for its weights).
    """
    if phi is not None:
        scaling = compound_scaling(phi)
    rows = scale_rows(EFFICIENTNET_B0_ROWS, scaling.width, scaling.depth)
    return MBConvNet(
        rows,
        make_divisible(STEM_CHS * scaling.width),
        make_divisible(HEAD_CHS * scaling.width),
        act=nn.SiLU,
        norm=partial(nn.BatchNorm2d, eps=bn_eps),
        resolution=scaling.resolution,
        num_classes=num_classes,
        in_chans=in_chans,
        drop_rate=scaling.drop_rate if drop_rate is None else drop_rate,
        drop_path_rate=drop_path_rate,
        padding=padding,
    )


# EfficientNetV2: stem width, then the rows. S is Table 4 of the paper; M and L come from the
# authors' release (the paper describes them only as scaled-up S).
F = partial(MBConvRow, fused=True)
EFFICIENTNET_V2_CONFIGS = {
    "s": (24, (
        F(expand=1, kernel=3, stride=1, channels=24, repeats=2),
        F(expand=4, kernel=3, stride=2, channels=48, repeats=4),
        F(expand=4, kernel=3, stride=2, channels=64, repeats=4),
        MBConvRow(expand=4, kernel=3, stride=2, channels=128, repeats=6, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=1, channels=160, repeats=9, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=2, channels=256, repeats=15, se=0.25),
    )),
    "m": (24, (
        F(expand=1, kernel=3, stride=1, channels=24, repeats=3),
        F(expand=4, kernel=3, stride=2, channels=48, repeats=5),
        F(expand=4, kernel=3, stride=2, channels=80, repeats=5),
        MBConvRow(expand=4, kernel=3, stride=2, channels=160, repeats=7, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=1, channels=176, repeats=14, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=2, channels=304, repeats=18, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=1, channels=512, repeats=5, se=0.25),
    )),
    "l": (32, (
        F(expand=1, kernel=3, stride=1, channels=32, repeats=4),
        F(expand=4, kernel=3, stride=2, channels=64, repeats=7),
        F(expand=4, kernel=3, stride=2, channels=96, repeats=7),
        MBConvRow(expand=4, kernel=3, stride=2, channels=192, repeats=10, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=1, channels=224, repeats=19, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=2, channels=384, repeats=25, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=1, channels=640, repeats=7, se=0.25),
    )),
    "xl": (32, (
        F(expand=1, kernel=3, stride=1, channels=32, repeats=4),
        F(expand=4, kernel=3, stride=2, channels=64, repeats=8),
        F(expand=4, kernel=3, stride=2, channels=96, repeats=8),
        MBConvRow(expand=4, kernel=3, stride=2, channels=192, repeats=16, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=1, channels=256, repeats=24, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=2, channels=512, repeats=32, se=0.25),
        MBConvRow(expand=6, kernel=3, stride=1, channels=640, repeats=8, se=0.25),
    )),
}  # fmt: skip
# evaluation resolution and dropout of the release
EFFICIENTNET_V2_SETTINGS = {"s": (384, 0.2), "m": (480, 0.3), "l": (480, 0.4), "xl": (512, 0.4)}


def efficientnet_v2(size: str = "s", bn_eps: float = 1e-3, **kwargs) -> MBConvNet:
    """EfficientNetV2-S/M/L/XL: BatchNorm eps 1e-3 as in the release, stochastic depth 0.2; other
    keywords (`padding=TF_SAME` for the release's TensorFlow padding) go to MBConvNet."""
    stem_chs, rows = EFFICIENTNET_V2_CONFIGS[size]
    resolution, drop_rate = EFFICIENTNET_V2_SETTINGS[size]
    kwargs.setdefault("drop_rate", drop_rate)
    kwargs.setdefault("drop_path_rate", 0.2)
    norm = partial(nn.BatchNorm2d, eps=bn_eps)
    return MBConvNet(rows, stem_chs, HEAD_CHS, act=nn.SiLU, norm=norm, resolution=resolution, **kwargs)


# ---- registration

# name: (member, Table 2's top-1 / top-5 accuracy (%), parameters (M) and FLOPs (B); exact parameters)
EFFICIENTNETS = {
    "efficientnet_b0": ("b0", 77.1, 93.3, 5.3, 0.39, 5_288_548),
    "efficientnet_b1": ("b1", 79.1, 94.4, 7.8, 0.70, 7_794_184),
    "efficientnet_b2": ("b2", 80.1, 94.9, 9.2, 1.0, 9_109_994),
    "efficientnet_b3": ("b3", 81.6, 95.7, 12, 1.8, 12_233_232),
    "efficientnet_b4": ("b4", 82.9, 96.4, 19, 4.2, 19_341_616),
    "efficientnet_b5": ("b5", 83.6, 96.7, 30, 9.9, 30_389_784),
    "efficientnet_b6": ("b6", 84.0, 96.8, 43, 19, 43_040_704),
    "efficientnet_b7": ("b7", 84.3, 97.0, 66, 37, 66_347_960),
}

# torchvision builds B5-B7 with BatchNorm eps 1e-3 (the TensorFlow release's), B0-B4 with 1e-5
TORCHVISION_EPS_1E3 = {"efficientnet_b5_tv": "b5", "efficientnet_b6_tv": "b6", "efficientnet_b7_tv": "b7"}


def efficientnet_card(
    name: str, member: str, top1: float, top5: float, params_m, flops, params: int
) -> ModelCard:
    """The card of B0-B7: each loads timm's member; B0-B4 torchvision's too (its B5-B7 are `_tv`)."""
    s = EFFICIENTNET_SCALING[member]
    notes = (
        f"B0 (Table 1) scaled by width {s.width}, depth {s.depth} at {s.resolution}x{s.resolution}: the "
        "release's coefficients. BatchNorm eps 1e-5 as timm and torchvision's B0-B4 (the TensorFlow "
        f"release uses 1e-3); dropout {s.drop_rate} and stochastic depth 0.2 as in the release."
    )
    if member == "b2":
        notes += f" Table 2 prints 9.2M parameters; the released B2 has {params:,}."
    torchvision = member not in TORCHVISION_EPS_1E3.values()
    return ModelCard(
        name=name,
        family="efficientnet",
        paper=PAPER,
        input_size=(3, s.resolution, s.resolution),
        params=params,
        results=(
            PaperResult(
                "top-1 accuracy", top1, "ILSVRC-2012", "val", f"Table 2; {params_m}M params, {flops}B FLOPs"
            ),
            PaperResult("top-5 accuracy", top5, "ILSVRC-2012", "val", "Table 2"),
        ),
        compatible={"torchvision": name, "timm": name} if torchvision else {"timm": name},
        notes=notes,
    )


def member_converters(member: str) -> dict:
    """The torchvision and timm converters of B0-B7 member `member` (its blocks' layouts)."""
    scaling = EFFICIENTNET_SCALING[member]
    layouts = block_layouts(scale_rows(EFFICIENTNET_B0_ROWS, scaling.width, scaling.depth))
    return {
        "torchvision": torchvision_converter(layouts, {"1": "fc"}, flat=False),
        "timm": timm_converter(layouts),
    }


for _name, _row in EFFICIENTNETS.items():
    register_builder(
        efficientnet_card(_name, *_row),
        efficientnet,
        member_converters(_row[0]),
        doc=f"EfficientNet-{_row[0].upper()}.",
        scaling=EFFICIENTNET_SCALING[_row[0]],
    )


def register_member_twin(
    name: str, base: str, library: str, other: str, notes: str, doc: str, **kwargs
) -> None:
    """Register `name`: B0-B7 model `base` built with `kwargs`, claiming `library`'s `other`. Its
    notes are `notes`, then base's scaling sentence (base's BatchNorm sentence does not hold)."""
    row = EFFICIENTNETS[base]
    card = efficientnet_card(base, *row)
    register_builder(
        card.variant(
            name=name, compatible={library: other}, notes=notes + card.notes.split(". BatchNorm")[0] + "."
        ),
        efficientnet,
        {library: member_converters(row[0])[library]},
        doc=f"EfficientNet-{row[0].upper()} {doc}.",
        scaling=EFFICIENTNET_SCALING[row[0]],
        **kwargs,
    )


for _name, _member in TORCHVISION_EPS_1E3.items():
    _base = f"efficientnet_{_member}"
    _notes = (
        f"{_base} with BatchNorm eps 1e-3, as torchvision builds B5-B7 (and the TensorFlow "
        f"release every member); loads torchvision's {_base}. "
    )
    register_member_twin(
        _name, _base, "torchvision", _base, _notes, "with BatchNorm eps 1e-3 (torchvision's)", bn_eps=1e-3
    )


# name: (size, Table 7's ImageNet top-1 accuracy (%), parameters (M), FLOPs (B); exact parameters).
# XL is trained on ImageNet-21k first (Table 7 has no ImageNet-1k-only XL).
EFFICIENTNETS_V2 = {
    "efficientnet_v2_s": ("s", 83.9, 22, 8.8, 21_458_488),
    "efficientnet_v2_m": ("m", 85.1, 54, 24, 54_139_356),
    "efficientnet_v2_l": ("l", 85.7, 120, 53, 118_515_272),
    "efficientnet_v2_xl": ("xl", 87.3, 208, 94, 208_119_808),
}
TORCHVISION_V2 = {"efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"}  # torchvision has no XL


def efficientnet_v2_card(name: str, size: str, top1: float, params_m, flops, params: int) -> ModelCard:
    """The card of V2-S/M/L/XL (only V2-S's rows are in the paper); S/M/L claim torchvision's."""
    resolution, drop_rate = EFFICIENTNET_V2_SETTINGS[size]
    notes = (
        "Table 4 of the paper."
        if size == "s"
        else "Rows of the authors' release (the paper gives only V2-S's table)."
    )
    notes += (
        f" BatchNorm eps 1e-3, dropout {drop_rate}, stochastic depth 0.2, evaluated at "
        f"{resolution}x{resolution} as in the release."
    )
    return ModelCard(
        name=name,
        family="efficientnet",
        paper=PAPER_V2,
        input_size=(3, resolution, resolution),
        params=params,
        results=(
            PaperResult(
                "top-1 accuracy",
                top1,
                "ILSVRC-2012",
                "val",
                f"Table 7; {params_m}M params, {flops}B FLOPs"
                + ("" if name in TORCHVISION_V2 else "; pre-trained on ImageNet-21k"),
            ),
        ),
        compatible={"torchvision": name} if name in TORCHVISION_V2 else {},
        notes=notes,
    )


for _name, _row in EFFICIENTNETS_V2.items():
    _layouts = block_layouts(EFFICIENTNET_V2_CONFIGS[_row[0]][1])
    register_builder(
        efficientnet_v2_card(_name, *_row),
        efficientnet_v2,
        {"torchvision": torchvision_converter(_layouts, {"1": "fc"}, flat=False)}
        if _name in TORCHVISION_V2
        else {},
        doc=f"EfficientNetV2-{_row[0].upper()}.",
        size=_row[0],
    )


# timm's tf_* models hold the TensorFlow release's own weights. The release pads as TensorFlow's
# "SAME" does: at stride 2 on an even side the one padded pixel goes after, where PyTorch's
# symmetric padding puts one on each side and shifts every sampling point. Reproducing those
# weights takes that padding and the release's BatchNorm eps 1e-3; each row here is the release's
# network exactly, named after the member it pads differently. Names are spelled out for grep.
TF_PADDING_NOTE = (
    "TensorFlow's SAME padding (at stride 2 on an even side the padded pixel goes after, not one "
    "on each side: Conv2dTFSame) and BatchNorm eps 1e-3, as the authors' TensorFlow release "
    "builds it; loads timm's {timm}, which holds that release's weights. Otherwise {base}: "
)
EFFICIENTNETS_TF = {
    "efficientnet_b0_tf": ("efficientnet_b0", "tf_efficientnet_b0"),
    "efficientnet_b1_tf": ("efficientnet_b1", "tf_efficientnet_b1"),
    "efficientnet_b2_tf": ("efficientnet_b2", "tf_efficientnet_b2"),
    "efficientnet_b3_tf": ("efficientnet_b3", "tf_efficientnet_b3"),
    "efficientnet_b4_tf": ("efficientnet_b4", "tf_efficientnet_b4"),
    "efficientnet_b5_tf": ("efficientnet_b5", "tf_efficientnet_b5"),
    "efficientnet_b6_tf": ("efficientnet_b6", "tf_efficientnet_b6"),
    "efficientnet_b7_tf": ("efficientnet_b7", "tf_efficientnet_b7"),
}
EFFICIENTNETS_V2_TF = {
    "efficientnet_v2_s_tf": ("efficientnet_v2_s", "tf_efficientnetv2_s"),
    "efficientnet_v2_m_tf": ("efficientnet_v2_m", "tf_efficientnetv2_m"),
    "efficientnet_v2_l_tf": ("efficientnet_v2_l", "tf_efficientnetv2_l"),
    "efficientnet_v2_xl_tf": ("efficientnet_v2_xl", "tf_efficientnetv2_xl"),
}
# timm's own efficientnetv2_s/m/l/xl: efficientnet_v2_*'s rows and (symmetric) padding, BatchNorm eps 1e-5
EFFICIENTNETS_V2_TIMM = {
    "efficientnet_v2_s_timm": ("efficientnet_v2_s", "efficientnetv2_s"),
    "efficientnet_v2_m_timm": ("efficientnet_v2_m", "efficientnetv2_m"),
    "efficientnet_v2_l_timm": ("efficientnet_v2_l", "efficientnetv2_l"),
    "efficientnet_v2_xl_timm": ("efficientnet_v2_xl", "efficientnetv2_xl"),
}

for _name, (_base, _timm) in EFFICIENTNETS_TF.items():
    _notes = TF_PADDING_NOTE.format(timm=_timm, base=_base)
    _doc = "as the TensorFlow release pads it (SAME, eps 1e-3)"
    register_member_twin(_name, _base, "timm", _timm, _notes, _doc, bn_eps=1e-3, padding=TF_SAME)


def register_v2_twin(name: str, base: str, timm: str, notes: str, doc: str, **kwargs) -> None:
    """Register `name`: EfficientNetV2 `base` built with `kwargs`, claiming timm's `timm`."""
    row = EFFICIENTNETS_V2[base]
    card = efficientnet_v2_card(base, *row)
    register_builder(
        card.variant(name=name, compatible={"timm": timm}, notes=notes + card.notes),
        efficientnet_v2,
        {"timm": timm_converter(block_layouts(EFFICIENTNET_V2_CONFIGS[row[0]][1]))},
        doc=f"EfficientNetV2-{row[0].upper()} {doc}.",
        size=row[0],
        **kwargs,
    )


for _name, (_base, _timm) in EFFICIENTNETS_V2_TF.items():
    _notes = TF_PADDING_NOTE.format(timm=_timm, base=_base)
    register_v2_twin(_name, _base, _timm, _notes, "as the TensorFlow release pads it (SAME)", padding=TF_SAME)

for _name, (_base, _timm) in EFFICIENTNETS_V2_TIMM.items():
    _notes = (
        f"{_base} with BatchNorm eps 1e-5 instead of the release's 1e-3: timm's {_timm}, its "
        "PyTorch definition of the same rows (weights trained with it need the epsilon). "
    )
    register_v2_twin(_name, _base, _timm, _notes, "with timm's BatchNorm epsilon (1e-5)", bn_eps=1e-5)
