"""AlexNet, Krizhevsky, Sutskever & Hinton 2012, "ImageNet classification with deep convolutional
neural networks".

`alexnet` is the paper's two-tower network (Fig. 2): conv2, conv4 and conv5 see only their own
tower's maps (groups=2), conv3 and the fully connected layers cross towers, LRN follows conv1
and conv2 within each tower, pooling is overlapping 3x3/2. 60,965,224 parameters.
`alexnet_owt` is the single-tower network of "One weird trick" (Krizhevsky 2014) as torchvision
builds it (64-192-384-256-256), and loads torchvision `alexnet` checkpoints.
"""

from __future__ import annotations

import torch
from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier
from ..layers import MLPHead
from ..layers.plain import ConvRow, conv_stack, stack_feature_info
from ..registry import register_model
from ..weights import rename_keys

PAPER = Paper(
    title="ImageNet Classification with Deep Convolutional Neural Networks",
    authors="A. Krizhevsky, I. Sutskever, G. E. Hinton",
    year=2012,
    link="https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks",
)
OWT_PAPER = Paper(
    title="One weird trick for parallelizing convolutional neural networks",
    authors="A. Krizhevsky",
    year=2014,
    link="https://arxiv.org/abs/1404.5997",
)

# Section 3.5 / Fig. 2 (both towers together; groups=2 keeps the towers apart).
ALEXNET_ROWS = (
    ConvRow(96, 11, stride=4, lrn=True, pool=True),
    ConvRow(256, 5, padding=2, groups=2, lrn=True, pool=True),
    ConvRow(384, 3, padding=1),
    ConvRow(384, 3, padding=1, groups=2),
    ConvRow(256, 3, padding=1, groups=2, pool=True),
)
# torchvision's single-tower AlexNet.
OWT_ROWS = (
    ConvRow(64, 11, stride=4, padding=2, pool=True),
    ConvRow(192, 5, padding=2, pool=True),
    ConvRow(384, 3, padding=1),
    ConvRow(256, 3, padding=1),
    ConvRow(256, 3, padding=1, pool=True),
)


class AlexNet(Classifier):
    """A plain conv stack (ConvRow table) and the fc6-fc7-fc head with dropout 0.5.

    The head average-pools the last map to 6x6, the identity at the paper's input size, so other
    sizes down to `min_input_size` work as well.
    """

    def __init__(
        self,
        rows: tuple[ConvRow, ...],
        num_classes: int = 1000,
        in_chans: int = 3,
        input_size: int = 227,
        min_input_size: int = 67,
        towers: int = 2,
        ceil_mode: bool = False,
        drop_rate: float = 0.5,
    ) -> None:
        super().__init__(num_classes, in_chans, (input_size, input_size), min_input_size)
        self.num_features = 4096
        self.features, width = conv_stack(rows, in_chans, lrn_groups=towers, ceil_mode=ceil_mode)
        self.feature_info = stack_feature_info(rows)
        self.head = MLPHead(width, 6, 4096, num_classes, drop_rate)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.features(x)

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("features", self.features)]


def init_paper_alexnet(model: AlexNet) -> AlexNet:
    """Section 5: weights N(0, 0.01); biases 1 in conv2, conv4, conv5 and the hidden fc layers, else 0."""
    ones = {"features.conv2.conv", "features.conv4.conv", "features.conv5.conv", "head.fc6", "head.fc7"}
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.constant_(m.bias, 1.0 if name in ones else 0.0)
    return model


def from_torchvision(state_dict: dict) -> dict:
    """torchvision `alexnet` keys -> convzoo `alexnet_owt` keys."""
    convs = {0: 1, 3: 2, 6: 3, 8: 4, 10: 5}  # position of each conv in torchvision's `features`
    fcs = {"1": "fc6", "4": "fc7", "6": "fc"}
    return rename_keys(
        state_dict,
        [
            (r"features\.(\d+)\.(weight|bias)", lambda m: f"features.conv{convs[int(m[1])]}.conv.{m[2]}"),
            (r"classifier\.([146])\.(weight|bias)", lambda m: f"head.{fcs[m[1]]}.{m[2]}"),
        ],
        "torchvision",
    )


ALEXNET_CARD = ModelCard(
    name="alexnet",
    family="alexnet",
    paper=PAPER,
    input_size=(3, 227, 227),
    params=60_965_224,
    results=(
        PaperResult("top-1 error", 37.5, "ILSVRC-2010", "test", "one CNN"),
        PaperResult("top-5 error", 17.0, "ILSVRC-2010", "test", "one CNN"),
        PaperResult("top-5 error", 18.2, "ILSVRC-2012", "val", "one CNN"),
        PaperResult("top-5 error", 16.4, "ILSVRC-2012", "test", "5 CNNs"),
        PaperResult(
            "top-5 error", 15.3, "ILSVRC-2012", "test", "7 CNNs, 2 pre-trained on ImageNet Fall 2011"
        ),
    ),
    notes=(
        "Two towers as published (groups=2 in conv2/4/5, LRN within each tower). The paper says 224x224 "
        "input, but its 55x55 conv1 maps need 227x227, the default here. Paper initialisation "
        "(N(0, 0.01), biases of 1) via convzoo.models.alexnet.init_paper_alexnet."
    ),
)


@register_model(ALEXNET_CARD)
def alexnet(num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.5) -> AlexNet:
    """AlexNet as published: two towers, LRN, overlapping pooling, dropout in fc6/fc7."""
    return init_paper_alexnet(AlexNet(ALEXNET_ROWS, num_classes, in_chans, drop_rate=drop_rate))


@register_model(
    ALEXNET_CARD.variant(
        name="alexnet_owt",
        paper=OWT_PAPER,
        input_size=(3, 224, 224),
        params=61_100_840,
        results=(PaperResult("top-1 error", 42.7, "ILSVRC-2012", "val", "one tower, batch 128"),),
        compatible={"torchvision": "alexnet"},
        notes=(
            "torchvision's single-tower AlexNet: 64-192-384-256-256 filters, no LRN, padding 2 in conv1, "
            "224x224 input. Loads torchvision alexnet checkpoints."
        ),
    ),
    converters={"torchvision": from_torchvision},
)
def alexnet_owt(num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.5) -> AlexNet:
    """Single-tower AlexNet ("one weird trick"), torchvision's layout of filters."""
    return AlexNet(OWT_ROWS, num_classes, in_chans, 224, 63, towers=1, drop_rate=drop_rate)
