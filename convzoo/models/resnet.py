"""ResNet, He et al. 2016, "Deep Residual Learning for Image Recognition", and its widened relatives.

One network class covers every net of the paper and the ones that only change the bottleneck:

- ImageNet ResNet-18/34/50/101/152 (Table 1), v1 as published: a stride-2 stage starts with a stride-2
  first 1x1 convolution of the bottleneck; shortcuts that change shape are projections (option B).
  `resnet*_v1_5` moves the stride to the 3x3 convolution (fb.resnet.torch's, later torchvision's
  choice) and loads torchvision's checkpoints. Basic blocks have no 1x1 convolution, so for 18 and
  34 layers v1 and v1.5 are the same network: `resnet18` and `resnet34` load torchvision directly.
- Plain-18/34: the same stacks without any shortcut (Section 4.1).
- CIFAR-10 ResNet-20/32/44/56/110/1202 (Section 4.2): a 3x3 stem, three stages of 2n 3x3 layers with
  16, 32, 64 filters, zero-padding identity shortcuts (option A), and their plain counterparts.
- ResNeXt (Xie et al. 2017): grouped 3x3 convolutions in a wider bottleneck, stride on the 3x3.
- Wide ResNet-50-2/101-2 (Zagoruyko & Komodakis 2016, ImageNet): the bottleneck's 3x3 twice as wide.

The CIFAR Wide ResNet (pre-activation blocks) is in wide_resnet.py, SE-ResNet/ResNeXt in senet.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult, top_errors
from ..contract import Classifier, stem_then_stages
from ..layers import ClassifierHead, ConvNormAct, DropPath, SqueezeExcite
from ..layers.shortcut import ZeroPadShortcut, add_shortcut
from ..layers.weight_init import init_msra
from ..weights import rename_keys
from ._builder import register_builder

PAPER = Paper(
    title="Deep Residual Learning for Image Recognition",
    authors="K. He, X. Zhang, S. Ren, J. Sun",
    year=2016,
    link="https://arxiv.org/abs/1512.03385",
)
RESNEXT_PAPER = Paper(
    title="Aggregated Residual Transformations for Deep Neural Networks",
    authors="S. Xie, R. Girshick, P. Dollár, Z. Tu, K. He",
    year=2017,
    link="https://arxiv.org/abs/1611.05431",
)
WRN_PAPER = Paper(
    title="Wide Residual Networks",
    authors="S. Zagoruyko, N. Komodakis",
    year=2016,
    link="https://arxiv.org/abs/1605.07146",
)


@dataclass(frozen=True)
class StageRow:
    """One row conv2_x ... conv5_x of Table 1: `blocks` blocks, 3x3 convolutions `width` wide,
    block output `out_chs`; the first block runs at `stride`."""

    blocks: int
    width: int
    out_chs: int
    stride: int


@dataclass(frozen=True)
class ResNetConfig:
    """Everything that tells the residual nets of this module (and SENet's) apart."""

    block: str  # "basic": two 3x3 convs; "bottleneck": 1x1, 3x3, 1x1
    stages: tuple[StageRow, ...]
    # "imagenet": 7x7/2 conv + 3x3/2 max-pool; "deep": three 3x3 convs + max-pool; "cifar": one 3x3 conv
    stem: str = "imagenet"
    stem_chs: int = 64
    stride_on: str = "1x1"  # bottleneck conv carrying a stage's stride: "1x1" (v1) or "3x3" (v1.5)
    shortcut: str = "B"  # "A" zero-padding identity, "B" projection where the shape changes, "none" plain net
    groups: int = 1  # cardinality of the 3x3 convolution (ResNeXt)
    first_1x1_ratio: float = 1.0  # width of the bottleneck's first 1x1 relative to its 3x3 (SENet-154: 0.5)
    se_reduction: int = 0  # squeeze-and-excitation with ratio r before the addition (0: none)
    projection_kernel: int = 1  # kernel of the projections of stages 2-4 (SENet-154: 3)
    ceil_pool: bool = False  # Caffe's max-pooling arithmetic (no padding, ceil mode), as SENet's release

    @property
    def input_size(self) -> int:
        return 32 if self.stem == "cifar" else 224


# Table 1: blocks in conv2_x ... conv5_x.
TABLE1_BLOCKS: dict[int, tuple[int, int, int, int]] = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}


def imagenet_stages(depth: int, width: int = 64) -> tuple[StageRow, ...]:
    """The four stages of Table 1; `width` is the first stage's 3x3 width (ResNeXt, WRN widen it)."""
    bottleneck = depth >= 50
    out = 256 if bottleneck else 64
    return tuple(
        StageRow(n, width * 2**i, out * 2**i, 1 if i == 0 else 2) for i, n in enumerate(TABLE1_BLOCKS[depth])
    )


def cifar_stages(depth: int, widths: tuple[int, ...] = (16, 32, 64)) -> tuple[StageRow, ...]:
    """Section 4.2: 6n+2 layers, three stages of n two-layer blocks with 16, 32, 64 filters."""
    if (depth - 2) % 6:
        raise ValueError(f"CIFAR ResNets have 6n+2 layers, got {depth}")
    n = (depth - 2) // 6
    return tuple(StageRow(n, w, w, 1 if i == 0 else 2) for i, w in enumerate(widths))


def imagenet_config(depth: int, **changes) -> ResNetConfig:
    block = "bottleneck" if depth >= 50 else "basic"
    return replace(ResNetConfig(block, imagenet_stages(depth)), **changes)


class ResidualBlock(nn.Module):
    """A basic or bottleneck block: relu(shortcut(x) + drop_path(se(branch(x)))).

    Branch convolutions are `conv1`, `conv2` (, `conv3`), each a ConvNormAct whose last one has no
    activation; `se` and `shortcut` are optional. A plain-net block ("none" shortcut) is relu(branch(x)).
    """

    def __init__(
        self,
        cfg: ResNetConfig,
        in_chs: int,
        row: StageRow,
        stride: int,
        first_stage: bool,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        if cfg.block == "basic":
            self.conv1 = ConvNormAct(in_chs, row.width, 3, stride)
            self.conv2 = ConvNormAct(row.width, row.out_chs, 3, act=None)
            self.conv3 = None
        elif cfg.block == "bottleneck":
            stride_1x1, stride_3x3 = (stride, 1) if cfg.stride_on == "1x1" else (1, stride)
            mid = int(row.width * cfg.first_1x1_ratio)
            self.conv1 = ConvNormAct(in_chs, mid, 1, stride_1x1)
            self.conv2 = ConvNormAct(mid, row.width, 3, stride_3x3, groups=cfg.groups)
            self.conv3 = ConvNormAct(row.width, row.out_chs, 1, act=None)
        else:
            raise ValueError(f"block must be 'basic' or 'bottleneck', got {cfg.block!r}")
        self.se = SqueezeExcite(row.out_chs, row.out_chs // cfg.se_reduction) if cfg.se_reduction else None
        self.shortcut = make_shortcut(cfg, in_chs, row.out_chs, stride, first_stage)
        if self.shortcut is None and drop_path:
            raise ValueError("a plain block has no shortcut to keep: drop_path_rate must be 0")
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()
        self.act = nn.ReLU(inplace=True)
        self.inplace = True

    def last_norm(self) -> nn.BatchNorm2d:
        """The branch's last BatchNorm (zero-initialised by `zero_init_last`)."""
        return (self.conv2 if self.conv3 is None else self.conv3).bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.conv1(x))
        if self.conv3 is not None:
            out = self.conv3(out)
        if self.se is not None:
            out = self.se(out)
        if self.shortcut is None:
            return self.act(out)
        return self.act(add_shortcut(self.drop_path(out), self.shortcut(x), self.inplace))


def make_shortcut(
    cfg: ResNetConfig, in_chs: int, out_chs: int, stride: int, first_stage: bool
) -> nn.Module | None:
    """Identity where the shape is kept; else option A (zero padding) or B (projection); None: plain."""
    if cfg.shortcut == "none":
        return None
    if stride == 1 and in_chs == out_chs:
        return nn.Identity()
    if cfg.shortcut == "A":
        return ZeroPadShortcut(in_chs, out_chs, stride)
    if cfg.shortcut == "B":
        k = 1 if first_stage else cfg.projection_kernel
        return ConvNormAct(in_chs, out_chs, k, stride, act=None)
    raise ValueError(f"shortcut must be 'A', 'B' or 'none', got {cfg.shortcut!r}")


def make_stem(cfg: ResNetConfig, in_chans: int) -> tuple[nn.Sequential, int]:
    """The layers before conv2_x, named conv1 (conv2, conv3) and pool; returns it and its reduction."""
    stem = nn.Sequential()
    if cfg.stem == "cifar":
        stem.add_module("conv1", ConvNormAct(in_chans, cfg.stem_chs, 3))
        return stem, 1
    if cfg.stem == "imagenet":
        stem.add_module("conv1", ConvNormAct(in_chans, cfg.stem_chs, 7, 2))
    elif cfg.stem == "deep":  # SENet-154 (Hu et al., Appendix): the 7x7 conv as three 3x3 convs
        stem.add_module("conv1", ConvNormAct(in_chans, cfg.stem_chs // 2, 3, 2))
        stem.add_module("conv2", ConvNormAct(cfg.stem_chs // 2, cfg.stem_chs // 2, 3))
        stem.add_module("conv3", ConvNormAct(cfg.stem_chs // 2, cfg.stem_chs, 3))
    else:
        raise ValueError(f"stem must be 'imagenet', 'deep' or 'cifar', got {cfg.stem!r}")
    pool = nn.MaxPool2d(3, 2, ceil_mode=True) if cfg.ceil_pool else nn.MaxPool2d(3, 2, padding=1)
    stem.add_module("pool", pool)
    return stem, 4


class ResNet(Classifier):
    """stem -> stages.0 ... stages.N-1 (nn.Sequential of ResidualBlocks) -> global average pool, fc."""

    def __init__(
        self,
        cfg: ResNetConfig,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        zero_init_last: bool = False,
    ) -> None:
        # With "same" padding every layer maps any size >= 1 to >= 1; Caffe's unpadded ceil-mode
        # pooling needs a 2x2 map after the stride-2 stem, i.e. at least 3x3 input.
        super().__init__(num_classes, in_chans, (cfg.input_size, cfg.input_size), 3 if cfg.ceil_pool else 1)
        self.stem, reduction = make_stem(cfg, in_chans)
        self.stages = nn.Sequential()
        self.feature_info = []
        in_chs, total, index = cfg.stem_chs, sum(r.blocks for r in cfg.stages), 0
        for i, row in enumerate(cfg.stages):
            stage = nn.Sequential()
            for j in range(row.blocks):
                # Stochastic depth (Huang et al. 2016): drop rate grows linearly with depth.
                rate = drop_path_rate * index / max(total - 1, 1)
                stage.append(ResidualBlock(cfg, in_chs, row, row.stride if j == 0 else 1, i == 0, rate))
                in_chs, index = row.out_chs, index + 1
            self.stages.append(stage)
            reduction *= row.stride
            self.feature_info.append(dict(module=f"stages.{i}", num_chs=in_chs, reduction=reduction))
        self.num_features = in_chs
        self.head = ClassifierHead(in_chs, num_classes, drop_rate=drop_rate)
        self._init_weights(zero_init_last)

    def _init_weights(self, zero_init_last: bool) -> None:
        # Section 3.4: "We initialize the weights as in [13]" (He et al. 2015, fan-out for conv layers).
        # Conv biases (squeeze-and-excitation's) and the fc keep PyTorch's initialisation.
        init_msra(self, linear_std=None, conv_bias=False)
        if zero_init_last:  # Goyal et al. 2017: each block starts as the identity
            for m in self.modules():
                if isinstance(m, ResidualBlock):
                    nn.init.zeros_(m.last_norm().weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.stages(self.stem(x))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return stem_then_stages(self.stem, self.stages)


# Converters: torchvision's (and Cadene's / timm's legacy SENet) layerN.M blocks -> stages.N-1.M.
_BLOCK_PARTS: list[tuple[str, str]] = [
    (r"conv(\d)\.weight", r"conv\1.conv.weight"),
    (r"bn(\d)\.(\w+)", r"conv\1.bn.\2"),
    (r"downsample\.0\.weight", "shortcut.conv.weight"),
    (r"downsample\.1\.(\w+)", r"shortcut.bn.\1"),
    (r"se_module\.(fc[12]\.(?:weight|bias))", r"se.\1"),
]


def _place_block_key(m: re.Match) -> str | None:
    for pattern, repl in _BLOCK_PARTS:
        part = re.fullmatch(pattern, m[3])
        if part:
            return f"stages.{int(m[1]) - 1}.{m[2]}.{part.expand(repl)}"
    return None


BLOCK_RULE = (r"layer([1-4])\.(\d+)\.(.+)", _place_block_key)


def from_torchvision(state_dict: dict) -> dict:
    """torchvision ResNet / ResNeXt / Wide ResNet -> convzoo."""
    return rename_keys(
        state_dict,
        [
            (r"conv1\.weight", "stem.conv1.conv.weight"),
            (r"bn1\.(\w+)", r"stem.conv1.bn.\1"),
            BLOCK_RULE,
            (r"fc\.(weight|bias)", r"head.fc.\1"),
        ],
        "torchvision",
    )


def imagenet_card(
    name: str,
    family: str,
    paper: Paper,
    params: int,
    results: tuple[PaperResult, ...],
    compatible: dict[str, str] | None,
    notes: str,
) -> ModelCard:
    """The card of an ImageNet model of this family (224x224 input)."""
    return ModelCard(name, family, paper, (3, 224, 224), params, results, compatible or {}, notes)


def resnet(
    cfg: ResNetConfig,
    num_classes: int = 1000,
    in_chans: int = 3,
    drop_rate: float = 0.0,
    drop_path_rate: float = 0.0,
    zero_init_last: bool = False,
    *,
    name: str = "resnet",
    residual: bool = True,
) -> ResNet:
    """ResNet(cfg); a plain net (residual=False) takes no drop-path or zero-init."""
    if not residual and (drop_path_rate or zero_init_last):
        raise ValueError(f"{name} has no shortcuts: drop_path_rate and zero_init_last do not apply")
    return ResNet(cfg, num_classes, in_chans, drop_rate, drop_path_rate, zero_init_last)


def register_resnet(
    card: ModelCard,
    cfg: ResNetConfig,
    converters: dict[str, Callable[[dict], dict]] | None = None,
    drop_rate: float = 0.0,
    residual: bool = True,
    zero_init_last: bool = False,
    module: str = __name__,
) -> None:
    """Register a builder of ResNet(cfg) under card.name, as an attribute of `module`."""
    register_builder(
        card,
        resnet,
        converters,
        doc=card.notes.split(":")[0].split(".")[0] + ".",
        module=module,
        cfg=cfg,
        num_classes=1000 if cfg.stem != "cifar" else 10,
        drop_rate=drop_rate,
        zero_init_last=zero_init_last,
        name=card.name,
        residual=residual,
    )


# ---------------------------------------------------------------- ImageNet ResNets (Section 4.1)

_TV = {"torchvision": from_torchvision}
_TV_TIMM = {"torchvision": from_torchvision, "timm": from_torchvision}  # timm keeps torchvision's keys
_TABLE3 = "10-crop testing, Table 3"
_TABLE4 = "single model, multi-scale fully-convolutional testing, Table 4"
# name: (depth of Table 1, parameters at 1000 classes, the paper's ILSVRC-2012 val errors)
RESNETS = {
    "resnet18": (18, 11_689_512, top_errors(27.88, None, "10-crop testing, Table 2 (option A shortcuts)")),
    "resnet34": (34, 21_797_672, top_errors(24.52, 7.46, _TABLE3 + " (ResNet-34 B)")
                 + top_errors(21.84, 5.71, _TABLE4 + " (ResNet-34 B)")),
    "resnet50": (50, 25_557_032, top_errors(22.85, 6.71, _TABLE3) + top_errors(20.74, 5.25, _TABLE4)),
    "resnet101": (101, 44_549_160, top_errors(21.75, 6.05, _TABLE3) + top_errors(19.87, 4.60, _TABLE4)),
    "resnet152": (152, 60_192_808, top_errors(21.43, 5.71, _TABLE3) + top_errors(19.38, 4.49, _TABLE4)),
}  # fmt: skip
RESNETS_V1_5 = {"resnet50_v1_5": "resnet50", "resnet101_v1_5": "resnet101", "resnet152_v1_5": "resnet152"}
_V1_5 = (
    "the stride on the 3x3 conv of the bottleneck, not the first 1x1 (fb.resnet.torch, torchvision, "
    "timm); loads torchvision's and timm's checkpoints. The results are the paper's, for v1; v1.5 is "
    "about 0.5 points more accurate at 224x224."
)

_cards = {}
for _name, (_depth, _params, _results) in RESNETS.items():
    _basic = _depth < 50
    _notes = f"ResNet-{_depth} of Table 1 with projection shortcuts where the shape changes (option B)."
    if _basic:
        _notes += (
            " Basic blocks have no 1x1 conv, so v1 and v1.5 coincide: torchvision's and timm's checkpoints"
            " load."
            " Table 2's ResNet-18/34 used zero-padding shortcuts (option A) instead."
        )
    else:
        _notes += " v1: a stage's stride sits on the first 1x1 conv of its first bottleneck (Caffe release)."
    _cards[_name] = imagenet_card(
        _name,
        "resnet",
        PAPER,
        _params,
        _results,
        {"torchvision": _name, "timm": _name} if _basic else None,
        _notes,
    )
    register_resnet(_cards[_name], imagenet_config(_depth), _TV_TIMM if _basic else None)
for _name, _v1 in RESNETS_V1_5.items():
    _depth = RESNETS[_v1][0]
    _card = _cards[_v1].variant(
        name=_name, compatible={"torchvision": _v1, "timm": _v1}, notes=f"ResNet-{_depth} v1.5: {_V1_5}"
    )
    register_resnet(_card, imagenet_config(_depth, stride_on="3x3"), _TV_TIMM)

# name: (depth, parameters at 1000 classes, Table 2 top-1 / Table 3 top-5 errors, 10-crop testing)
PLAIN_NETS = {
    "plain18": (18, 11_515_688, top_errors(27.94, None, "10-crop testing, Table 2")),
    "plain34": (34, 21_623_848, top_errors(28.54, 10.02, _TABLE3)),
}
for _name, (_depth, _params, _results) in PLAIN_NETS.items():
    _notes = (
        f"Plain-{_depth} of Section 4.1: ResNet-{_depth}'s layers with no shortcut at all, the baseline "
        "that shows the degradation problem (Figure 4)."
    )
    register_resnet(
        imagenet_card(_name, "resnet", PAPER, _params, _results, None, _notes),
        imagenet_config(_depth, shortcut="none"),
        residual=False,
    )

# ---------------------------------------------------------------- CIFAR-10 ResNets (Section 4.2)

# Table 6: name -> (depth, parameters as printed, test error %, exact parameters, its plain counterpart)
CIFAR_RESNETS = {
    "resnet20": (20, "0.27M", 8.75, 269_722, "plain20"),
    "resnet32": (32, "0.46M", 7.51, 464_154, "plain32"),
    "resnet44": (44, "0.66M", 7.17, 658_586, "plain44"),
    "resnet56": (56, "0.85M", 6.97, 853_018, "plain56"),
    "resnet110": (110, "1.7M", 6.43, 1_727_962, "plain110"),
    "resnet1202": (1202, "19.4M", 7.93, 19_421_274, None),
}
# Before training, BatchNorm's running statistics are the identity, so in eval() mode each of the 600
# residual additions roughly doubles the signal and 2^600 overflows float32.
_RESNET1202_INIT = (
    " Deviation: each block's last BatchNorm scale starts at zero (zero_init_last=True, Goyal et al. "
    "2017) so that the untrained net's eval() outputs stay finite; zero_init_last=False gives the "
    "paper's initialisation."
)

for _name, (_depth, _printed, _error, _params, _plain) in CIFAR_RESNETS.items():
    _card = ModelCard(
        name=_name,
        family="resnet",
        paper=PAPER,
        input_size=(3, 32, 32),
        params=_params,
        results=(PaperResult("error", _error, "CIFAR-10", "test", f"Table 6 ({_printed} parameters)"),),
        notes=f"CIFAR-10 ResNet-{_depth} of Section 4.2: 3x3 conv, 3 x {(_depth - 2) // 6} basic blocks "
        "with 16, 32, 64 filters, global average pooling, 10-way fc; zero-padding identity shortcuts "
        "(option A), so it has exactly as many parameters as its plain counterpart."
        + (_RESNET1202_INIT if _depth == 1202 else ""),
    )
    _cfg = ResNetConfig("basic", cifar_stages(_depth), stem="cifar", stem_chs=16, shortcut="A")
    register_resnet(_card, _cfg, zero_init_last=_depth == 1202)
    if _plain:
        _notes = (
            f"CIFAR-10 plain-{_depth} of Section 4.2: {_name} without shortcuts. The paper reports "
            "plain nets in Figure 6 only (error grows with depth)"
        )
        _notes += ", which shows plain-20 to plain-56; plain-110 extends it." if _depth == 110 else "."
        register_resnet(
            _card.variant(name=_plain, results=(), notes=_notes),
            replace(_cfg, shortcut="none"),
            residual=False,
        )

# ---------------------------------------------------------------- ResNeXt and ImageNet Wide ResNets

RESNEXTS = {  # name: depth, cardinality, bottleneck width d, parameters, paper results
    "resnext50_32x4d": (50, 32, 4, 25_028_904, top_errors(22.2, None, "single 224x224 crop, Table 3")),
    "resnext101_32x4d": (101, 32, 4, 44_177_704, top_errors(21.2, None, "single 224x224 crop, Table 3")),
    "resnext101_32x8d": (101, 32, 8, 88_791_336, ()),
    "resnext101_64x4d": (101, 64, 4, 83_455_272, top_errors(20.4, 5.3, "single 224x224 crop, Table 5")
                         + top_errors(19.1, 4.4, "single 320x320 crop, Table 5")),
}  # fmt: skip

for _name, (_depth, _groups, _d, _params, _results) in RESNEXTS.items():
    _notes = (
        f"ResNeXt-{_depth} ({_groups}x{_d}d): bottlenecks with a {_groups}-group 3x3 conv {_groups * _d} "
        "wide in the first stage (Table 1, form (c) of Figure 3); stride on the 3x3 conv, as in the paper."
    )
    if _d == 8:
        _notes += " 32x8d is not in the paper; it is torchvision's configuration."
    # torchvision has no 32x4d ResNeXt-101; timm keeps torchvision's layout for all of them
    _compatible = (
        {"timm": _name}
        if (_depth, _d) == (101, 4) and _groups == 32
        else {"torchvision": _name, "timm": _name}
    )
    register_resnet(
        imagenet_card(_name, "resnext", RESNEXT_PAPER, _params, _results, _compatible, _notes),
        ResNetConfig("bottleneck", imagenet_stages(_depth, _groups * _d), stride_on="3x3", groups=_groups),
        _TV_TIMM,
    )

WIDE_RESNETS = {  # name: depth, parameters; the paper's ImageNet experiment is WRN-50-2 only
    "wide_resnet50_2": (50, 68_883_240, top_errors(21.9, 6.03, "single crop, WRN-50-2-bottleneck")),
    "wide_resnet101_2": (101, 126_886_696, ()),
}
for _name, (_depth, _params, _results) in WIDE_RESNETS.items():
    _notes = (
        f"Wide ResNet-{_depth}-2: ResNet-{_depth} (v1.5) with the bottleneck's 1x1 and 3x3 convs twice as "
        "wide; the outer widths stay."
    )
    if _depth == 101:
        _notes += " The paper's ImageNet experiment is WRN-50-2; 101-2 is torchvision's."
    register_resnet(
        imagenet_card(
            _name, "wide_resnet", WRN_PAPER, _params, _results, {"torchvision": _name, "timm": _name}, _notes
        ),
        ResNetConfig("bottleneck", imagenet_stages(_depth, 128), stride_on="3x3"),
        _TV_TIMM,
    )
