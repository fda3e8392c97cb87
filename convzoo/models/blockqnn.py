"""BlockQNN, Zhong et al. 2018, "Practical Block-wise Neural Network Architecture Generation".

A block is a list of Network Structure Codes (Section 3.1, Table 1): one 5-tuple
(index, type, kernel size, predecessor 1, predecessor 2) per layer. Index 0 is the block's input;
a layer reads earlier layers only, so the block is a directed acyclic graph. The layer types:

    1 convolution  kernel 1, 3 or 5; the paper's Pre-activation Convolutional Cell (ReLU, conv, BN)
    2 max pooling  kernel 1 or 3 (stride 1)
    3 avg pooling  kernel 1 or 3 (stride 1)
    4 identity
    5 elemental add (two predecessors)
    6 concat        (two predecessors)
    7 terminal      ends the block

The outputs of the layers no other layer reads are concatenated into the block's output. Blocks
stack in the paper's templates (Fig. 4): N blocks per stage, a stride-2 pooling between stages,
the filter count doubling after each pooling; global average pooling and a linear classifier on top.

Choices the paper leaves open and that this module makes (named in every card): an elemental add
of two maps of different widths first brings the second to the first's width with a 1x1
pre-activation convolution; a block whose concatenated output is wider than its stage's filters
ends with a 1x1 pre-activation convolution back to them, so that blocks stack at a fixed width.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..layers.heads import ClassifierHead
from ._builder import register_builder

PAPER = Paper(
    title="Practical Block-wise Neural Network Architecture Generation",
    authors="Z. Zhong, J. Yan, W. Wu, J. Shao, C.-L. Liu",
    year=2018,
    link="https://arxiv.org/abs/1708.05552",
)

# Table 1: layer type -> (name, kernel sizes allowed, number of predecessors).
LAYER_TYPES: dict[int, tuple[str, tuple[int, ...], int]] = {
    1: ("convolution", (1, 3, 5), 1),
    2: ("max pooling", (1, 3), 1),
    3: ("average pooling", (1, 3), 1),
    4: ("identity", (0,), 1),
    5: ("elemental add", (0,), 2),
    6: ("concat", (0,), 2),
    7: ("terminal", (0,), 0),
}
CONV, MAX_POOL, AVG_POOL, IDENTITY, ADD, CONCAT, TERMINAL = range(1, 8)
# The largest layer index of a block the search samples; convzoo's default for the space.
MAX_LAYERS = 23


class InvalidBlockError(ValueError):
    """A Network Structure Code breaks a rule of Table 1; the message names the layer and the rule."""


@dataclass(frozen=True)
class NSC:
    """One Network Structure Code: (index, type, kernel size, predecessor 1, predecessor 2)."""

    index: int
    type: int
    kernel: int = 0
    pred1: int = 0
    pred2: int = 0

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.index, self.type, self.kernel, self.pred1, self.pred2)

    @property
    def name(self) -> str:
        kind = LAYER_TYPES[self.type][0]
        return f"{kind} {self.kernel}x{self.kernel}" if self.kernel else kind


def parse_block(codes: Iterable[Sequence[int] | NSC], max_layers: int = MAX_LAYERS) -> tuple[NSC, ...]:
    """Validated codes of one block, without its terminal layer.

    Each code is an NSC or five integers. Rules (Table 1): indices run 1, 2, 3 ...; the type is one
    of LAYER_TYPES with one of its kernel sizes; predecessors are earlier layers (0: the block's
    input); one-input layers have predecessor 2 = 0; add and concat read two different layers; a
    terminal layer, if given, is the last; at most `max_layers` layers before it.
    """
    layers: list[NSC] = []
    codes = list(codes)
    for position, raw in enumerate(codes, start=1):
        code = raw if isinstance(raw, NSC) else _as_code(raw, position)
        where = f"layer {position} {code.as_tuple()}"
        if code.index != position:
            raise InvalidBlockError(f"{where}: index must be {position} (layers are numbered 1, 2, 3 ...)")
        if code.type not in LAYER_TYPES:
            raise InvalidBlockError(f"{where}: type must be 1-7 (Table 1: {_type_names()})")
        kind, kernels, inputs = LAYER_TYPES[code.type]
        if code.kernel not in kernels:
            allowed = " or ".join(map(str, kernels))
            raise InvalidBlockError(f"{where}: a {kind} layer takes kernel size {allowed}, got {code.kernel}")
        if code.type == TERMINAL:
            if position != len(codes):
                raise InvalidBlockError(f"{where}: the terminal layer must be the block's last")
            if code.pred1 or code.pred2:
                raise InvalidBlockError(f"{where}: the terminal layer has no predecessors (0, 0)")
            break
        if position > max_layers:
            raise InvalidBlockError(f"{where}: a block has at most {max_layers} layers before its terminal")
        for pred in (code.pred1, code.pred2)[:inputs]:
            if not 0 <= pred < position:
                raise InvalidBlockError(
                    f"{where}: predecessor {pred} must be an earlier layer, 0 (the block's input) "
                    f"to {position - 1}"
                )
        if inputs == 1 and code.pred2 != 0:
            raise InvalidBlockError(f"{where}: a {kind} layer has one predecessor; predecessor 2 must be 0")
        if inputs == 2 and code.pred1 == code.pred2:
            raise InvalidBlockError(
                f"{where}: {kind} needs two different predecessors, got {code.pred1} twice"
            )
        layers.append(code)
    return tuple(layers)


def _as_code(raw: Sequence[int], position: int) -> NSC:
    values = list(raw)
    if len(values) != 5 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise InvalidBlockError(
            f"layer {position}: expected five integers (index, type, kernel, pred1, pred2), got {raw!r}"
        )
    return NSC(*values)


def _type_names() -> str:
    return ", ".join(f"{t} {name}" for t, (name, _, _) in LAYER_TYPES.items())


def leaves(block: Sequence[NSC]) -> list[int]:
    """Indices of the layers no other layer reads: their outputs are concatenated (0 for an empty block)."""
    read = {p for code in block for p in _preds(code)}
    return [code.index for code in block if code.index not in read] or [0]


def edges(block: Sequence[NSC]) -> list[tuple[int, int]]:
    """(predecessor, layer) pairs of the block's graph, the leaves feeding the output node len(block)+1."""
    out = [(p, code.index) for code in block for p in _preds(code)]
    return out + [(leaf, len(block) + 1) for leaf in leaves(block)]


def density(block: Sequence[NSC]) -> float:
    """Edges over nodes of the block's graph (input, layers, output): the paper's "Density" (Sec. 3.4)."""
    return len(edges(block)) / (len(block) + 2)


def _preds(code: NSC) -> tuple[int, ...]:
    return (code.pred1, code.pred2)[: LAYER_TYPES[code.type][2]]


class PreActConv(nn.Sequential):
    """The Pre-activation Convolutional Cell (Fig. 3): ReLU, k x k convolution ("same" padding), BN."""

    def __init__(self, in_chs: int, out_chs: int, kernel: int = 1) -> None:
        super().__init__()
        self.act = nn.ReLU()
        self.conv = nn.Conv2d(in_chs, out_chs, kernel, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_chs)


class Block(nn.Module):
    """One block built from its codes: `layers.K` computes layer K+1; the leaves are concatenated."""

    def __init__(self, codes: Sequence[NSC], in_chs: int, filters: int) -> None:
        super().__init__()
        self.codes = tuple(codes)
        self.leaves = leaves(self.codes)
        chs = [in_chs]
        self.layers = nn.ModuleList()
        for code in self.codes:
            if code.type == CONV:
                layer, out = PreActConv(chs[code.pred1], filters, code.kernel), filters
            elif code.type in (MAX_POOL, AVG_POOL):
                pad = code.kernel // 2
                layer = (
                    nn.MaxPool2d(code.kernel, 1, pad)
                    if code.type == MAX_POOL
                    else nn.AvgPool2d(code.kernel, 1, pad, count_include_pad=False)
                )
                out = chs[code.pred1]
            elif code.type == ADD:
                a, b = chs[code.pred1], chs[code.pred2]
                layer, out = (PreActConv(b, a) if a != b else nn.Identity()), a
            elif code.type == CONCAT:
                layer, out = nn.Identity(), chs[code.pred1] + chs[code.pred2]
            else:  # identity
                layer, out = nn.Identity(), chs[code.pred1]
            self.layers.append(layer)
            chs.append(out)
        width = sum(chs[i] for i in self.leaves)
        self.project = PreActConv(width, filters) if width != filters else nn.Identity()
        self.out_chs = filters

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [x]
        for code, layer in zip(self.codes, self.layers, strict=True):
            if code.type == ADD:
                outputs.append(outputs[code.pred1] + layer(outputs[code.pred2]))
            elif code.type == CONCAT:
                outputs.append(torch.cat([outputs[code.pred1], outputs[code.pred2]], dim=1))
            else:
                outputs.append(layer(outputs[code.pred1]))
        if len(self.leaves) == 1:
            return self.project(outputs[self.leaves[0]])
        return self.project(torch.cat([outputs[i] for i in self.leaves], dim=1))


@dataclass(frozen=True)
class Template:
    """How blocks stack (Fig. 4): a stem, `stages` stacks of `repeats` (N) blocks with a 3x3/2
    max-pooling between stacks, `filters` in the first stack doubling after each pooling."""

    stages: int
    repeats: int
    filters: int
    stem_stride: int  # the stem's 3x3 convolution stride; "imagenet" stems add a 3x3/2 max-pooling
    stem_pool: bool
    input_size: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


TEMPLATES = {
    # CIFAR (Fig. 4, left): Block x N, Pool, Block x N, Pool, Block x N, linear.
    "cifar": Template(stages=3, repeats=2, filters=32, stem_stride=1, stem_pool=False, input_size=32),
    # ImageNet (Fig. 4, right): a strided stem, then four stacks of N blocks with poolings between.
    "imagenet": Template(stages=4, repeats=3, filters=64, stem_stride=2, stem_pool=True, input_size=224),
}


class BlockQNN(Classifier):
    """stem (3x3 conv, BN), `stages.S.K` blocks with `pools.S` between stages, global pooling, linear."""

    def __init__(
        self,
        codes: Iterable[Sequence[int] | NSC],
        template: Template,
        num_classes: int = 10,
        in_chans: int = 3,
        drop_rate: float = 0.0,
        max_layers: int = MAX_LAYERS,
    ) -> None:
        super().__init__(num_classes, in_chans, (template.input_size, template.input_size), 1)
        self.codes = parse_block(codes, max_layers)
        self.template = template
        filters = template.filters
        stem = [
            nn.Conv2d(in_chans, filters, 3, template.stem_stride, 1, bias=False),
            nn.BatchNorm2d(filters),
        ]
        if template.stem_pool:
            stem.append(nn.MaxPool2d(3, 2, 1))
        self.stem = nn.Sequential(*stem)
        reduction = template.stem_stride * (2 if template.stem_pool else 1)
        self.stages, self.pools, self.feature_info = nn.ModuleList(), nn.ModuleList(), []
        in_chs = filters
        for s in range(template.stages):
            if s:
                self.pools.append(nn.MaxPool2d(3, 2, 1))
                reduction *= 2
            width = filters * 2**s
            stage = nn.Sequential()
            for _ in range(template.repeats):
                stage.append(Block(self.codes, in_chs, width))
                in_chs = width
            self.stages.append(stage)
            self.feature_info.append(dict(module=f"stages.{s}", num_chs=in_chs, reduction=reduction))
        self.act = nn.ReLU()  # the blocks end in BN (pre-activation cells): activate before pooling
        self.feature_info[-1]["module"] = "act"
        self.num_features = in_chs
        self.head = ClassifierHead(in_chs, num_classes, drop_rate=drop_rate)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.stem(x)
        for s, stage in enumerate(self.stages):
            if s:
                x = self.pools[s - 1](x)
            x = stage(x)
        return self.act(x)

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        pools = [(f"pools.{s - 1}", self.pools[s - 1]) for s in range(1, len(self.stages))]
        stages = [(f"stages.{s}", stage) for s, stage in enumerate(self.stages)]
        between = [step for pair in zip(pools, stages[1:], strict=True) for step in pair]
        return [("stem", self.stem), stages[0], *between, ("act", self.act)]


# The blocks the paper reports (Fig. 5, Table 5). PROVISIONAL: these codes could not be checked
# against the paper's figure when they were written (see the cards' notes); the ImageNet numbers
# on the cards are the paper's, the parameter counts those of the codes below.
BLOCKQNN_B = (
    (1, CONV, 1, 0, 0),
    (2, CONV, 3, 1, 0),
    (3, CONV, 1, 0, 0),
    (4, CONV, 5, 3, 0),
    (5, AVG_POOL, 3, 0, 0),
    (6, CONV, 1, 5, 0),
    (7, CONCAT, 0, 2, 4),
    (8, CONCAT, 0, 7, 6),
    (9, CONV, 1, 8, 0),
    (10, ADD, 0, 9, 0),
    (11, TERMINAL, 0, 0, 0),
)
BLOCKQNN_S = (
    (1, CONV, 1, 0, 0),
    (2, CONV, 3, 1, 0),
    (3, CONV, 3, 0, 0),
    (4, ADD, 0, 2, 3),
    (5, ADD, 0, 4, 0),
    (6, TERMINAL, 0, 0, 0),
)

_VARIANTS = (  # name, codes, Table 5: top-1 / top-5 error (%), ImageNet, N = 3
    ("blockqnn_b", BLOCKQNN_B, 24.3, 7.40),
    ("blockqnn_s", BLOCKQNN_S, 22.6, 6.46),
)
_PARAMS = {"blockqnn_b": 41_986_344, "blockqnn_s": 18_830_760}


def blockqnn_card(name: str, top1_err: float, top5_err: float) -> ModelCard:
    """The card of Block-QNN-B or -S in the ImageNet template."""
    template = TEMPLATES["imagenet"]
    label = "Block-QNN-" + name.rsplit("_", 1)[1].upper()
    note = f"{label}, N = {template.repeats}, Table 5"
    return ModelCard(
        name=name,
        family="blockqnn",
        paper=PAPER,
        input_size=(3, template.input_size, template.input_size),
        params=_PARAMS[name],
        results=(
            PaperResult("top-1 error", top1_err, "ImageNet", "val", note),
            PaperResult("top-5 error", top5_err, "ImageNet", "val", note),
        ),
        notes=(
            f"{label} stacked in the ImageNet template ({template.stages} stages of N = {template.repeats} "
            f"blocks, {template.filters} filters doubling after each pooling). The block's codes are "
            "provisional: they could not be checked against the paper's Fig. 5 when written. convzoo's "
            "choices where the paper is silent: a 1x1 pre-activation conv matches widths before an "
            "elemental add and brings the concatenated output back to the stage's filters."
        ),
    )


for _name, _codes, _top1_err, _top5_err in _VARIANTS:
    register_builder(
        blockqnn_card(_name, _top1_err, _top5_err),
        BlockQNN,
        doc=f"Block-QNN-{_name.rsplit('_', 1)[1].upper()} in the ImageNet template.",
        codes=_codes,
        template=TEMPLATES["imagenet"],
        num_classes=1000,
    )
