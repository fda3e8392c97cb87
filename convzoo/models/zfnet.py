"""ZFNet, Zeiler & Fergus 2013, "Visualizing and Understanding Convolutional Networks" (Fig. 3).

AlexNet with a 7x7/2 first layer instead of 11x11/4, a 5x5/2 second layer, dense (single-tower)
layers 3-5, and contrast normalisation across maps in layers 1 and 2 - after the pooling, as the
caption of Fig. 3 orders them (rectified -> max-pooled 3x3/2 -> contrast-normalised), where AlexNet
normalises before it pools.
"""

from __future__ import annotations

from ..cards import ModelCard, Paper, PaperResult
from ..layers.plain import ConvRow
from ..registry import register_model
from .alexnet import AlexNet

PAPER = Paper(
    title="Visualizing and Understanding Convolutional Networks",
    authors="M. D. Zeiler, R. Fergus",
    year=2013,
    link="https://arxiv.org/abs/1311.2901",
)

# Fig. 3: 224 -> 110 -> 55 -> 26 -> 13 -> 13 -> 13 -> 6 with Caffe's ceil-mode pooling.
ZFNET_ROWS = (
    ConvRow(96, 7, stride=2, padding=1, lrn=True, pool=True, pool_first=True),
    ConvRow(256, 5, stride=2, lrn=True, pool=True, pool_first=True),
    ConvRow(384, 3, padding=1),
    ConvRow(384, 3, padding=1),
    ConvRow(256, 3, padding=1, pool=True),
)


@register_model(
    ModelCard(
        name="zfnet",
        family="zfnet",
        paper=PAPER,
        input_size=(3, 224, 224),
        params=62_357_608,
        results=(
            PaperResult("top-1 error", 38.4, "ILSVRC-2012", "val", "one net, Fig. 3 model"),
            PaperResult("top-5 error", 16.5, "ILSVRC-2012", "val", "one net, Fig. 3 model"),
            PaperResult("top-5 error", 14.8, "ILSVRC-2012", "test", "6 convnets"),
        ),
        notes=(
            "Contrast normalisation across maps is AlexNet's LRN (size 5, alpha 1e-4, beta 0.75, k 2), "
            "applied after the max-pooling as Fig. 3's caption orders them; "
            "padding 1 in layer 1 and ceil-mode pooling give Fig. 3's 110/55/26/13/6 map sizes."
        ),
    )
)
def zfnet(num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.5) -> AlexNet:
    """ZFNet as in Fig. 3 of the paper."""
    return AlexNet(ZFNET_ROWS, num_classes, in_chans, 224, 47, towers=1, ceil_mode=True, drop_rate=drop_rate)
