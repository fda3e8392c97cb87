"""LeNet-5, LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based learning applied to document recognition".

`lenet5` is the paper's network (Section II.B, Appendix A): trainable subsampling, the partial
C3 connection table (Table I), the scaled tanh 1.7159 tanh(2a/3) and a Euclidean RBF output whose
centres are fixed +-1 bitmaps of the digits (7x12 = 84 = F6's width). 60,000 trainable parameters.
`lenet5_modern` is the usual simplification: ReLU, max-pooling, full C3, a linear output.
"""

from __future__ import annotations

from fractions import Fraction

import torch
from torch import nn
from torch.nn import functional as F

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..registry import register_model

PAPER = Paper(
    title="Gradient-based learning applied to document recognition",
    authors="Y. LeCun, L. Bottou, Y. Bengio, P. Haffner",
    year=1998,
    link="https://doi.org/10.1109/5.726791",
)

# Table I: column j lists the S2 maps (0-5) that C3 map j takes as input.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip

# Fig. 3: the RBF centres are stylised 7x12 bitmaps of the characters, "#" = +1, "." = -1.
DIGIT_BITMAPS: tuple[tuple[str, ...], ...] = (
    (
        ".......",
        "..###..",
        ".#...#.",
        "#.....#",
        "#.....#",
        "#.....#",
        "#.....#",
        "#.....#",
        "#.....#",
        ".#...#.",
        "..###..",
        ".......",
    ),  # 0
    (
        ".......",
        "...#...",
        "..##...",
        ".#.#...",
        "...#...",
        "...#...",
        "...#...",
        "...#...",
        "...#...",
        "...#...",
        ".#####.",
        ".......",
    ),  # 1
    (
        ".......",
        ".#####.",
        "#.....#",
        "......#",
        ".....#.",
        "....#..",
        "...#...",
        "..#....",
        ".#.....",
        "#......",
        "#######",
        ".......",
    ),  # 2
    (
        ".......",
        ".#####.",
        "#.....#",
        "......#",
        "......#",
        "..####.",
        "......#",
        "......#",
        "......#",
        "#.....#",
        ".#####.",
        ".......",
    ),  # 3
    (
        ".......",
        "....##.",
        "...#.#.",
        "..#..#.",
        ".#...#.",
        "#....#.",
        "#######",
        ".....#.",
        ".....#.",
        ".....#.",
        ".....#.",
        ".......",
    ),  # 4
    (
        ".......",
        "#######",
        "#......",
        "#......",
        "######.",
        "......#",
        "......#",
        "......#",
        "......#",
        "#.....#",
        ".#####.",
        ".......",
    ),  # 5
    (
        ".......",
        "..####.",
        ".#.....",
        "#......",
        "#......",
        "######.",
        "#.....#",
        "#.....#",
        "#.....#",
        "#.....#",
        ".#####.",
        ".......",
    ),  # 6
    (
        ".......",
        "#######",
        "......#",
        ".....#.",
        "....#..",
        "...#...",
        "...#...",
        "..#....",
        "..#....",
        "..#....",
        "..#....",
        ".......",
    ),  # 7
    (
        ".......",
        ".#####.",
        "#.....#",
        "#.....#",
        "#.....#",
        ".#####.",
        "#.....#",
        "#.....#",
        "#.....#",
        "#.....#",
        ".#####.",
        ".......",
    ),  # 8
    (
        ".......",
        ".#####.",
        "#.....#",
        "#.....#",
        "#.....#",
        "#.....#",
        ".######",
        "......#",
        "......#",
        ".....#.",
        ".####..",
        ".......",
    ),  # 9
)  # fmt: skip


def digit_codes(num_classes: int) -> torch.Tensor:
    """The fixed RBF centres: the paper's digit bitmaps, then seeded random +-1 codes beyond ten.

    The paper notes centres "could have been chosen at random with equal probabilities for -1
    and +1"; that is what classes past the ten digits get (seed 0, reproducible).
    """
    rows = [[1.0 if c == "#" else -1.0 for c in "".join(bitmap)] for bitmap in DIGIT_BITMAPS]
    codes = torch.tensor(rows[:num_classes])
    if num_classes > len(rows):
        g = torch.Generator().manual_seed(0)
        extra = torch.randint(0, 2, (num_classes - len(rows), 84), generator=g).float() * 2 - 1
        codes = torch.cat([codes, extra])
    return codes


class ScaledTanh(nn.Module):
    """f(a) = A tanh(S a) with A = 1.7159, S = 2/3 (Appendix A): f(+-1) = +-1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class TrainableSubsampling(nn.Module):
    """S2/S4: the sum of each 2x2 block, times a trainable coefficient, plus a trainable bias, per map."""

    def __init__(self, chs: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(chs))
        self.bias = nn.Parameter(torch.zeros(chs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        summed = F.avg_pool2d(x, 2) * 4.0
        return summed * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class PartialConv(nn.Module):
    """C3: a 5x5 convolution where output map j sees only the input maps in `table[j]`.

    Only the connected kernels are parameters (60 x 25 weights + 16 biases = 1,516); they are
    scattered into a dense kernel so the layer runs as one convolution (the fastest way on a CPU).
    `mac_fraction` tells convzoo's MAC counter that only the connected share of that dense
    convolution counts: 60 of 96 kernels, 150,000 MACs at 10x10 (Sec. II.B's 151,600 connections
    less the 1,600 bias terms).
    """

    def __init__(self, table: tuple[tuple[int, ...], ...], in_chs: int, kernel_size: int = 5) -> None:
        super().__init__()
        pairs = [(out, inp) for out, inputs in enumerate(table) for inp in inputs]
        self.in_chs, self.out_chs, self.kernel_size = in_chs, len(table), kernel_size
        self.register_buffer("index", torch.tensor(pairs, dtype=torch.long).T, persistent=False)
        fan_in = torch.tensor([len(t) * kernel_size**2 for t in table], dtype=torch.float)
        bound = (2.4 / fan_in[self.index[0]]).view(-1, 1, 1)  # Appendix C: U(-2.4/Fi, 2.4/Fi)
        self.weight = nn.Parameter((torch.rand(len(pairs), kernel_size, kernel_size) * 2 - 1) * bound)
        self.bias = nn.Parameter(torch.zeros(len(table)))

    @property
    def mac_fraction(self) -> Fraction:
        """The connected kernels' share of the dense out_chs x in_chs convolution that runs."""
        return Fraction(self.weight.shape[0], self.out_chs * self.in_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.kernel_size
        dense = self.weight.new_zeros(self.out_chs, self.in_chs, k, k)
        dense = dense.index_put((self.index[0], self.index[1]), self.weight)
        return F.conv2d(x, dense, self.bias)


class RBFOutput(nn.Module):
    """Euclidean RBF units with fixed centres; returns the negated distances as logits.

    The paper's output y_i = sum_j (x_j - w_ij)^2 is a penalty (smaller is better); convzoo returns
    -y_i so that softmax cross-entropy over the outputs is the paper's MAP criterion (Eq. 9) without
    its constant rubbish-class term.
    """

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.register_buffer("centres", digit_codes(num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -(x.unsqueeze(1) - self.centres.unsqueeze(0)).square().sum(-1)


class LeNetHead(nn.Module):
    """F6 (+ activation) and the output layer; larger inputs average C5's positions first."""

    def __init__(self, num_classes: int, paper: bool) -> None:
        super().__init__()
        self.paper = paper
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.f6 = nn.Linear(120, 84)
        self.act = ScaledTanh() if paper else nn.ReLU(inplace=True)
        self.reset(num_classes)

    def reset(self, num_classes: int) -> None:
        if num_classes == 0:
            self.fc = nn.Identity()
        else:
            self.fc = RBFOutput(num_classes) if self.paper else nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.act(self.f6(self.pool(x).flatten(1)))
        return x if pre_logits else self.fc(x)


class LeNet5(Classifier):
    """LeNet-5 on 32x32 input: C1 - S2 - C3 - S4 - C5 convolutions, then F6 and the output layer.

    Inputs larger than 32x32 run C1-C5 convolutionally and average C5 over positions.
    """

    def __init__(self, num_classes: int = 10, in_chans: int = 1, paper: bool = True) -> None:
        super().__init__(num_classes, in_chans, (32, 32), 32)
        self.num_features = 84
        self.feature_info = [
            dict(module="c1", num_chs=6, reduction=1),
            dict(module="s2", num_chs=6, reduction=2),
            dict(module="c3", num_chs=16, reduction=2),
            dict(module="s4", num_chs=16, reduction=4),
            dict(module="c5", num_chs=120, reduction=4),
        ]
        if paper:
            act, self.c1 = ScaledTanh, nn.Conv2d(in_chans, 6, 5)
            self.s2 = nn.Sequential(TrainableSubsampling(6), act())
            self.c3 = PartialConv(C3_TABLE, 6)
            self.s4 = nn.Sequential(TrainableSubsampling(16), act())
        else:
            act, self.c1 = nn.ReLU, nn.Conv2d(in_chans, 6, 5)
            self.s2 = nn.MaxPool2d(2)
            self.c3 = nn.Conv2d(6, 16, 5)
            self.s4 = nn.MaxPool2d(2)
        self.act1, self.act3, self.act5 = act(), act(), act()
        self.c5 = nn.Conv2d(16, 120, 5)
        self.head = LeNetHead(num_classes, paper)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.s2(self.act1(self.c1(x)))
        x = self.s4(self.act3(self.c3(x)))
        return self.act5(self.c5(x))

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        names = ("c1", "act1", "s2", "c3", "act3", "s4", "c5", "act5")
        return [(name, getattr(self, name)) for name in names]


_CARD = ModelCard(
    name="lenet5",
    family="lenet",
    paper=PAPER,
    input_size=(1, 32, 32),
    params=60_000,
    results=(
        PaperResult("error", 0.95, "MNIST", "test", "no distortions"),
        PaperResult("error", 0.80, "MNIST", "test", "with distortions"),
    ),
    notes=(
        "As published: trainable subsampling, Table I connections, scaled tanh, fixed RBF centres "
        "(digit bitmaps; random +-1 codes past ten classes). The output is the negated RBF penalty. "
        "Inputs larger than 32x32 average C5 over its positions."
    ),
)


@register_model(_CARD)
def lenet5(num_classes: int = 10, in_chans: int = 1) -> LeNet5:
    """LeNet-5 exactly as in the paper (60,000 trainable parameters)."""
    return LeNet5(num_classes, in_chans, paper=True)


@register_model(
    _CARD.variant(
        name="lenet5_modern",
        params=61_706,
        results=(),
        notes="Not in the paper: ReLU, 2x2 max-pooling, fully connected C3 and a linear output layer.",
    )
)
def lenet5_modern(num_classes: int = 10, in_chans: int = 1) -> LeNet5:
    """LeNet-5 with ReLU, max-pooling, full C3 and a linear output: trains fast."""
    return LeNet5(num_classes, in_chans, paper=False)
