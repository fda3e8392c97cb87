"""Inception v2/v3 (Szegedy et al. 2016) and Inception-v4 / Inception-ResNet v1, v2 (Szegedy et al. 2017).

Every network is a config: a list of (name, layer) rows in forward order, where a layer is a branch
spec ("3x3/2V-32", see convzoo.layers.inception), an Inception module ({branch: spec}) or a
Residual Inception-ResNet block. Names follow Google's TF-slim releases (conv1a, mixed5b, block35_1).

- inception_v3: the released network of "Rethinking the Inception Architecture" (loads torchvision
  `inception_v3`, aux head included; its variant without the aux head loads timm's `inception_v3`);
  inception_v2: Table 3's "Inception-v2" row, the same network before "factorized 7x7" and "BN-auxiliary".
- inception_v4: Figure 9 (loads timm `inception_v4`); inception_resnet_v1: Figure 15 with the
  v1 modules; inception_resnet_v2: Figure 15 with the v2 modules as printed; inception_resnet_v2_tf:
  the released Inception-ResNet-v2, which differs from the paper (loads timm `inception_resnet_v2`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from torch import nn

from ..cards import ModelCard, Paper, top_errors
from ..layers.drop import drop_path_rates
from ..layers.heads import ClassifierHead
from ..layers.inception import (
    AuxClassifier,
    AuxPool,
    ResidualInception,
    conv_bn,
    conv_relu,
    inception_block,
    parse_branch,
    stage_feature_info,
)
from ..weights import rename_keys
from ._builder import register_builder
from ._tapped import TappedClassifier

RETHINKING = Paper(
    title="Rethinking the Inception Architecture for Computer Vision",
    authors="C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna",
    year=2016,
    link="https://arxiv.org/abs/1512.00567",
)
INCEPTION_V4 = Paper(
    title="Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning",
    authors="C. Szegedy, S. Ioffe, V. Vanhoucke, A. Alemi",
    year=2017,
    link="https://arxiv.org/abs/1602.07261",
)


@dataclass(frozen=True)
class Residual:
    """An Inception-ResNet block: its branches, the residual scale, and whether a ReLU follows the sum."""

    branches: Mapping[str, str]
    scale: float
    relu: bool = True


Layer = tuple[str, "str | Mapping[str, str] | Residual"]


@dataclass(frozen=True)
class InceptionConfig:
    """A whole network: its layers, head and (optional) auxiliary classifier."""

    layers: tuple[Layer, ...]
    min_input_size: int
    drop_rate: float = 0.2  # Szegedy et al. 2017, Figure 9 and 15: dropout, keep 0.8
    count_include_pad: bool = False  # TensorFlow's "same" average pooling ignores the padding
    aux_tap: str | None = None  # the layer whose output feeds the auxiliary classifier
    aux_bn: bool = True  # "BN-auxiliary": the aux head's fully connected (5x5) layer has BatchNorm
    aux_weight: float = 0.4


def named(prefix: str, suffixes, layer) -> tuple[Layer, ...]:
    """Repeated rows: named("mixed5", "bcd", A) -> (("mixed5b", A), ("mixed5c", A), ("mixed5d", A))."""
    return tuple((f"{prefix}{s}", layer) for s in suffixes)


def counted(prefix: str, n: int, layer) -> tuple[Layer, ...]:
    """Repeated rows numbered from 1: counted("block35_", 2, A) -> block35_1, block35_2."""
    return named(prefix, range(1, n + 1), layer)


# --- Inception v2/v3: Rethinking the Inception Architecture, Figures 5, 6, 7 and 10 -------------
STEM_V3: tuple[Layer, ...] = (  # the 7x7 convolution factorised into three 3x3 (Section 6)
    ("conv1a", "3x3/2V-32"),
    ("conv2a", "3x3V-32"),
    ("conv2b", "3x3-64"),
    ("pool3a", "max3x3/2V"),
    ("conv3b", "1x1-80"),
    ("conv4a", "3x3V-192"),
    ("pool5a", "max3x3/2V"),
)


def fig5(pool_proj: int) -> dict[str, str]:  # 35x35
    return {
        "branch1x1": "1x1-64",
        "branch5x5": "1x1-48 5x5-64",
        "branch3x3dbl": "1x1-64 3x3-96 3x3-96",
        "branch_pool": f"avg3x3 1x1-{pool_proj}",
    }


def fig6(c7: int) -> dict[str, str]:  # 17x17, n = 7: 7x7 factorised into 1x7 and 7x1
    return {
        "branch1x1": "1x1-192",
        "branch7x7": f"1x1-{c7} 1x7-{c7} 7x1-192",
        "branch7x7dbl": f"1x1-{c7} 7x1-{c7} 1x7-{c7} 7x1-{c7} 1x7-192",
        "branch_pool": "avg3x3 1x1-192",
    }


FIG7 = {  # 8x8, expanded filter bank outputs
    "branch1x1": "1x1-320",
    "branch3x3": "1x1-384 1x3-384|3x1-384",
    "branch3x3dbl": "1x1-448 3x3-384 1x3-384|3x1-384",
    "branch_pool": "avg3x3 1x1-192",
}
REDUCE_35 = {"branch3x3": "3x3/2V-384", "branch3x3dbl": "1x1-64 3x3-96 3x3/2V-96", "branch_pool": "max3x3/2V"}
REDUCE_17 = {  # Figure 10: grid reduction by parallel stride-2 convolution and pooling
    "branch3x3": "1x1-192 3x3/2V-320",
    "branch7x7x3": "1x1-192 1x7-192 7x1-192 3x3/2V-192",
    "branch_pool": "max3x3/2V",
}
BODY_V3: tuple[Layer, ...] = (
    ("mixed5b", fig5(32)),
    *named("mixed5", "cd", fig5(64)),
    ("mixed6a", REDUCE_35),
    ("mixed6b", fig6(128)),
    *named("mixed6", "cd", fig6(160)),
    ("mixed6e", fig6(192)),
    ("mixed7a", REDUCE_17),
    *named("mixed7", "bc", FIG7),
)
V3 = InceptionConfig(
    STEM_V3 + BODY_V3, min_input_size=75, drop_rate=0.5, count_include_pad=True, aux_tap="mixed6e"
)
V2 = InceptionConfig(  # before "factorized 7x7": one 7x7/2 convolution onto the same 147x147x64 grid
    (("conv1a", "7x7/2V-64"), *STEM_V3[3:], *BODY_V3),
    min_input_size=75,
    drop_rate=0.5,
    count_include_pad=True,
    aux_tap="mixed6e",
    aux_bn=False,
)


# --- Inception-v4 and Inception-ResNet: Szegedy et al. 2017 --------------------------------------
def reduction_a(k: int, l: int, m: int, n: int) -> dict[str, str]:  # noqa: E741 - the paper's names
    """Figure 7, shared by all three networks with Table 1's k, l, m, n."""
    return {"branch0": f"3x3/2V-{n}", "branch1": f"1x1-{k} 3x3-{l} 3x3/2V-{m}", "branch2": "max3x3/2V"}


def ir_reduction_b(a: int, b: int, c: int, d: int) -> dict[str, str]:
    """Figures 12 (v1) and 18 (v2): three stride-2 convolution branches and max-pooling."""
    return {
        "branch0": f"1x1-256 3x3/2V-{a}",
        "branch1": f"1x1-256 3x3/2V-{b}",
        "branch2": f"1x1-256 3x3-{c} 3x3/2V-{d}",
        "branch3": "max3x3/2V",
    }


STEM_V4: tuple[Layer, ...] = (  # Figure 3, the stem of Inception-v4 and Inception-ResNet-v2
    ("conv1a", "3x3/2V-32"),
    ("conv2a", "3x3V-32"),
    ("conv2b", "3x3-64"),
    ("mixed3a", {"pool": "max3x3/2V", "conv": "3x3/2V-96"}),
    ("mixed4a", {"branch0": "1x1-64 3x3V-96", "branch1": "1x1-64 1x7-64 7x1-64 3x3V-96"}),
    ("mixed5a", {"conv": "3x3/2V-192", "pool": "max3x3/2V"}),
)
INCEPTION_A = {  # Figure 4
    "branch0": "1x1-96",
    "branch1": "1x1-64 3x3-96",
    "branch2": "1x1-64 3x3-96 3x3-96",
    "branch3": "avg3x3 1x1-96",
}
INCEPTION_B = {  # Figure 5
    "branch0": "1x1-384",
    "branch1": "1x1-192 1x7-224 7x1-256",
    "branch2": "1x1-192 7x1-192 1x7-224 7x1-224 1x7-256",
    "branch3": "avg3x3 1x1-128",
}
REDUCTION_B = {  # Figure 8
    "branch0": "1x1-192 3x3/2V-192",
    "branch1": "1x1-256 1x7-256 7x1-320 3x3/2V-320",
    "branch2": "max3x3/2V",
}
INCEPTION_C = {  # Figure 6
    "branch0": "1x1-256",
    "branch1": "1x1-384 1x3-256|3x1-256",
    "branch2": "1x1-384 3x1-448 1x3-512 1x3-256|3x1-256",
    "branch3": "avg3x3 1x1-256",
}
V4 = InceptionConfig(
    (
        *STEM_V4,
        *named("mixed5", "bcde", INCEPTION_A),
        ("mixed6a", reduction_a(192, 224, 256, 384)),
        *named("mixed6", "bcdefgh", INCEPTION_B),
        ("mixed7a", REDUCTION_B),
        *named("mixed7", "bcd", INCEPTION_C),
    ),
    min_input_size=75,
)

# Residual scales: Section 3.3 scales residuals by 0.1-0.3; these are the released model's.
SCALE_A, SCALE_B, SCALE_C = 0.17, 0.10, 0.20

IR_V1_A = Residual(  # Figures 10, 11, 13
    {"branch0": "1x1-32", "branch1": "1x1-32 3x3-32", "branch2": "1x1-32 3x3-32 3x3-32"}, SCALE_A
)
IR_V1_B = Residual({"branch0": "1x1-128", "branch1": "1x1-128 1x7-128 7x1-128"}, SCALE_B)
IR_V1_C = Residual({"branch0": "1x1-192", "branch1": "1x1-192 1x3-192 3x1-192"}, SCALE_C)
IR_V1 = InceptionConfig(
    (
        ("conv1a", "3x3/2V-32"),  # Figure 14
        ("conv2a", "3x3V-32"),
        ("conv2b", "3x3-64"),
        ("pool3a", "max3x3/2V"),
        ("conv3b", "1x1-80"),
        ("conv4a", "3x3V-192"),
        ("conv4b", "3x3/2V-256"),
        *counted("block35_", 5, IR_V1_A),
        ("mixed6a", reduction_a(192, 192, 256, 384)),
        *counted("block17_", 10, IR_V1_B),
        ("mixed7a", ir_reduction_b(384, 256, 256, 256)),
        *counted("block8_", 5, IR_V1_C),
    ),
    min_input_size=75,
)

IR_V2_A = Residual(
    {"branch0": "1x1-32", "branch1": "1x1-32 3x3-32", "branch2": "1x1-32 3x3-48 3x3-64"}, SCALE_A
)
IR_V2_B = Residual({"branch0": "1x1-192", "branch1": "1x1-128 1x7-160 7x1-192"}, SCALE_B)
IR_V2_C = Residual({"branch0": "1x1-192", "branch1": "1x1-192 1x3-224 3x1-256"}, SCALE_C)
IR_V2 = InceptionConfig(  # Figure 15 with Figures 3, 16, 7, 17, 18, 19
    (
        *STEM_V4,
        *counted("block35_", 5, IR_V2_A),
        ("mixed6a", reduction_a(256, 256, 384, 384)),
        *counted("block17_", 10, IR_V2_B),
        ("mixed7a", ir_reduction_b(384, 288, 288, 320)),
        *counted("block8_", 5, IR_V2_C),
    ),
    min_input_size=75,
)
IR_V2_TF = InceptionConfig(  # the TF-slim release
    (
        *STEM_V3,
        ("mixed5b", {
            "branch0": "1x1-96",
            "branch1": "1x1-48 5x5-64",
            "branch2": "1x1-64 3x3-96 3x3-96",
            "branch3": "avg3x3 1x1-64",
        }),
        *counted("block35_", 10, IR_V2_A),
        ("mixed6a", reduction_a(256, 256, 384, 384)),
        *counted("block17_", 20, IR_V2_B),
        ("mixed7a", ir_reduction_b(384, 288, 288, 320)),
        *counted("block8_", 9, IR_V2_C),
        ("block8_10", Residual(IR_V2_C.branches, 1.0, relu=False)),
        ("conv7b", "1x1-1536"),
    ),
    min_input_size=75,
)  # fmt: skip


class Inception(TappedClassifier):
    """An Inception network from its config: `features` (the rows), optional aux head, `head`."""

    def __init__(
        self,
        config: InceptionConfig,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float | None = None,
        aux_logits: bool = True,
        drop_path_rate: float = 0.0,
    ) -> None:
        super().__init__(num_classes, in_chans, (299, 299), config.min_input_size)
        residuals = sum(isinstance(spec, Residual) for _, spec in config.layers)
        if drop_path_rate and not residuals:
            raise ValueError(
                "drop_path_rate applies to Inception-ResNet's residual blocks; this net has none"
            )
        # Stochastic depth (Huang et al. 2016), rising linearly over the residual blocks; the paper has none.
        rates = iter(drop_path_rates(drop_path_rate, residuals))
        self.features = nn.Sequential()
        rows, width = [], in_chans
        for name, spec in config.layers:
            if isinstance(spec, str):
                module, out, stride = parse_branch(spec, width, conv_bn, config.count_include_pad)
            elif isinstance(spec, Residual):
                module = ResidualInception(
                    spec.branches, width, spec.scale, spec.relu, config.count_include_pad, next(rates)
                )
                out, stride = width, 1
            else:
                module, out, stride = inception_block(spec, width, conv_bn, config.count_include_pad)
            self.features.add_module(name, module)
            rows.append((name, out, stride))
            width = out
        self.num_features = width
        self.feature_info = stage_feature_info(rows)

        heads = {}
        if config.aux_tap and aux_logits and num_classes:
            tap_chs = dict((n, c) for n, c, _ in rows)[config.aux_tap]
            fc_conv = conv_bn if config.aux_bn else conv_relu
            # "auxiliary classifier on top of the last 17x17 layer": 5x5/3 average pooling to 5x5,
            # 1x1 conv 128, a 5x5 conv of 768 (the fully connected layer), linear classifier.
            conv = nn.Sequential(conv_bn(tap_chs, 128, 1), fc_conv(128, 768, 5, padding=0))
            heads[config.aux_tap] = AuxClassifier(AuxPool(5, 3, 5), conv, nn.Sequential(), 768, num_classes)
        self.aux_heads = nn.ModuleDict(heads)
        self.aux_loss_weights = (config.aux_weight,) * len(heads)
        rate = config.drop_rate if drop_rate is None else drop_rate
        self.head = ClassifierHead(width, num_classes, drop_rate=rate)


# --- converters ----------------------------------------------------------------------------------
def _split_suffix(m: re.Match, offset: int) -> str:
    """torchvision's branch3x3dbl_3a / timm's branch2_3a -> our branch3x3dbl.2.a / branch2.3.a."""
    return f"{m['branch']}.{int(m['index']) - offset}" + (f".{m['half']}" if m["half"] else "")


def v3_from_torchvision(state_dict: dict) -> dict:
    """torchvision inception_v3 -> inception_v3: numbered branch layers become nested indices."""
    mixed = r"Mixed_(?P<block>\d[a-e])\."
    return rename_keys(
        state_dict,
        [
            (r"Conv2d_(\d[ab])_\d+x\d+\.(.+)", r"features.conv\1.\2"),
            (mixed + r"branch_pool\.(?P<rest>.+)", r"features.mixed\g<block>.branch_pool.1.\g<rest>"),
            (
                mixed + r"(?P<branch>branch\w+?)_(?P<index>\d)(?P<half>[ab]?)\.(?P<rest>.+)",
                lambda m: f"features.mixed{m['block']}.{_split_suffix(m, 1)}.{m['rest']}",
            ),
            (mixed + r"(?P<rest>branch\w+\..+)", r"features.mixed\g<block>.\g<rest>"),
            (r"AuxLogits\.conv([01])\.(.+)", r"aux_heads.mixed6e.conv.\1.\2"),
            (r"AuxLogits\.fc\.(.+)", r"aux_heads.mixed6e.fc.\1"),
            (r"fc\.(weight|bias)", r"head.fc.\1"),
        ],
        "torchvision",
    )


def v4_from_timm(state_dict: dict) -> dict:
    """timm inception_v4 -> inception_v4: `features.N` is the N-th row of V4."""
    names = [name for name, _ in V4.layers]
    features = r"features\.(?P<n>\d+)\."
    return rename_keys(
        state_dict,
        [
            (
                features + r"(?P<branch>branch\d)_(?P<index>\d)(?P<half>[ab]?)\.(?P<rest>.+)",
                lambda m: f"features.{names[int(m['n'])]}.{_split_suffix(m, 0)}.{m['rest']}",
            ),
            (features + r"(?P<rest>.+)", lambda m: f"features.{names[int(m['n'])]}.{m['rest']}"),
            (r"last_linear\.(weight|bias)", r"head.fc.\1"),
        ],
        "timm",
    )


_IR_REPEATS = {"repeat": "block35_", "repeat_1": "block17_", "repeat_2": "block8_"}


def _ir_block(name: str, rest: str) -> str:
    rest = re.sub(r"^conv2d\.", "up.", rest)
    return f"features.{name}.{rest if rest.startswith('up.') else 'branches.' + rest}"


def ir_v2_from_timm(state_dict: dict) -> dict:
    """timm inception_resnet_v2 -> inception_resnet_v2_tf: repeat_k.N -> blockXX_{N+1}, conv2d -> up."""
    return rename_keys(
        state_dict,
        [
            (r"conv2d_(\d[ab])\.(.+)", r"features.conv\1.\2"),
            (r"mixed_(\d[ab])\.(.+)", r"features.mixed\1.\2"),
            (
                r"(repeat(?:_[12])?)\.(\d+)\.(.+)",
                lambda m: _ir_block(f"{_IR_REPEATS[m[1]]}{int(m[2]) + 1}", m[3]),
            ),
            (r"block8\.(.+)", lambda m: _ir_block("block8_10", m[1])),
            (r"classif\.(weight|bias)", r"head.fc.\1"),
        ],
        "timm",
    )


# --- cards ---------------------------------------------------------------------------------------
_TV_INPUT = (
    " torchvision's pretrained weights run with transform_input=True, which turns ImageNet-normalised "
    "input into (x - 0.5) / 0.5; convzoo does not transform its input, so feed those weights images "
    "scaled to [-1, 1]."
)
V3_CARD = ModelCard(
    name="inception_v3",
    family="inception",
    paper=RETHINKING,
    input_size=(3, 299, 299),
    params=27_161_264,
    results=(
        *top_errors(21.2, 5.6, "Inception-v2 BN-auxiliary (= v3), single crop, Table 3"),
        *top_errors(18.77, 4.2, "single model, 144 crops, Table 4"),
    ),
    compatible={"torchvision": "inception_v3"},
    notes=(
        "The paper prints no widths for its Inception modules, so this is the released network (the "
        "TF-slim checkpoint, torchvision's layout), the only Inception-v3 with published widths. It "
        "differs from the paper's Table 1 in the stem (1x1-80, 3x3-192 and a max-pool where Table 1 lists "
        "3x3 convolutions of 80, 192 and 288), keeps a 1x1 -> 5x5 branch in the 35x35 modules where Figure "
        "5 replaces every 5x5 by two 3x3, and follows its 17x17 grid reduction with four Figure 6 modules "
        "where Table 1 lists five. Aux head "
        "(Section 4, 'BN-auxiliary') on mixed6e with BatchNorm also on its 5x5 'fully connected' layer; "
        "train mode returns ClassifierOutput(logits, (aux,)) with aux_loss_weights (0.4,), the TF-slim "
        "training weight (the paper gives none); reset_classifier(n) resets the aux head to n classes, "
        "reset_classifier(0) removes it. Average pooling counts the padding, as torchvision does. "
        "The parameter count includes the aux head (23,834,568 without it)." + _TV_INPUT
    ),
)
V3_TIMM_CARD = V3_CARD.variant(
    name="inception_v3_timm",
    params=23_834_568,
    compatible={"timm": "inception_v3"},
    notes=(
        "inception_v3 without its aux head, as timm builds it (aux_logits=False): the same layers and "
        "torchvision's key names otherwise, so one converter reads both. Everything else as inception_v3."
    ),
)
V2_CARD = V3_CARD.variant(
    name="inception_v2",
    params=27_141_264,
    results=top_errors(23.4, None, "Inception-v2, single crop, Table 3"),
    compatible={},
    notes=(
        "Table 3's 'Inception-v2' row: the network that the later rows turn into Inception-v3 by "
        "'Factorized 7x7' (the first 7x7 convolution becomes three 3x3) and 'BN-auxiliary' (BatchNorm in "
        "the aux head's fully connected layer); the rows in between change training only (RMSProp, label "
        "smoothing). The paper does not print this network's widths; convzoo takes inception_v3's and "
        "undoes the two changes: one 7x7/2 valid convolution of 64 maps (the same 147x147x64 grid the three "
        "3x3 reach) and an aux head whose 5x5 layer has a bias and no BatchNorm. Aux weight 0.4 as for v3."
    ),
)
V4_CARD = ModelCard(
    name="inception_v4",
    family="inception",
    paper=INCEPTION_V4,
    input_size=(3, 299, 299),
    params=42_679_816,
    results=(
        *top_errors(20.0, 5.0, "single crop, Table 2"),
        *top_errors(17.7, 3.8, "single model, 144 crops, Table 4"),
    ),
    compatible={"timm": "inception_v4"},
    notes=(
        "Figure 9: the stem of Figure 3, 4 x Inception-A, Reduction-A (k, l, m, n = 192, 224, 256, 384), "
        "7 x Inception-B, Reduction-B, 3 x Inception-C, average pooling, dropout (keep 0.8). Widths as the "
        "released checkpoint, which timm `inception_v4` loads; average pooling ignores the padding (TF "
        "'same' pooling)."
    ),
)
IR_V1_CARD = V4_CARD.variant(
    name="inception_resnet_v1",
    params=22_756_328,
    results=(
        *top_errors(21.3, 5.5, "single crop, Table 2"),
        *top_errors(18.8, 4.3, "single model, 144 crops, Table 4"),
    ),
    compatible={},
    notes=(
        "Figure 15 with the v1 modules: stem of Figure 14 (35x35x256), 5 x Inception-ResNet-A (Figure 10), "
        "Reduction-A (k, l, m, n = 192, 192, 256, 384), 10 x Inception-ResNet-B (Figure 11), Reduction-B "
        "(Figure 12), 5 x Inception-ResNet-C (Figure 13), average pooling, dropout (keep 0.8). Each block "
        "adds scale x (1x1 linear projection of its branches) to its input, then ReLU; the scales 0.17, "
        "0.10, 0.20 are the released Inception-ResNet-v2's (Section 3.3 says 0.1 to 0.3). No checkpoint "
        "was released."
    ),
)
IR_V2_CARD = V4_CARD.variant(
    name="inception_resnet_v2",
    params=32_433_928,
    results=(
        *top_errors(19.9, 4.9, "single crop, Table 2"),
        *top_errors(17.8, 3.7, "single model, 144 crops, Table 4"),
    ),
    compatible={},
    notes=(
        "Figure 15 with the v2 modules as printed: the Inception-v4 stem (Figure 3, 35x35x384), 5 x "
        "Inception-ResNet-A (Figure 16), Reduction-A (k, l, m, n = 256, 256, 384, 384), 10 x "
        "Inception-ResNet-B (Figure 17), Reduction-B (Figure 18), 5 x Inception-ResNet-C (Figure 19), "
        "average pooling, dropout (keep 0.8). The printed widths do not add up: Figure 17 projects to 1154 "
        "and Figure 19 to 2048 maps, but a residual sum needs the input's 1152 and 2144; convzoo projects to "
        "the input width. Residual scales 0.17, 0.10, 0.20 as released. The released checkpoint is a "
        "different network: inception_resnet_v2_tf."
    ),
)
IR_V2_TF_CARD = IR_V2_CARD.variant(
    name="inception_resnet_v2_tf",
    params=55_843_464,
    results=(),
    compatible={"timm": "inception_resnet_v2"},
    notes=(
        "The Inception-ResNet-v2 Google released (TF-slim), which timm `inception_resnet_v2` loads. Not the "
        "paper's network: the Inception-v3 stem plus a 320-map Inception module instead of Figure 3's stem, "
        "10 / 20 / 10 blocks instead of 5 / 10 / 5, widths 320 / 1088 / 2080, the last block without "
        "scaling (1.0) or ReLU, and a 1x1 convolution to 1536 maps before pooling. Average pooling ignores "
        "the padding (TF 'same' pooling)."
    ),
)


INCEPTIONS = (  # card, configuration, converters
    (V2_CARD, V2, None),
    (V3_CARD, V3, {"torchvision": v3_from_torchvision}),
    (V4_CARD, V4, {"timm": v4_from_timm}),
    (IR_V1_CARD, IR_V1, None),
    (IR_V2_CARD, IR_V2, None),
    (IR_V2_TF_CARD, IR_V2_TF, {"timm": ir_v2_from_timm}),
)
for _card, _config, _converters in INCEPTIONS:
    register_builder(
        _card,
        Inception,
        _converters,
        doc=f"{_card.name}: {_card.paper.title} ({_card.paper.year}).",
        config=_config,
    )
register_builder(
    V3_TIMM_CARD,
    Inception,
    {"timm": v3_from_torchvision},
    doc=f"{V3_TIMM_CARD.name}: inception_v3 without the aux head, timm's inception_v3.",
    config=V3,
    aux_logits=False,
)
