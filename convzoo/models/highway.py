"""Highway networks, Srivastava, Greff & Schmidhuber 2015, "Training Very Deep Networks".

A highway layer computes y = H(x) * T(x) + x * (1 - T(x)): a block state H (ReLU of a linear map
or convolution), a transform gate T (sigmoid of another one, of the same shape) and the carry gate
C = 1 - T. The transform-gate biases start negative (Section 2.2) so a fresh network carries its
input through and behaves like a much shallower one.

- `highway_fc10/20/50/100`: the MNIST optimisation nets of Section 3.1 (Fig. 1): a plain fully
  connected layer of 50 units, then 9/19/49/99 fully connected highway layers of 50 blocks, then
  softmax. Here a fully connected layer is a convolution covering the whole 28x28 input (and 1x1
  convolutions after it), so features stay N x 50 x 1 x 1 maps as the model contract asks; larger
  inputs run convolutionally and the head averages the positions.
- `highway_mnist_w16/w32`: the 10-layer convolutional nets of Table 1 (39K / 151K parameters).
- `highway_cifar19`: Highway B of Table 2, 19 layers, 2.3M parameters.
  The convolutional nets follow the authors' released Caffe definitions (Caffe's ceil-mode
  pooling, dropout on the input and after each pooling, gate bias -1 on MNIST and -2 on CIFAR).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..layers.heads import ClassifierHead
from ._builder import register_builder

PAPER = Paper(
    title="Training Very Deep Networks",
    authors="R. K. Srivastava, K. Greff, J. Schmidhuber",
    year=2015,
    link="https://arxiv.org/abs/1507.06228",
)


class HighwayConv2d(nn.Module):
    """y = relu(conv_H(x)) * T + x * (1 - T), T = sigmoid(conv_T(x)); width and size are kept.

    With kernel_size=1 on a 1x1 map this is exactly a fully connected highway layer.
    `gate_bias` initialises the transform gate's bias (negative: carry behaviour at the start).
    """

    def __init__(self, chs: int, kernel_size: int = 3, gate_bias: float = -2.0) -> None:
        super().__init__()
        self.transform = nn.Conv2d(chs, chs, kernel_size, padding=kernel_size // 2)
        self.gate = nn.Conv2d(chs, chs, kernel_size, padding=kernel_size // 2)
        self.act = nn.ReLU()
        nn.init.xavier_uniform_(self.transform.weight)
        nn.init.zeros_(self.transform.bias)
        nn.init.xavier_uniform_(self.gate.weight)
        nn.init.constant_(self.gate.bias, gate_bias)

    def transform_gate(self, x: torch.Tensor) -> torch.Tensor:
        """T(x), in (0, 1): 1 transforms, 0 carries the input through."""
        return torch.sigmoid(self.gate(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.transform_gate(x)
        return self.act(self.transform(x)) * t + x * (1.0 - t)


def plain_conv(in_chs: int, out_chs: int, kernel_size: int, padding: int = 0) -> nn.Sequential:
    """A plain (non-gated) conv + ReLU layer, named `conv`, `act`."""
    return nn.Sequential(
        OrderedDict(conv=nn.Conv2d(in_chs, out_chs, kernel_size, padding=padding), act=nn.ReLU())
    )


class HighwayMLP(Classifier):
    """Plain fully connected layer, `depth - 1` fully connected highway layers, softmax layer."""

    def __init__(
        self,
        depth: int,
        width: int = 50,
        num_classes: int = 10,
        in_chans: int = 1,
        gate_bias: float = -2.0,
        input_size: int = 28,
    ) -> None:
        super().__init__(num_classes, in_chans, (input_size, input_size), input_size)
        self.num_features = width
        self.stem = plain_conv(in_chans, width, input_size)  # fully connected over the whole image
        self.layers = nn.Sequential(*(HighwayConv2d(width, 1, gate_bias) for _ in range(depth - 1)))
        # One output position per input_size x input_size window, a window per pixel on larger
        # inputs: the stride (timm's reduction) is 1.
        self.feature_info = [
            dict(module="stem", num_chs=width, reduction=1),
            dict(module="layers", num_chs=width, reduction=1),
        ]
        self.head = ClassifierHead(width, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.layers(self.stem(x))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("stem", self.stem), ("layers", self.layers)]


@dataclass(frozen=True)
class HighwayStage:
    """A stage of a convolutional highway net, as the authors' network definitions list it."""

    width: int
    highways: int  # 3x3 highway layers
    drop: float  # dropout on the stage's input
    plain_kernel: int | None = None  # a plain conv + ReLU first, setting the width
    plain_padding: int = 0
    pool: tuple[int, int] | None = None  # max-pool (kernel, stride) at the end, Caffe ceil mode
    reduce: int | None = None  # a plain 1x1 conv + ReLU to this width at the end


@dataclass(frozen=True)
class HighwayConvConfig:
    """A convolutional highway net: its stages, input, gate-bias initialisation and head."""

    stages: tuple[HighwayStage, ...]
    input_size: int
    gate_bias: float
    head_pool: int  # the head averages the last map to head_pool x head_pool, then flattens
    head_drop: float
    default_chans: int


MNIST_W32 = HighwayConvConfig(
    stages=(
        HighwayStage(32, 2, 0.2, plain_kernel=5, pool=(3, 2)),
        HighwayStage(32, 3, 0.3, pool=(3, 2)),
        HighwayStage(32, 3, 0.4, pool=(2, 2)),
    ),
    input_size=28,
    gate_bias=-1.0,
    head_pool=3,
    head_drop=0.5,
    default_chans=1,
)
MNIST_W16 = replace(MNIST_W32, stages=tuple(replace(s, width=16) for s in MNIST_W32.stages))
CIFAR_19 = HighwayConvConfig(
    stages=(
        HighwayStage(32, 4, 0.2, plain_kernel=3, plain_padding=1, pool=(2, 2)),
        HighwayStage(80, 5, 0.2, plain_kernel=3, plain_padding=1, pool=(2, 2)),
        HighwayStage(128, 5, 0.2, plain_kernel=3, plain_padding=1, reduce=100),
    ),
    input_size=32,
    gate_bias=-2.0,
    head_pool=1,
    head_drop=0.2,
    default_chans=3,
)


class FlattenHead(nn.Module):
    """Average-pool to pool_size x pool_size (the identity at the paper's input size), dropout, fc."""

    def __init__(self, in_chs: int, pool_size: int, num_classes: int, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.in_features = in_chs * pool_size * pool_size
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(self.in_features, num_classes) if num_classes else nn.Identity()

    def reset(self, num_classes: int) -> None:
        self.fc = nn.Linear(self.in_features, num_classes) if num_classes else nn.Identity()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(self.pool(x).flatten(1))
        return x if pre_logits else self.fc(x)


class HighwayConvNet(Classifier):
    """Stages of [dropout, plain conv, 3x3 highway layers, max-pool / 1x1 conv], then FlattenHead."""

    def __init__(self, config: HighwayConvConfig, num_classes: int = 10, in_chans: int | None = None) -> None:
        in_chans = config.default_chans if in_chans is None else in_chans
        size = config.input_size
        super().__init__(num_classes, in_chans, (size, size), self._smallest_input(config))
        self.stages = nn.Sequential()
        self.feature_info = []
        width, reduction = in_chans, 1
        for i, row in enumerate(config.stages):
            stage = nn.Sequential(OrderedDict(drop=nn.Dropout(row.drop)))
            if row.plain_kernel:
                stage.add_module("plain", plain_conv(width, row.width, row.plain_kernel, row.plain_padding))
            for j in range(row.highways):
                stage.add_module(f"highway{j + 1}", HighwayConv2d(row.width, 3, config.gate_bias))
            width = row.width
            if row.pool:
                stage.add_module("pool", nn.MaxPool2d(*row.pool, ceil_mode=True))
                reduction *= row.pool[1]
            if row.reduce:
                stage.add_module("reduce", plain_conv(width, row.reduce, 1))
                width = row.reduce
            self.stages.append(stage)
            self.feature_info.append(dict(module=f"stages.{i}", num_chs=width, reduction=reduction))
        self.num_features = width * config.head_pool**2
        self.head = FlattenHead(width, config.head_pool, num_classes, config.head_drop)

    @staticmethod
    def _smallest_input(config: HighwayConvConfig) -> int:
        """Smallest input side every unpadded conv and ceil-mode pooling can take."""

        def out_size(n: int) -> int:
            for row in config.stages:
                if row.plain_kernel:
                    n = n + 2 * row.plain_padding - row.plain_kernel + 1
                if n < 1:
                    return 0
                if row.pool:  # torch's ceil mode: the last window may overhang but must start inside
                    k, s = row.pool
                    out = -(-(n - k) // s) + 1
                    n = out - 1 if (out - 1) * s >= n else out
            return n

        return next(n for n in range(1, config.input_size + 1) if out_size(n) >= 1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.stages(x)

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("stages", self.stages)]


_FC_NOTE = (
    "Section 3.1, Fig. 1: a plain fully connected layer of 50 ReLU units, {n} fully connected "
    "highway layers of 50 blocks, softmax. The paper tuned each net by random search, including "
    "the transform-gate bias (between -1 and -10); convzoo defaults to -2 (gate_bias=...). "
    "The paper shows training curves only (no test error)."
)
_MNIST_NOTE = (
    "Table 1: a plain 5x5 conv and eight 3x3 highway layers of {w} maps in three stages (3x3/2, "
    "3x3/2 and 2x2/2 max-pooling), dropout, a softmax layer: 10 layers, {k} parameters in the paper."
)
_CIFAR_NOTE = (
    "Highway B of Table 2 as the authors' released 19-layer definition: stages of 32, 80, 128 maps "
    "(a plain 3x3 conv then 4, 5, 5 highway layers), 2x2 max-pooling, a 1x1 conv to 100 maps, "
    "global average pooling, fc; dropout 0.2 on the input and after each pooling. The paper's 2.3M "
    "parameters count a 100-way output layer (the released file's); at 10 classes it has 2,256,838. "
    "Highway A and C (11 and 32 layers) are left out: the paper does not give their layers."
)


def _accuracy(value: float, dataset: str, note: str) -> tuple[PaperResult, ...]:
    return (PaperResult("accuracy", value, dataset, "test", note),)


# name: (what builds it, parameters at 10 classes, results, notes)
HIGHWAYS = {
    "highway_fc10": (10, 85_660, (), _FC_NOTE.format(n=9)),
    "highway_fc20": (20, 136_660, (), _FC_NOTE.format(n=19)),
    "highway_fc50": (50, 289_660, (), _FC_NOTE.format(n=49)),
    "highway_fc100": (100, 544_660, (), _FC_NOTE.format(n=99)),
    "highway_mnist_w16": (
        MNIST_W16,
        38_986,
        _accuracy(99.43, "MNIST", "Table 1, best of 5 runs (mean 99.4 +- 0.03)"),
        _MNIST_NOTE.format(w=16, k="39K"),
    ),
    "highway_mnist_w32": (
        MNIST_W32,
        151_690,
        _accuracy(99.55, "MNIST", "Table 1, best of 5 runs (mean 99.54 +- 0.02)"),
        _MNIST_NOTE.format(w=32, k="151K"),
    ),
    "highway_cifar19": (
        CIFAR_19,
        2_256_838,
        _accuracy(92.46, "CIFAR-10", "Table 2, Highway B; mean of 5 runs 92.28 +- 0.16"),
        _CIFAR_NOTE,
    ),
}


for _name, (_arch, _params, _results, _notes) in HIGHWAYS.items():
    _fully_connected = isinstance(_arch, int)
    _chans, _size = (1, 28) if _fully_connected else (_arch.default_chans, _arch.input_size)
    _card = ModelCard(
        name=_name,
        family="highway",
        paper=PAPER,
        input_size=(_chans, _size, _size),
        params=_params,
        results=_results,
        notes=_notes,
    )
    if _fully_connected:
        _doc = f"Fully connected highway network of {_arch} layers, 50 blocks wide."
        register_builder(_card, HighwayMLP, doc=_doc, depth=_arch, width=50)
    else:
        register_builder(_card, HighwayConvNet, doc=f"Convolutional highway network {_name}.", config=_arch)
