"""NASNet-A, Zoph et al. 2018, "Learning Transferable Architectures for Scalable Image Recognition".

The architecture search (Section 3) finds two cells: a Normal Cell that keeps the map size and a
Reduction Cell that halves it. Each cell takes the two previous cells' outputs h_i and h_{i-1} and
builds B = 5 blocks, each adding two operations applied to two earlier hidden states; the unused
states are concatenated. The cells found (NASNet-A, Fig. 4) are the rows of NASNET_A_NORMAL and
NASNET_A_REDUCTION below, data that a search can mutate. The ImageNet network (Fig. 2) is a
3x3/2 convolution, two Reduction Cells as stem, then N Normal Cells, a Reduction Cell, N Normal
Cells, a Reduction Cell, N Normal Cells; filters double at each reduction. "N @ F" names it by
N and F, the penultimate layer's filters (Table 2: 6 @ 4032, Table 3: 4 @ 1056).

Details that the paper leaves to the authors' release (TF-slim `nasnet_utils.py`) and that this
module follows: each cell first maps h_i through ReLU-1x1 conv-BN to its filter count, and h_{i-1}
too (ReLU-1x1-BN, or a "factorized reduction" of two 1x1 convs on offset grids when h_{i-1} is at
twice the resolution); every separable op is ReLU-sepconv-BN applied twice; the Normal Cell's
output also concatenates h_{i-1}; padding is TensorFlow's "SAME" (asymmetric at stride 2).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..layers.conv import ConvNormAct
from ..layers.drop import DropPath
from ..layers.heads import ClassifierHead
from ..layers.weight_init import init_msra
from ..weights import rename_keys
from ._builder import register_builder

PAPER = Paper(
    title="Learning Transferable Architectures for Scalable Image Recognition",
    authors="B. Zoph, V. Vasudevan, J. Shlens, Q. V. Le",
    year=2018,
    link="https://arxiv.org/abs/1707.07012",
)

BatchNorm = partial(nn.BatchNorm2d, eps=1e-3)  # TF-slim's epsilon

# Operations the search could choose from (Section 3) that NASNet-A uses.
OPERATIONS = ("identity", "avg3x3", "max3x3", "sep3x3", "sep5x5", "sep7x7")


@dataclass(frozen=True)
class Block:
    """One block of a cell (Fig. 3): op(left state) + op(right state).

    Hidden states are numbered 0 = h_i (the cell's input), 1 = h_{i-1} (the input before it),
    2 + k = the output of block k.
    """

    left: int
    left_op: str
    right: int
    right_op: str


@dataclass(frozen=True)
class CellSpec:
    """A searched cell: its blocks, the states concatenated as output, and whether it halves the map."""

    blocks: tuple[Block, ...]
    concat: tuple[int, ...]
    reduction: bool


# Fig. 4 (left), NASNet-A Normal Cell.
NASNET_A_NORMAL = CellSpec(
    blocks=(
        Block(0, "sep5x5", 1, "sep3x3"),
        Block(1, "sep5x5", 1, "sep3x3"),
        Block(0, "avg3x3", 1, "identity"),
        Block(1, "avg3x3", 1, "avg3x3"),
        Block(0, "sep3x3", 0, "identity"),
    ),
    concat=(1, 2, 3, 4, 5, 6),
    reduction=False,
)

# Fig. 4 (right), NASNet-A Reduction Cell: ops on h_i and h_{i-1} have stride 2.
NASNET_A_REDUCTION = CellSpec(
    blocks=(
        Block(0, "sep5x5", 1, "sep7x7"),
        Block(0, "max3x3", 1, "sep7x7"),
        Block(0, "avg3x3", 1, "sep5x5"),
        Block(3, "identity", 2, "avg3x3"),
        Block(2, "sep3x3", 0, "max3x3"),
    ),
    concat=(3, 4, 5, 6),
    reduction=True,
)


@dataclass(frozen=True)
class NASNetConfig:
    """Tables 2-3's "N @ F", the stem width, one wiring choice of the authors' release, and the cells.

    Another searched pair of cells drops in through `dataclasses.replace(config, normal_cell=...)`.
    """

    repeats: int  # N, Normal Cells per stack
    penultimate_filters: int  # F = 24 x the first stack's filters (6 states x 4 after two doublings)
    stem_filters: int
    # After a Reduction Cell, the next cell's h_{i-1} skips the reduction's input (Large only).
    skip_reduction_input: bool
    drop_path_rate: float  # 1 - drop_path_keep_prob of the release's ImageNet settings
    input_size: int
    normal_cell: CellSpec = NASNET_A_NORMAL
    reduction_cell: CellSpec = NASNET_A_REDUCTION


NASNET_CONFIGS = {
    "large": NASNetConfig(6, 4032, 96, True, 0.3, 331),
    "mobile": NASNetConfig(4, 1056, 32, False, 0.0, 224),
}


class PadSame(nn.Module):
    """TensorFlow's "SAME" padding for a k x k window of stride s: any odd pixel goes right/bottom."""

    def __init__(self, kernel: int, stride: int, value: float = 0.0) -> None:
        super().__init__()
        self.kernel, self.stride, self.value = kernel, stride, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pad_same(x, self.kernel, self.stride, self.value)


def pad_same(x: torch.Tensor, kernel: int, stride: int, value: float = 0.0) -> torch.Tensor:
    """x padded as TensorFlow's "SAME" pads it (one call in an fx graph: the pads depend on x's size)."""
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


torch.fx.wrap("pad_same")


class SeparableConv(nn.Sequential):
    """Depthwise k x k conv (SAME padding) then pointwise 1x1 conv, no bias."""

    def __init__(self, in_chs: int, out_chs: int, kernel: int, stride: int) -> None:
        super().__init__()
        if stride > 1:
            self.pad = PadSame(kernel, stride)
        padding = 0 if stride > 1 else kernel // 2
        self.depthwise = nn.Conv2d(in_chs, in_chs, kernel, stride, padding, groups=in_chs, bias=False)
        self.pointwise = nn.Conv2d(in_chs, out_chs, 1, bias=False)


class SeparableOp(nn.Sequential):
    """ "sep k x k": ReLU-sepconv-BN applied twice, the first with the op's stride (Appendix A.4)."""

    def __init__(self, in_chs: int, out_chs: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.act1 = nn.ReLU()
        self.sep1 = SeparableConv(in_chs, out_chs, kernel, stride)
        self.bn1 = BatchNorm(out_chs)
        self.act2 = nn.ReLU(inplace=True)  # bn1's output has no other reader
        self.sep2 = SeparableConv(out_chs, out_chs, kernel, 1)
        self.bn2 = BatchNorm(out_chs)


def pool3x3(kind: str, stride: int) -> nn.Module:
    """3x3 pooling with SAME padding.

    At stride 2 the border is padded explicitly (-inf for max, zeros for average); the average
    then counts the zeros, as the timm port that produced the nasnetalarge checkpoint's reference
    logits does (TF-slim itself leaves the padding out of the average).
    """
    if stride == 1:
        if kind == "max":
            return nn.MaxPool2d(3, 1, 1)
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    pool = nn.MaxPool2d(3, stride) if kind == "max" else nn.AvgPool2d(3, stride)
    return nn.Sequential(PadSame(3, stride, -math.inf if kind == "max" else 0.0), pool)


def make_operation(name: str, in_chs: int, out_chs: int, stride: int) -> nn.Module:
    """The module of one operation of OPERATIONS."""
    m = re.fullmatch(r"sep(\d)x\1", name)
    if m:
        return SeparableOp(in_chs, out_chs, int(m[1]), stride)
    if name not in OPERATIONS:
        raise ValueError(f"unknown NASNet operation {name!r}; expected one of {', '.join(OPERATIONS)}")
    if in_chs != out_chs or (name == "identity" and stride != 1):
        raise ValueError(f"{name} cannot map {in_chs} to {out_chs} channels at stride {stride}")
    return nn.Identity() if name == "identity" else pool3x3(name[:3], stride)


class ReLUConvBN(nn.Sequential):
    """ReLU, 1x1 conv, BN: how a cell brings h_i (and h_{i-1}) to its filter count."""

    def __init__(self, in_chs: int, out_chs: int) -> None:
        super().__init__()
        self.act = nn.ReLU()
        self.conv = nn.Conv2d(in_chs, out_chs, 1, bias=False)
        self.bn = BatchNorm(out_chs)


class FactorizedReduction(nn.Module):
    """h_{i-1} at twice the resolution: ReLU, 1x1 convs on the even grid and on the grid shifted by
    one pixel (zero-padded at the far edge), each to half the filters, concatenated, BN."""

    def __init__(self, in_chs: int, out_chs: int) -> None:
        super().__init__()
        self.act = nn.ReLU()
        self.path1 = nn.Conv2d(in_chs, out_chs // 2, 1, bias=False)
        self.path2 = nn.Conv2d(in_chs, out_chs - out_chs // 2, 1, bias=False)
        self.bn = BatchNorm(out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(x)
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1::2, 1::2]
        return self.bn(torch.cat([self.path1(x[:, :, ::2, ::2]), self.path2(shifted)], dim=1))


class Cell(nn.Module):
    """One Normal or Reduction Cell built from a CellSpec.

    `prev_chs=None` marks the first stem cell, whose h_{i-1} is its raw input (the release's rule).
    """

    def __init__(
        self,
        spec: CellSpec,
        in_chs: int,
        prev_chs: int | None,
        prev_is_larger: bool,
        filters: int,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.cur_in = ReLUConvBN(in_chs, filters)
        if prev_chs is None:
            self.prev_in, prev_out = nn.Identity(), in_chs
        elif prev_is_larger:
            self.prev_in, prev_out = FactorizedReduction(prev_chs, filters), filters
        elif prev_chs != filters:
            self.prev_in, prev_out = ReLUConvBN(prev_chs, filters), filters
        else:
            self.prev_in, prev_out = nn.Identity(), filters
        chs = [filters, prev_out]
        self.blocks = nn.ModuleList()
        for block in spec.blocks:
            ops = nn.Module()
            for side, state, op in (
                ("left", block.left, block.left_op),
                ("right", block.right, block.right_op),
            ):
                stride = 2 if spec.reduction and state < 2 else 1
                setattr(ops, side, make_operation(op, chs[state], filters, stride))
            self.blocks.append(ops)
            chs.append(filters)
        self.out_chs = sum(chs[i] for i in spec.concat)
        self.drop_path = DropPath(drop_path)

    def _run_op(self, op: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return x if isinstance(op, nn.Identity) else self.drop_path(op(x))

    def forward(self, x: torch.Tensor, prev: torch.Tensor | None = None) -> torch.Tensor:
        states = [self.cur_in(x), self.prev_in(x if prev is None else prev)]
        for spec, ops in zip(self.spec.blocks, self.blocks, strict=True):
            states.append(
                self._run_op(ops.left, states[spec.left]) + self._run_op(ops.right, states[spec.right])
            )
        return torch.cat([states[i] for i in self.spec.concat], dim=1)


def cell_plan(config: NASNetConfig) -> list[tuple[CellSpec, int]]:
    """(spec, filters) of every cell in order: two stem Reduction Cells, then three stacks (Fig. 2)."""
    f = config.penultimate_filters // 24
    normal, reduction = config.normal_cell, config.reduction_cell
    plan = [(reduction, f // 4), (reduction, f // 2)]
    for stack in range(3):
        if stack:
            plan.append((reduction, f * 2**stack))
        plan += [(normal, f * 2**stack)] * config.repeats
    return plan


class NASNet(Classifier):
    """stem (3x3/2 conv, BN), `cells.0`... (each fed its two predecessors), ReLU, pooling, linear."""

    def __init__(
        self,
        config: NASNetConfig,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.5,
        drop_path_rate: float | None = None,
    ) -> None:
        # the unpadded stem conv; SAME padding takes any map size after it
        super().__init__(num_classes, in_chans, (config.input_size, config.input_size), 3)
        drop_path_rate = config.drop_path_rate if drop_path_rate is None else drop_path_rate
        self.stem = ConvNormAct(in_chans, config.stem_filters, 3, 2, padding=0, norm=BatchNorm, act=None)
        # Outputs so far as (channels, reduction); forward keeps the same list of tensors.
        outputs = [(config.stem_filters, 2)]
        self.inputs: list[tuple[int, int | None]] = []  # (index of h_i, index of h_{i-1} or None)
        self.cells = nn.ModuleList()
        self.feature_info = [dict(module="stem", num_chs=config.stem_filters, reduction=2)]
        plan = cell_plan(config)
        for i, (spec, filters) in enumerate(plan):
            cur = len(outputs) - 1
            if i == 0:
                prev = None
            elif i > 2 and plan[i - 1][0].reduction and config.skip_reduction_input:
                prev = cur - 2
            else:
                prev = cur - 1
            in_chs, in_red = outputs[cur]
            prev_chs, prev_red = outputs[prev] if prev is not None else (None, in_red)
            rate = drop_path_rate * (i + 1) / len(plan)  # grows with depth, as in the release
            cell = Cell(spec, in_chs, prev_chs, prev_red < in_red, filters, rate)
            self.cells.append(cell)
            self.inputs.append((cur, prev))
            reduction = in_red * (2 if spec.reduction else 1)
            outputs.append((cell.out_chs, reduction))
            last_at_scale = i + 1 == len(plan) or plan[i + 1][0].reduction
            if i == 0 or (last_at_scale and i + 1 < len(plan)):
                self.feature_info.append(dict(module=f"cells.{i}", num_chs=cell.out_chs, reduction=reduction))
        self.num_features = outputs[-1][0]
        self.act = nn.ReLU()
        self.feature_info.append(dict(module="act", num_chs=self.num_features, reduction=outputs[-1][1]))
        self.head = ClassifierHead(self.num_features, num_classes, "avg", drop_rate)
        self._init_weights()

    def _init_weights(self) -> None:
        init_msra(self, linear_std=None, mode="fan_in", conv_bias=False)  # the fc keeps PyTorch's

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.run_stages(x, set())[0]

    def checkpoint_units(self) -> list[nn.Module]:
        return [self.stem, *self.cells]

    def run_stages(
        self, x: torch.Tensor, keep: set[str], stop_after: str | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The cell loop (each cell takes two earlier outputs), keeping the outputs of the stages `keep`."""
        outputs = [self.stem(x)]
        found = {"stem": outputs[0]} if "stem" in keep else {}
        if stop_after == "stem":
            return outputs[0], found
        for i, (cell, (cur, prev)) in enumerate(zip(self.cells, self.inputs, strict=True)):
            outputs.append(cell(outputs[cur], None if prev is None else outputs[prev]))
            if f"cells.{i}" in keep:
                found[f"cells.{i}"] = outputs[-1]
            if f"cells.{i}" == stop_after:
                return outputs[-1], found
        x = self.act(outputs[-1])
        if "act" in keep:
            found["act"] = x
        return x, found


_CELL_PARTS = [
    (re.compile(pattern), template)
    for pattern, template in (
        (r"conv_1x1\.(conv|bn)\.(\w+)", r"cur_in.\1.\2"),
        (r"conv_prev_1x1\.(conv|bn)\.(\w+)", r"prev_in.\1.\2"),
        (r"path_([12])\.conv\.weight", r"prev_in.path\1.weight"),
        (r"final_path_bn\.(\w+)", r"prev_in.bn.\1"),
        (
            r"comb_iter_(\d)_(left|right)\.separable_([12])\.(depthwise|pointwise)_conv2d\.weight",
            r"blocks.\1.\2.sep\3.\4.weight",
        ),
        (r"comb_iter_(\d)_(left|right)\.bn_sep_([12])\.(\w+)", r"blocks.\1.\2.bn\3.\4"),
    )
]


def timm_converter(repeats: int):
    """A converter from timm's NASNet layout (cell_stem_K, cell_N, reduction_cell_R) for N cells a stack."""

    def cell_index(kind: str, n: int) -> int:
        if kind == "cell_stem_":
            return n
        if kind == "reduction_cell_":
            return 2 + (n + 1) * repeats + n
        return 2 + n + n // repeats

    def place(m: re.Match) -> str | None:
        for pattern, template in _CELL_PARTS:
            part = pattern.fullmatch(m[3])
            if part:
                return f"cells.{cell_index(m[1], int(m[2]))}.{part.expand(template)}"
        return None

    def from_timm(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (r"conv0\.(conv|bn)\.(\w+)", r"stem.\1.\2"),
                (r"(cell_stem_|reduction_cell_|cell_)(\d+)\.(.+)", place),
                (r"last_linear\.(weight|bias)", r"head.fc.\1"),
            ],
            "timm",
        )

    return from_timm


NASNETS = {  # name: config, parameters, Table 2/3: top-1, top-5 (%), parameters, mult-adds; compatible
    "nasnet_a_large": ("large", 88_753_150, 82.7, 96.2, "88.9M", "23.8B", {"timm": "nasnetalarge"}),
    "nasnet_a_mobile": ("mobile", 5_289_978, 74.0, 91.6, "5.3M", "564M", {}),
}


def nasnet_card(
    name: str,
    key: str,
    params: int,
    top1: float,
    top5: float,
    paper_params: str,
    madds: str,
    compatible: dict,
) -> ModelCard:
    """The card of one NASNet-A of NASNETS."""
    config = NASNET_CONFIGS[key]
    size = config.input_size
    label = f"NASNet-A ({config.repeats} @ {config.penultimate_filters})"
    table = "Table 2" if key == "large" else "Table 3"
    return ModelCard(
        name=name,
        family="nasnet",
        paper=PAPER,
        input_size=(3, size, size),
        params=params,
        results=(
            PaperResult("top-1 accuracy", top1, "ImageNet", "val", f"{label}, {size}x{size}, {table}"),
            PaperResult("top-5 accuracy", top5, "ImageNet", "val", f"{label}, {size}x{size}, {table}"),
        ),
        compatible=compatible,
        notes=(
            f"{label}: {paper_params} parameters and {madds} multiply-adds in the paper, whose count "
            "includes BatchNorm's moving statistics; the exact count here is of trainable parameters. "
            "Wiring, padding (TF 'SAME') and the cells' 1x1 preprocessing follow the authors' TF-slim "
            "release; stride-2 average pooling counts its zero padding, as timm's port does. The "
            "auxiliary classifier used in training is left out. Drop path (rate "
            f"{config.drop_path_rate}, growing with depth) acts on every non-identity op."
        ),
    )


for _name, _row in NASNETS.items():
    _config = NASNET_CONFIGS[_row[0]]
    _card = nasnet_card(_name, *_row)
    register_builder(
        _card,
        NASNet,
        {"timm": timm_converter(_config.repeats)} if _card.compatible else {},
        doc=f"NASNet-A ({_config.repeats} @ {_config.penultimate_filters}).",
        config=_config,
    )
