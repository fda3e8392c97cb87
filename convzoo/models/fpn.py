"""FPN, Lin et al. 2017, "Feature Pyramid Networks for Object Detection", over any zoo classifier.

`FeaturePyramid(backbone)` is Section 3 on the stages of a classifier's `feature_info` from stride
4 on (conv1 is left out "due to its large memory footprint"): a 1x1 lateral convolution per stage,
the top-down path (nearest-neighbour up-sampling of the coarser map, added to the lateral), and a
3x3 convolution on each merged map "to reduce the aliasing effect of upsampling", all with d = 256
channels and no non-linearities. It returns {"p2": ..., "p5": ...} (Pk has stride 2^k), plus
"p6" (P5 subsampled by 2, Section 4.1) with `extra_p6=True`.

`fpn_vgg11` is a semantic segmentation model on such a pyramid, with the semantic head of
Kirillov et al. 2019 ("Panoptic Feature Pyramid Networks"): each level goes through
3x3 conv-GroupNorm-ReLU + 2x bilinear up-sampling steps down to the finest level's 1/4 scale, the
levels are summed, and a 1x1 convolution and bilinear up-sampling give N x classes x H x W.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..cards import ModelCard, Paper
from ..contract import DensePredictor
from ..layers.conv import ConvNormAct
from ._builder import register_on_backbones
from ._features import BackboneFeatures

PAPER = Paper(
    title="Feature Pyramid Networks for Object Detection",
    authors="T.-Y. Lin, P. Dollár, R. Girshick, K. He, B. Hariharan, S. Belongie",
    year=2017,
    link="https://arxiv.org/abs/1612.03144",
)


def level_name(reduction: int) -> str:
    """Pk names the pyramid level of stride 2^k (P2 at stride 4 ... P5 at stride 32)."""
    return f"p{round(math.log2(reduction))}"


class FeaturePyramid(nn.Module):
    """Lateral 1x1 convs (`lateral.i`), top-down nearest up-sampling + add, 3x3 output convs (`output.i`).

    `backbone` is a registered classifier name or a built classifier (e.g. with loaded weights);
    `feature_info` lists the levels returned, finest first: dict(name, num_chs, reduction).
    """

    def __init__(
        self,
        backbone: str | nn.Module,
        out_chs: int = 256,
        in_chans: int | None = None,
        min_reduction: int = 4,
        extra_p6: bool = False,
    ) -> None:
        super().__init__()
        self.encoder = BackboneFeatures(backbone, in_chans, min_reduction)
        stages = self.encoder.feature_info
        self.out_chs, self.extra_p6 = out_chs, extra_p6
        self.lateral = nn.ModuleList(nn.Conv2d(e["num_chs"], out_chs, 1) for e in stages)
        self.output = nn.ModuleList(nn.Conv2d(out_chs, out_chs, 3, padding=1) for _ in stages)
        reductions = [e["reduction"] for e in stages] + ([2 * stages[-1]["reduction"]] if extra_p6 else [])
        self.feature_info = [dict(name=level_name(r), num_chs=out_chs, reduction=r) for r in reductions]
        for conv in (*self.lateral, *self.output):  # Detectron's FPN initialisation
            nn.init.kaiming_uniform_(conv.weight, a=1)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        maps = self.encoder(x)
        merged = self.lateral[-1](maps[-1])
        levels = [self.output[-1](merged)]
        for i in range(len(maps) - 2, -1, -1):
            lateral = self.lateral[i](maps[i])
            merged = lateral + F.interpolate(merged, size=lateral.shape[-2:], mode="nearest")
            levels.insert(0, self.output[i](merged))
        if self.extra_p6:
            levels.append(F.max_pool2d(levels[-1], kernel_size=1, stride=2))
        return {e["name"]: level for e, level in zip(self.feature_info, levels, strict=True)}


class SemanticHead(nn.Module):
    """Panoptic FPN's semantic branch: every level up-sampled to the finest by conv-GN-ReLU + 2x steps,
    summed, then a 1x1 convolution (`fc`) to the classes."""

    def __init__(
        self, in_chs: int, reductions: list[int], num_classes: int, mid_chs: int = 128, groups: int = 32
    ) -> None:
        super().__init__()
        self.steps = [max(0, round(math.log2(r / reductions[0]))) for r in reductions]
        self.levels = nn.ModuleList(
            nn.Sequential(
                *(
                    ConvNormAct(
                        in_chs if k == 0 else mid_chs, mid_chs, 3, norm=lambda c: nn.GroupNorm(groups, c)
                    )
                    for k in range(max(1, steps))
                )
            )
            for steps in self.steps
        )
        self.fc = nn.Conv2d(mid_chs, num_classes, 1)

    def forward(self, maps: list[torch.Tensor]) -> torch.Tensor:
        size = maps[0].shape[-2:]
        out = 0
        for x, convs, steps in zip(maps, self.levels, self.steps, strict=True):
            for k, conv in enumerate(convs):
                x = conv(x)
                if steps:
                    last = k == len(convs) - 1
                    x = F.interpolate(
                        x, **(dict(size=size) if last else dict(scale_factor=2.0)), mode="bilinear"
                    )
            out = out + x
        return self.fc(out)


class SemanticFPN(DensePredictor):
    """A FeaturePyramid (`pyramid`) and the semantic head (`head`); output at the input's size."""

    def __init__(
        self,
        backbone: str | nn.Module,
        num_classes: int = 21,
        in_chans: int | None = None,
        out_chs: int = 256,
    ) -> None:
        pyramid = FeaturePyramid(backbone, out_chs, in_chans)
        encoder = pyramid.encoder
        super().__init__(num_classes, encoder.in_chans, encoder.default_input_size, encoder.min_input_size)
        self.pyramid = pyramid
        self.head = SemanticHead(out_chs, [e["reduction"] for e in self.pyramid.feature_info], num_classes)

    def output_size(self, input_size: tuple[int, int]) -> tuple[int, int]:
        return tuple(input_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        logits = self.head(list(self.pyramid(x).values()))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear")


_BACKBONES = (  # name, zoo classifier, parameters at 21 classes, input size
    ("fpn_vgg11", "vgg11", 13_568_789, (3, 224, 224)),
)


register_on_backbones(
    ModelCard(
        name="fpn",
        family="fpn",
        task="segmentation",
        paper=PAPER,
        input_size=(3, 224, 224),
        params=0,
        notes="Pyramid P2-P5 of Section 3 on convzoo's {backbone} (its head removed). The segmentation "
        "head is Kirillov et al. 2019's semantic FPN branch (128 channels, GroupNorm 32), not this "
        "paper's (which builds detectors on the pyramid). 21 classes: Pascal VOC's 20 and background.",
    ),
    _BACKBONES,
    SemanticFPN,
    num_classes=21,
)
