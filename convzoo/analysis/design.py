"""The design arithmetic of the lectures, computed from real modules through the MAC counter.

Each topic builds two or more nn.Modules doing the same job (same input and output shape) and
counts them with `convzoo.analysis.summary` on the meta device: parameters, MACs, MACs per output
position and receptive field. Convolutions are bias-free where the lecture's formula counts
weights only (so 5x5 vs 3x3 is exactly 25C^2 vs 18C^2); the Inception, SE and MBConv topics use
convzoo's own blocks, biases and BatchNorm included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from torch import nn

from ..layers.conv import ConvNormAct
from ..layers.inception import conv_relu, inception_block
from ..layers.mbconv import InvertedResidual
from ..layers.se import SqueezeExcite
from .summary import summary
from .table import format_table


@dataclass(frozen=True)
class DesignRow:
    """One way of doing the job: its parameters, MACs and receptive field."""

    name: str
    layers: str
    params: int
    macs: int
    macs_per_position: float
    rf_size: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Design:
    """A comparison: rows, and the MAC and parameter ratios of `baseline` over `alternative`."""

    topic: str
    question: str
    channels: int
    size: int
    rows: tuple[DesignRow, ...]
    baseline: str
    alternative: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def row(self, name: str) -> DesignRow:
        return next(r for r in self.rows if r.name == name)

    @property
    def macs_ratio(self) -> Fraction:
        return Fraction(self.row(self.baseline).macs, self.row(self.alternative).macs)

    @property
    def params_ratio(self) -> Fraction:
        return Fraction(self.row(self.baseline).params, self.row(self.alternative).params)

    def to_dict(self) -> dict:
        return {
            "topic": self.topic,
            "question": self.question,
            "channels": self.channels,
            "size": self.size,
            "rows": [r.to_dict() for r in self.rows],
            "ratio": {
                "of": [self.baseline, self.alternative],
                "macs": float(self.macs_ratio),
                "macs_fraction": str(self.macs_ratio),
                "params": float(self.params_ratio),
            },
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        headers = ("", "layers", "params", "MACs", "MACs / position", "RF")
        rows = [
            (r.name, r.layers, f"{r.params:,}", f"{r.macs:,}", f"{r.macs_per_position:,.0f}", str(r.rf_size))
            for r in self.rows
        ]
        footer = [
            f"ratio {self.baseline} / {self.alternative}: MACs {float(self.macs_ratio):.3f}"
            f" ({self.macs_ratio}), params {float(self.params_ratio):.3f}",
            *self.notes,
        ]
        title = f"{self.question} ({self.channels} channels, {self.size}x{self.size} maps)"
        return format_table(title, headers, rows, footer, right=(2, 3, 4, 5))


def measure(name: str, layers: str, module: nn.Module, channels: int, size: int) -> DesignRow:
    """Count `module` on `channels` maps of `size` x `size` (meta device): one row of a comparison."""
    result = summary(module, (channels, size, size), device="meta")
    last = [r for r in result.layers if r.rf_size is not None][-1]
    positions = last.output_shape[-1] * last.output_shape[-2]
    return DesignRow(
        name, layers, result.total_params, result.total_macs, result.total_macs / positions, last.rf_size[0]
    )


def _convs(channels: int, *kernels: int, widths: tuple[int, ...] | None = None) -> nn.Sequential:
    """Bias-free "same" convolutions: channels -> widths... -> channels (all `channels` by default)."""
    widths = widths or (channels,) * (len(kernels) - 1)
    chans = (channels, *widths, channels)
    return nn.Sequential(
        *(nn.Conv2d(chans[i], chans[i + 1], k, padding=k // 2, bias=False) for i, k in enumerate(kernels))
    )


def _stack(big: int, small: int, count: int) -> Callable[[int, int], Design]:
    def build(channels: int, size: int) -> Design:
        one, many = f"one {big}x{big}", f"{count} x {small}x{small}"
        rows = (
            measure(one, f"{big}x{big} conv", _convs(channels, big), channels, size),
            measure(
                many,
                " + ".join([f"{small}x{small}"] * count),
                _convs(channels, *[small] * count),
                channels,
                size,
            ),
        )
        return Design(
            f"{big}x{big}-vs-{small}x{small}",
            f"one {big}x{big} convolution or {count} stacked {small}x{small} (same receptive field)",
            channels,
            size,
            rows,
            one,
            many,
            (
                f"weights {big * big}C^2 vs {count * small * small}C^2;"
                f" the stack adds {count - 1} more ReLU{'s' if count > 2 else ''}",
            ),
        )

    return build


def bottleneck(channels: int, size: int) -> Design:
    """A 3x3 conv at full width vs ResNet's 1x1 reduce (C/4), 3x3, 1x1 expand (He et al. 2016, Fig. 5)."""
    mid = channels // 4
    rows = (
        measure("3x3 conv", f"3x3 {channels}->{channels}", _convs(channels, 3), channels, size),
        measure(
            "bottleneck",
            f"1x1 {channels}->{mid}, 3x3 {mid}->{mid}, 1x1 {mid}->{channels}",
            _convs(channels, 1, 3, 1, widths=(mid, mid)),
            channels,
            size,
        ),
    )
    notes = (f"per position: {channels}*{channels}*9 vs {channels}*{mid} + {mid}*{mid}*9 + {mid}*{channels}",)
    return Design(
        "bottleneck",
        "a full-width 3x3 conv or a bottleneck block",
        channels,
        size,
        rows,
        *_names(rows),
        notes,
    )


def separable(channels: int, size: int, kernel: int = 3) -> Design:
    """Standard k x k conv vs depthwise k x k + pointwise 1x1 (MobileNet v1, Section 3.1)."""
    depthwise = nn.Sequential(
        nn.Conv2d(channels, channels, kernel, padding=kernel // 2, groups=channels, bias=False),
        nn.Conv2d(channels, channels, 1, bias=False),
    )
    rows = (
        measure(
            "standard", f"{kernel}x{kernel} {channels}->{channels}", _convs(channels, kernel), channels, size
        ),
        measure("separable", f"dw {kernel}x{kernel} + pw 1x1", depthwise, channels, size),
    )
    notes = ("weights K^2*Cin*Cout vs K^2*Cin + Cin*Cout: a ratio of 1 / (1/Cout + 1/K^2)",)
    return Design(
        "separable",
        "a standard convolution or a depthwise separable one",
        channels,
        size,
        rows,
        *_names(rows),
        notes,
    )


# GoogLeNet's inception (3a), Table 1 of Szegedy et al. 2015: 192 -> 64 + 128 + 32 + 32 = 256 maps
NAIVE_3A = {"1x1": "1x1-64", "3x3": "3x3-128", "5x5": "5x5-32", "pool": "max3x3"}
REDUCED_3A = {"1x1": "1x1-64", "3x3": "1x1-96 3x3-128", "5x5": "1x1-16 5x5-32", "pool": "max3x3 1x1-32"}


def inception(channels: int, size: int) -> Design:
    """The naive Inception module (Fig. 2a) vs the one with 1x1 reductions (Fig. 2b), 3a's widths."""
    naive, naive_out, _ = inception_block(NAIVE_3A, channels, conv_relu)
    reduced, reduced_out, _ = inception_block(REDUCED_3A, channels, conv_relu)
    rows = (
        measure("naive", f"1x1, 3x3, 5x5, pool -> {naive_out} maps", naive, channels, size),
        measure(
            "reduced",
            f"1x1 reductions before 3x3, 5x5, after pool -> {reduced_out} maps",
            reduced,
            channels,
            size,
        ),
    )
    notes = ("the naive module also passes all input maps through its pooling branch, so its output grows",)
    return Design(
        "inception",
        "GoogLeNet's inception (3a), naive or dimension-reduced",
        channels,
        size,
        rows,
        *_names(rows),
        notes,
    )


class _WithSE(nn.Sequential):
    """A block followed by squeeze-and-excitation on its output (SE-ResNet, Hu et al. 2018, Fig. 3)."""

    def __init__(self, block: nn.Module, channels: int, reduction: int = 16) -> None:
        super().__init__(block, SqueezeExcite(channels, channels // reduction))


def se(channels: int, size: int) -> Design:
    """A ResNet bottleneck block with and without an SE block (reduction 16) on its output."""
    mid = channels // 4

    def block() -> nn.Module:
        return nn.Sequential(
            ConvNormAct(channels, mid, 1), ConvNormAct(mid, mid, 3), ConvNormAct(mid, channels, 1, act=None)
        )

    rows = (
        measure("with SE", "bottleneck + SE (r=16)", _WithSE(block(), channels), channels, size),
        measure("plain", f"bottleneck {channels}->{mid}->{channels}", block(), channels, size),
    )
    extra = rows[0].params - rows[1].params
    notes = (f"SE adds {extra:,} parameters (2C^2/r + biases) but only {rows[0].macs - rows[1].macs:,} MACs",)
    return Design(
        "se", "what squeeze-and-excitation costs on a stage", channels, size, rows, *_names(rows), notes
    )


EXPANSIONS = (1, 2, 4, 6)


def mbconv(channels: int, size: int, kernel: int = 3) -> Design:
    """MobileNet v2's inverted residual at expansion t = 1, 2, 4, 6, and a plain 3x3 conv for scale."""
    rows = [
        measure(
            f"MBConv t={t}",
            f"1x1 {channels}->{t * channels}, dw {kernel}x{kernel}, 1x1 ->{channels}"
            if t > 1
            else f"dw {kernel}x{kernel}, 1x1 {channels}->{channels}",
            InvertedResidual(channels, channels, kernel, 1, t * channels),
            channels,
            size,
        )
        for t in EXPANSIONS
    ]
    rows.append(measure("3x3 conv", f"3x3 {channels}->{channels}", _convs(channels, 3), channels, size))
    notes = ("MACs grow about linearly with t: 2tC^2 + 9tC per position (+ BatchNorm parameters)",)
    return Design(
        "mbconv",
        "MBConv's cost by expansion ratio",
        channels,
        size,
        tuple(rows),
        "MBConv t=6",
        "MBConv t=1",
        notes,
    )


def _names(rows: tuple[DesignRow, ...]) -> tuple[str, str]:
    return rows[0].name, rows[1].name


# topic -> (builder, default channels, default size)
TOPICS: dict[str, tuple[Callable[[int, int], Design], int, int]] = {
    "5x5-vs-3x3": (_stack(5, 3, 2), 64, 56),
    "7x7-vs-3x3": (_stack(7, 3, 3), 64, 56),
    "bottleneck": (bottleneck, 256, 56),
    "separable": (separable, 256, 56),
    "inception": (inception, 192, 28),
    "se": (se, 256, 56),
    "mbconv": (mbconv, 32, 56),
}


def design(topic: str, channels: int | None = None, size: int | None = None) -> Design:
    """The comparison `topic` (one of TOPICS) at `channels` input maps of `size` x `size`."""
    if topic not in TOPICS:
        raise ValueError(f"unknown design topic {topic!r}; choose from {', '.join(TOPICS)}")
    build, default_channels, default_size = TOPICS[topic]
    channels, size = channels or default_channels, size or default_size
    if channels < 4 or size < 1:
        raise ValueError(f"need at least 4 channels and 1x1 maps, got {channels} channels, {size}x{size}")
    return build(channels, size)


__all__ = ["TOPICS", "Design", "DesignRow", "design", "measure"]
