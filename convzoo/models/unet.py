"""U-Net, Ronneberger, Fischer & Brox 2015, "U-Net: Convolutional Networks for Biomedical Image Segmentation".

`unet` is Fig. 1 exactly: a 572x572 single-channel tile, unpadded 3x3 convolutions (each shrinks
the map by 2 pixels), 2x2 max-pooling, 2x2 up-convolutions that halve the channels, the
contracting path's maps cropped to the centre and concatenated, and a 1x1 convolution to 2 classes
on the 388x388 output map. Valid input sizes are those where every pooled map is even
(188 + 16k: 188, 204, ..., 572, ...); others are refused, naming the nearest valid sizes.

`unet_padded` pads every 3x3 convolution by 1, so the output map has the input's size
(`batch_norm=True` adds BatchNorm after each, 31,036,546 parameters); inputs must be divisible by 16
(or build with `pad_input=True`: the input is mirrored up to the next multiple of 16, the paper's
overlap-tile extrapolation, and the output cropped back).

`unet_from_backbone(name)` builds a U-Net whose contracting path is any zoo classifier, joined at
the stages its `feature_info` lists (`unet_vgg11`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import DensePredictor, is_symbolic
from ..layers.decoder import DoubleConv, UpBlock, crop_like
from ..registry import register_model
from ._builder import register_on_backbones
from ._features import BackboneFeatures

PAPER = Paper(
    title="U-Net: Convolutional Networks for Biomedical Image Segmentation",
    authors="O. Ronneberger, P. Fischer, T. Brox",
    year=2015,
    link="https://arxiv.org/abs/1505.04597",
)


@dataclass(frozen=True)
class UNetConfig:
    """Fig. 1 as data: the channels of each level, top to bottom, and how the convolutions pad."""

    widths: tuple[int, ...] = (64, 128, 256, 512, 1024)
    padding: int = 0  # 0: the paper's unpadded convolutions; 1: maps keep their size
    batch_norm: bool = False  # not in the paper

    @property
    def depth(self) -> int:
        """The number of 2x2 max-poolings (and of up-convolutions)."""
        return len(self.widths) - 1


def level_sizes(size: int, config: UNetConfig) -> list[int] | None:
    """Side of every level's map after its two convolutions, contracting then expanding path.

    None when a pooled map would be odd or a map would vanish. For the paper's 572:
    [568, 280, 136, 64, 28, 52, 100, 196, 388].
    """
    shrink = 2 * (2 - 2 * config.padding)  # two 3x3 convolutions
    sizes = []
    for level in range(config.depth + 1):
        size = (size // 2 if level else size) - shrink
        if size < 1 or (level < config.depth and size % 2):
            return None
        sizes.append(size)
    for _ in range(config.depth):
        size = 2 * size - shrink
        if size < 1:
            return None
        sizes.append(size)
    return sizes


def reflect_pad_to_multiple(x: torch.Tensor, step: int) -> torch.Tensor:
    """x mirrored out to sides divisible by `step`, the padding split evenly (the extra pixel
    after): the padded U-Net's input, cropped back by crop_like."""
    h, w = x.shape[-2:]
    ph, pw = -h % step, -w % step
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode="reflect")


# Python arithmetic on the input's size: torch.fx records these as calls instead of tracing into them
torch.fx.wrap("reflect_pad_to_multiple")
torch.fx.wrap("crop_like")  # imported: wrapped here too (fx patches the calling module's globals)


class UNet(DensePredictor):
    """Contracting path `encoder.0`-`encoder.{depth}` (the last is the bottom), expanding path
    `decoder.0`-..., and the 1x1 convolution `head`."""

    def __init__(
        self,
        config: UNetConfig = UNetConfig(),
        num_classes: int = 2,
        in_chans: int = 1,
        pad_input: bool = False,
        drop_rate: float = 0.5,
    ) -> None:
        if pad_input and config.padding == 0:
            raise ValueError("pad_input=True needs padded convolutions (padding=1)")
        min_size = next(s for s in itertools.count(1) if level_sizes(s, config))
        super().__init__(num_classes, in_chans, (572, 572) if config.padding == 0 else (512, 512), min_size)
        self.config, self.pad_input = config, pad_input
        norm = nn.BatchNorm2d if config.batch_norm else None
        widths = config.widths
        self.encoder = nn.ModuleList(
            DoubleConv(c_in, c_out, config.padding, norm)
            for c_in, c_out in zip((in_chans, *widths[:-1]), widths, strict=True)
        )
        self.pool = nn.MaxPool2d(2, 2)
        # Section 3.1: "Drop-out layers at the end of the contracting path"; the rate is not given
        self.drop = nn.Dropout(drop_rate)
        self.decoder = nn.ModuleList(
            UpBlock(w, w // 2, w // 2, transposed=True, padding=config.padding, norm=norm)
            for w in reversed(widths[1:])
        )
        self.head = nn.Conv2d(widths[0], num_classes, 1)
        self._init_weights()

    def _init_weights(self) -> None:
        # Section 3: Gaussian with std sqrt(2/N), N the incoming nodes of one neuron (9 x 64 = 576
        # for a 3x3 convolution on 64 channels); a 2x2 stride-2 up-convolution feeds each output
        # pixel from one position of every input channel.
        for m in self.modules():
            if isinstance(m, nn.ConvTranspose2d):
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / m.in_channels))
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / (m.weight[0].numel())))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def _valid_sizes_hint(self, size: int) -> str:
        below = next((s for s in range(size - 1, 0, -1) if level_sizes(s, self.config)), None)
        above = next(s for s in itertools.count(size + 1) if level_sizes(s, self.config))
        nearest = f"{below} or {above}" if below else str(above)
        step = 2**self.config.depth
        if self.config.padding == 0:
            rule = f"of {self.min_input_size} + {step}k pixels, so that every pooled map is even"
        else:
            rule = f"divisible by {step} (or build it with pad_input=True)"
        return f"{self.model_name} needs input sides {rule}; for {size} use {nearest}"

    def check_input(self, x: torch.Tensor) -> None:
        """The contract's check, then that the sides give an output window (one line if not)."""
        super().check_input(x)
        if not is_symbolic(x):
            self.output_size(tuple(x.shape[-2:]))

    def output_size(self, input_size: tuple[int, int]) -> tuple[int, int]:
        out = []
        for side in input_size:
            if self.pad_input and side >= self.min_input_size:
                out.append(side)
                continue
            sizes = level_sizes(side, self.config)
            if sizes is None:
                raise ValueError(f"{self._valid_sizes_hint(side)} (got {input_size[0]}x{input_size[1]})")
            out.append(sizes[-1])
        return tuple(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        image = x
        if self.pad_input:
            x = reflect_pad_to_multiple(x, 2**self.config.depth)
        skips = []
        for level, block in enumerate(self.encoder):
            x = block(self.pool(x) if level else x)
            skips.append(x)
        x = self.drop(skips.pop())
        for block in self.decoder:
            x = block(x, skips.pop())
        x = self.head(x)
        return crop_like(x, image) if self.pad_input else x  # the padding was split evenly


class BackboneUNet(DensePredictor):
    """A U-Net whose contracting path is a zoo classifier (`encoder`, see BackboneFeatures).

    The expanding path joins every stage of the classifier's `feature_info`, deepest first: resize
    to the stage's map (nearest neighbour), concatenate, two 3x3 conv-BN-ReLU. Below the finest stage,
    2x steps without a skip (one for VGG's stride-2 first stage, two for ResNet's stride-4 layer1)
    reach the input's size, and a 1x1 convolution gives the classes. Any input the classifier takes
    works; the output has the input's size.
    """

    def __init__(
        self,
        backbone: str | nn.Module,
        num_classes: int = 2,
        in_chans: int | None = None,
        decoder_chs: tuple[int, ...] | None = None,
    ) -> None:
        encoder = BackboneFeatures(backbone, in_chans)
        super().__init__(num_classes, encoder.in_chans, encoder.default_input_size, encoder.min_input_size)
        self.encoder = encoder
        stages = self.encoder.feature_info[::-1]  # deepest first
        # below the finest stage, 2x steps without a skip up to the input's resolution
        self.num_unjoined = max(0, round(math.log2(stages[-1]["reduction"])))
        skips = [e["num_chs"] for e in stages[1:]] + [0] * self.num_unjoined
        decoder_chs = decoder_chs or tuple(max(16, 256 >> i) for i in range(len(skips)))
        if len(decoder_chs) != len(skips):
            raise ValueError(f"decoder_chs needs {len(skips)} widths for {self.encoder.backbone_name}")
        self.decoder = nn.ModuleList()
        width = stages[0]["num_chs"]
        for skip_chs, out_chs in zip(skips, decoder_chs, strict=True):
            self.decoder.append(UpBlock(width, skip_chs, out_chs, transposed=False, norm=nn.BatchNorm2d))
            width = out_chs
        self.head = nn.Conv2d(width, num_classes, 1)

    def output_size(self, input_size: tuple[int, int]) -> tuple[int, int]:
        return tuple(input_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        size = x.shape[-2:]
        maps = self.encoder(x)
        x = maps.pop()
        last = len(self.decoder) - 1
        for i, block in enumerate(self.decoder):
            x = block(x, maps.pop()) if maps else block(x, size=size if i == last else None)
        return self.head(x)


def unet_from_backbone(
    backbone: str | nn.Module,
    num_classes: int = 2,
    in_chans: int | None = None,
    decoder_chs: tuple[int, ...] | None = None,
) -> BackboneUNet:
    """A U-Net on a zoo classifier, given by registered name (built now) or as a built model
    (e.g. one with loaded weights)."""
    return BackboneUNet(backbone, num_classes, in_chans, decoder_chs)


CARD = ModelCard(
    name="unet",
    family="unet",
    task="segmentation",
    paper=PAPER,
    input_size=(1, 572, 572),
    params=31_030_658,
    results=(
        PaperResult("warping error", 0.000353, "ISBI 2012 EM segmentation", "test", "Table 1"),
        PaperResult("rand error", 0.0382, "ISBI 2012 EM segmentation", "test", "Table 1"),
        PaperResult("pixel error", 0.0611, "ISBI 2012 EM segmentation", "test", "Table 1"),
        PaperResult("IOU", 0.9203, "ISBI 2015 cell tracking, PhC-U373", "test", "Table 2"),
        PaperResult("IOU", 0.7756, "ISBI 2015 cell tracking, DIC-HeLa", "test", "Table 2"),
    ),
    notes="Fig. 1 exactly: 572x572 -> 388x388, unpadded convolutions, crop-and-concatenate skips. "
    "Dropout at the end of the contracting path (Section 3.1, no rate given): p=0.5 on the bottom "
    "level's output.",
)


@register_model(CARD)
def unet(num_classes: int = 2, in_chans: int = 1, drop_rate: float = 0.5) -> UNet:
    """The paper's U-Net (Fig. 1)."""
    return UNet(UNetConfig(), num_classes, in_chans, drop_rate=drop_rate)


_PADDED_NOTES = (
    "Not in the paper: 3x3 convolutions padded by 1, so the output has the input's size; sides must "
    "be divisible by 16, or build with pad_input=True to mirror-pad to the next multiple and crop back. "
    "batch_norm=True adds BatchNorm after every 3x3 convolution (31,036,546 parameters)."
)


@register_model(CARD.variant(name="unet_padded", input_size=(1, 512, 512), results=(), notes=_PADDED_NOTES))
def unet_padded(
    num_classes: int = 2,
    in_chans: int = 1,
    pad_input: bool = False,
    batch_norm: bool = False,
    drop_rate: float = 0.5,
) -> UNet:
    """U-Net with same-size ("padded") convolutions; batch_norm=True adds BatchNorm after each 3x3."""
    return UNet(UNetConfig(padding=1, batch_norm=batch_norm), num_classes, in_chans, pad_input, drop_rate)


_SMALL_NOTES = (
    "Not in the paper: a quarter of Fig. 1's widths (16 ... 256 channels), padded 3x3 convolutions "
    "with BatchNorm, for training on a CPU in minutes (see the shapes-seg recipe); depth, skips, "
    "2x2 up-convolutions and the 1x1 head are Fig. 1's."
)


@register_model(
    CARD.variant(
        name="unet_small", input_size=(1, 512, 512), params=1_942_306, results=(), notes=_SMALL_NOTES
    )
)
def unet_small(num_classes: int = 2, in_chans: int = 1, drop_rate: float = 0.5) -> UNet:
    """U-Net at a quarter of the widths, padded convolutions with BatchNorm (any side divisible by 16
    is taken; other sides are mirror-padded up and cropped back)."""
    config = UNetConfig(widths=(16, 32, 64, 128, 256), padding=1, batch_norm=True)
    return UNet(config, num_classes, in_chans, pad_input=True, drop_rate=drop_rate)


_BACKBONES = (  # name, zoo classifier, parameters at 2 classes, input size
    ("unet_vgg11", "vgg11", 13_146_210, (3, 224, 224)),
    ("unet_resnet34", "resnet34", 24_417_826, (3, 224, 224)),
)


register_on_backbones(
    CARD.variant(
        results=(),
        notes="Not in the paper: the contracting path is convzoo's {backbone} (its head removed), joined at "
        "its feature_info stages; the expanding path resizes by nearest-neighbour interpolation instead of "
        "2x2 up-convolutions, pads its convolutions and adds BatchNorm; widths 256, 128, ...",
    ),
    _BACKBONES,
    unet_from_backbone,
    num_classes=2,
)
