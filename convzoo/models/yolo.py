"""YOLO v1, Redmon, Divvala, Girshick & Farhadi 2016, "You Only Look Once: Unified, Real-Time Object
Detection".

`yolo_v1` is Figure 3 exactly: 24 convolutional layers (the 1x1 reduction layers followed by 3x3
convolutions), two fully connected layers, leaky ReLU (0.1) after every layer but the last, which is
linear (Section 2.2), dropout 0.5 after the first fully connected layer (Section 2.2), a 448x448
input and a 7 x 7 x 30 output: S = 7 cells a side, B = 2 boxes and C = 20 PASCAL VOC classes per
cell. There is no batch normalisation (it came with YOLO v2).

`fast_yolo_v1` is the paper's Fast YOLO ("9 instead of 24 [convolutional layers] and fewer filters
in those layers", Section 2): the paper gives no widths, so they are those of darknet's
yolo-tiny.cfg, the configuration the authors released for it: six 3x3 convolutions of 16, 32, 64,
128, 256 and 512 filters, each followed by 2x2 max-pooling, three 3x3 convolutions of 1024, and
fully connected layers of 256 and 4096 before the 1470 outputs.

`yolo_v1_resnet18` is the paper's detection part on a zoo classifier (Section 2.2: "we add four
convolutional layers and two fully connected layers with randomly initialized weights" to the
pretrained convolutional layers): the classifier's last stage (stride 32), then 3x3-1024,
3x3-1024/2, 3x3-1024, 3x3-1024, FC 4096, dropout and the 7 x 7 x 30 output.

`yolo_v1_mini` is a reduced-input configuration, not in the paper, that trains on two CPU cores:
112x112 input, five Fast-YOLO-style stages (8 ... 128 filters, BatchNorm because it trains from
scratch, without the paper's ImageNet pretraining), one 512-wide fully connected layer without
dropout (a 256-wide one under dropout 0.5 learned next to nothing in minutes on a CPU).

`yolo_v1_mini_classifier` is the pretraining network of Section 2.2 for it: the paper pretrains
its first 20 convolutional layers "followed by a average-pooling layer and a fully connected layer"
on ImageNet classification at half the detection resolution, then trains the detector on them.
Here all of the mini's convolutions, under the detector's names (`features.conv1`, ...) so that
`convzoo train yolo_v1_mini --init-from RUN` copies them, learn the four classes of `shapes`.
From scratch on shapes-detect's 512 training images the detector's class term stays near chance
while its boxes learn; from these weights it learns the classes, though its boxes then learn more
slowly (benchmarks/RESULTS-detection.md and RESULTS-detection-pretrained.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier, Detections, Detector, is_symbolic
from ..detection.boxes import BoxTargets
from ..detection.yolo_loss import LOSS_TERMS, YoloGrid, decode_grid, yolo_loss
from ..layers.conv import ConvNormAct
from ..layers.heads import ClassifierHead
from ..registry import register_model
from ._builder import register_on_backbones
from ._features import BackboneFeatures

PAPER = Paper(
    title="You Only Look Once: Unified, Real-Time Object Detection",
    authors="J. Redmon, S. Divvala, R. Girshick, A. Farhadi",
    year=2016,
    link="https://arxiv.org/abs/1506.02640",
)

# Figure 3, left to right: "KxK-N" a KxK convolution with N filters, "/2" stride 2, "M" 2x2 max-pool.
YOLO_V1_LAYERS: tuple[str, ...] = (
    "7x7-64/2", "M",
    "3x3-192", "M",
    "1x1-128", "3x3-256", "1x1-256", "3x3-512", "M",
    *("1x1-256", "3x3-512") * 4, "1x1-512", "3x3-1024", "M",
    *("1x1-512", "3x3-1024") * 2, "3x3-1024", "3x3-1024/2",
    "3x3-1024", "3x3-1024",
)  # fmt: skip
# The last four convolutions are the ones Section 2.2 adds on top of the 20 pretrained ones.
DETECTION_LAYERS: tuple[str, ...] = YOLO_V1_LAYERS[-4:]

# darknet's yolo-tiny.cfg (Fast YOLO): nine 3x3 convolutions.
FAST_YOLO_V1_LAYERS: tuple[str, ...] = (
    "3x3-16", "M", "3x3-32", "M", "3x3-64", "M", "3x3-128", "M", "3x3-256", "M", "3x3-512", "M",
    "3x3-1024", "3x3-1024", "3x3-1024",
)  # fmt: skip

YOLO_V1_MINI_LAYERS: tuple[str, ...] = (
    "3x3-8", "M", "3x3-16", "M", "3x3-32", "M", "3x3-64", "M", "3x3-128", "3x3-128",
)  # fmt: skip


def parse_layer(item: str) -> tuple[int, int, int] | None:
    """(kernel, filters, stride) of a conv entry ("3x3-1024/2" -> (3, 1024, 2)); None for "M"."""
    if item == "M":
        return None
    m = re.fullmatch(r"(\d)x\1-(\d+)(?:/(\d))?", item)
    if not m:
        raise ValueError(f"not a layer of a YOLO configuration: {item!r}")
    return int(m[1]), int(m[2]), int(m[3] or 1)


def leaky() -> nn.Module:
    return nn.LeakyReLU(0.1, inplace=True)


def conv_layers(
    layers: Sequence[str], in_chs: int, batch_norm: bool = False
) -> tuple[nn.Sequential, int, int]:
    """The convolutions (`conv1`, ...) and max-pools (`pool1`, ...) of a configuration; also returns
    the output width and total stride."""
    seq, convs, pools, stride = nn.Sequential(), 0, 0, 1
    for item in layers:
        spec = parse_layer(item)
        if spec is None:
            pools += 1
            seq.add_module(f"pool{pools}", nn.MaxPool2d(2, 2))
            stride *= 2
            continue
        kernel, filters, s = spec
        convs += 1
        norm = nn.BatchNorm2d if batch_norm else None
        seq.add_module(f"conv{convs}", ConvNormAct(in_chs, filters, kernel, s, norm=norm, act=leaky))
        in_chs, stride = filters, stride * s
    return seq, in_chs, stride


def conv_stages(features: nn.Sequential) -> list[dict]:
    """feature_info of conv_layers' output: the last convolution before each max-pool, and the last."""
    stages, reduction, last = [], 1, None
    for name, module in features.named_children():
        if isinstance(module, nn.MaxPool2d):
            stages.append(dict(module=f"features.{last[0]}", num_chs=last[1], reduction=reduction))
            reduction *= 2
            continue
        stride = module.conv.stride[0]
        if stride > 1 and last is not None:
            stages.append(dict(module=f"features.{last[0]}", num_chs=last[1], reduction=reduction))
        reduction *= stride
        last = (name, module.conv.out_channels)
    stages.append(dict(module=f"features.{last[0]}", num_chs=last[1], reduction=reduction))
    return stages


class YoloHead(nn.Module):
    """Flatten the S x S map, the fully connected layers (`fc1`, ... each leaky, dropout after the
    first), and the linear output layer `fc` with S * S * (5B + C) outputs."""

    def __init__(self, in_chs: int, grid: YoloGrid, hidden: Sequence[int] = (4096,), drop_rate: float = 0.5):
        super().__init__()
        self.grid = grid
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_chs * grid.S * grid.S
        for i, h in enumerate(hidden):
            layers += [nn.Linear(width, h), leaky()]
            if i == 0:
                layers.append(nn.Dropout(drop_rate))
            width = h
        self.hidden = nn.Sequential(*layers)
        self.fc = nn.Linear(width, grid.S * grid.S * grid.depth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.grid.S
        return self.fc(self.hidden(x)).view(-1, s, s, self.grid.depth)


class YoloDetector(Detector):
    """The YOLO v1 contract: forward -> N x S x S x (5B + C), decode, the Eq. 3 loss.

    The fully connected head sees an S x S map, so the input size is fixed: S times the stride.
    """

    loss_terms = LOSS_TERMS
    grid: YoloGrid
    input_side: int

    def __init__(self, grid: YoloGrid, in_chans: int, stride: int) -> None:
        side = grid.S * stride
        super().__init__(grid.C, in_chans, (side, side), side)
        self.grid, self.input_side = grid, side

    def check_input(self, x: torch.Tensor) -> None:
        super().check_input(x)
        if not is_symbolic(x) and tuple(x.shape[-2:]) != (self.input_side, self.input_side):
            h, w = x.shape[-2:]
            raise ValueError(
                f"{self.model_name} takes exactly {self.input_side}x{self.input_side} input (its fully "
                f"connected layers see a {self.grid.S}x{self.grid.S} map); got {h}x{w}"
            )

    def output_shape(self, input_size: tuple[int, int]) -> tuple[int, int, int]:
        return (self.grid.S, self.grid.S, self.grid.depth)

    def decode(
        self,
        out: torch.Tensor,
        image_size: tuple[int, int] | None = None,
        score_threshold: float = 0.2,
        iou_threshold: float = 0.5,
        max_detections: int = 100,
    ) -> list[Detections]:
        size = image_size or (self.input_side, self.input_side)
        return decode_grid(out, self.grid, size, score_threshold, iou_threshold, max_detections)

    def loss(self, out: torch.Tensor, targets: list[BoxTargets]) -> dict[str, torch.Tensor]:
        return yolo_loss(out, targets, self.grid)


class YoloV1(YoloDetector):
    """A configuration's convolutions (`features`) and the fully connected head (`head`)."""

    def __init__(
        self,
        layers: Sequence[str] = YOLO_V1_LAYERS,
        num_classes: int = 20,
        in_chans: int = 3,
        S: int = 7,
        B: int = 2,
        hidden: Sequence[int] = (4096,),
        batch_norm: bool = False,
        drop_rate: float = 0.5,
    ) -> None:
        grid = YoloGrid(S, B, num_classes)
        features, width, stride = conv_layers(layers, in_chans, batch_norm)
        super().__init__(grid, in_chans, stride)
        self.features = features
        self.head = YoloHead(width, grid, hidden, drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.head(self.features(x))


class YoloV1Classifier(Classifier):
    """Section 2.2's pretraining network: a configuration's convolutions (`features`, named as in
    YoloV1 so that their weights carry over), global average pooling and one linear layer (`head`)."""

    def __init__(
        self,
        layers: Sequence[str] = YOLO_V1_MINI_LAYERS,
        num_classes: int = 4,
        in_chans: int = 3,
        input_size: int = 56,
        batch_norm: bool = True,
    ) -> None:
        features, width, stride = conv_layers(layers, in_chans, batch_norm)
        super().__init__(num_classes, in_chans, (input_size, input_size), stride)
        self.features = features
        self.num_features = width
        self.head = ClassifierHead(width, num_classes)
        self.feature_info = conv_stages(features)

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [(f"features.{name}", m) for name, m in self.features.named_children()]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.features(x)


class YoloOnBackbone(YoloDetector):
    """A zoo classifier up to its stride-32 stage (`encoder`), the four added convolutions
    (`neck`) and the fully connected head (`head`); 448x448 input as in the paper."""

    def __init__(self, backbone: str | nn.Module, num_classes: int = 20, in_chans: int | None = None) -> None:
        encoder = BackboneFeatures(backbone, in_chans, min_reduction=32)
        encoder.feature_info = encoder.feature_info[-1:]
        last = encoder.feature_info[0]
        if last["reduction"] != 32:
            raise ValueError(f"{encoder.backbone_name} has no stride-32 stage for the YOLO head")
        neck, width, stride = conv_layers(DETECTION_LAYERS, last["num_chs"])
        grid = YoloGrid(7, 2, num_classes)
        super().__init__(grid, encoder.in_chans, last["reduction"] * stride)  # 7 * 64 = 448
        self.encoder, self.neck = encoder, neck
        self.head = YoloHead(width, grid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.head(self.neck(self.encoder(x)[-1]))


VOC = "PASCAL VOC 2007"


def voc_results(map_: float, fps: float) -> tuple[PaperResult, ...]:
    """Table 1: mAP on VOC 2007 test (trained on VOC 2007+2012) and frames per second on a Titan X."""
    return (
        PaperResult("mAP", map_, VOC, "test", "trained on VOC 2007+2012, Table 1"),
        PaperResult("FPS", fps, VOC, "test", "Titan X GPU, Table 1"),
    )


CARD = ModelCard(
    name="yolo_v1",
    family="yolo",
    task="detection",
    paper=PAPER,
    input_size=(3, 448, 448),
    params=271_703_550,
    results=voc_results(63.4, 45.0),
    notes="Figure 3: 24 conv layers, 2 fully connected, leaky ReLU 0.1, no BatchNorm; output "
    "7x7x30 laid out per cell as B=2 boxes (x, y, sqrt w, sqrt h, confidence) then 20 class "
    "probabilities (darknet stores the same numbers grouped by kind).",
)


@register_model(CARD)
def yolo_v1(num_classes: int = 20, in_chans: int = 3) -> YoloV1:
    """YOLO v1, Figure 3."""
    return YoloV1(YOLO_V1_LAYERS, num_classes, in_chans)


@register_model(
    CARD.variant(
        name="fast_yolo_v1",
        params=45_089_374,
        results=voc_results(52.7, 155.0),
        notes="9 conv layers (Section 2); widths from darknet's yolo-tiny.cfg (16-512 with max-pools, "
        "3x 1024), fully connected 256 and 4096, no BatchNorm.",
    )
)
def fast_yolo_v1(num_classes: int = 20, in_chans: int = 3) -> YoloV1:
    """Fast YOLO."""
    return YoloV1(FAST_YOLO_V1_LAYERS, num_classes, in_chans, hidden=(256, 4096))


@register_model(
    CARD.variant(
        name="yolo_v1_mini",
        input_size=(3, 112, 112),
        params=4_212_230,
        results=(),
        notes="Not in the paper: a 112x112 configuration for two CPU cores (5 Fast-YOLO-style stages "
        "of 8-128 filters with BatchNorm, FC 512, no dropout), S=7, B=2; the loss, decoding and "
        "output layout are the paper's.",
    )
)
def yolo_v1_mini(num_classes: int = 20, in_chans: int = 3) -> YoloV1:
    """YOLO v1 at 112x112 for CPUs."""
    return YoloV1(YOLO_V1_MINI_LAYERS, num_classes, in_chans, hidden=(512,), batch_norm=True, drop_rate=0.0)


@register_model(
    CARD.variant(
        name="yolo_v1_mini_classifier",
        task="classification",
        input_size=(3, 56, 56),
        params=246_860,
        results=(),
        notes="Not in the paper: Section 2.2's pretraining network (convolutions, average pooling, one "
        "fully connected layer) for yolo_v1_mini's convolutions, at half its resolution as the paper "
        "pretrains at 224 for 448; `train yolo_v1_mini --init-from RUN` starts the detector from it.",
    )
)
def yolo_v1_mini_classifier(num_classes: int = 4, in_chans: int = 3) -> YoloV1Classifier:
    """yolo_v1_mini's convolutions as a classifier, to pretrain them."""
    return YoloV1Classifier(YOLO_V1_MINI_LAYERS, num_classes, in_chans)


_BACKBONES = (  # name, zoo classifier, parameters at 20 classes, input size
    ("yolo_v1_resnet18", "resnet18", 255_758_334, (3, 448, 448)),
)

register_on_backbones(
    CARD.variant(
        name="yolo_v1_on_backbone",
        params=0,
        results=(),
        notes="The paper's detection part (4 conv layers, FC 4096, dropout 0.5, 7x7x30) on convzoo's "
        "{backbone} up to its stride-32 stage, in place of YOLO's 20 pretrained conv layers.",
    ),
    _BACKBONES,
    YoloOnBackbone,
    num_classes=20,
)
