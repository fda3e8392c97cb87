"""GoogLeNet, Szegedy et al. 2014, "Going Deeper with Convolutions" (Inception v1).

`googlenet` is the network of Table 1 and Figure 3: convolutions with biases and ReLUs (no
BatchNorm), local response normalisation after the first pooling and after conv2/3x3, the 5x5
branch, 40% dropout, and the two auxiliary classifiers of Section 5 on inception (4a) and (4d).
`googlenet_tv` is torchvision's variant, which loads torchvision `googlenet` checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..cards import ModelCard, Paper, PaperResult
from ..layers.heads import ClassifierHead
from ..layers.inception import (
    AuxClassifier,
    AuxPool,
    conv_bn,
    conv_relu,
    inception_block,
    stage_feature_info,
)
from ..layers.lrn import LocalResponseNorm
from ..registry import register_model
from ..weights import rename_keys
from ._tapped import TappedClassifier

PAPER = Paper(
    title="Going Deeper with Convolutions",
    authors="C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed, D. Anguelov, D. Erhan, V. Vanhoucke, "
    "A. Rabinovich",
    year=2014,
    link="https://arxiv.org/abs/1409.4842",
)


@dataclass(frozen=True)
class InceptionRow:
    """One inception row of Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj."""

    name: str
    c1: int
    c3_reduce: int
    c3: int
    c5_reduce: int
    c5: int
    pool_proj: int

    def branches(self, k5: int) -> dict[str, str]:
        return {
            "branch1": f"1x1-{self.c1}",
            "branch2": f"1x1-{self.c3_reduce} 3x3-{self.c3}",
            "branch3": f"1x1-{self.c5_reduce} {k5}x{k5}-{self.c5}",
            "branch4": f"max3x3 1x1-{self.pool_proj}",
        }


# Table 1, from inception (3a) on; "pool" is a 3x3/2 max-pooling between the grids.
TABLE_1: tuple[InceptionRow | str, ...] = (
    InceptionRow("inception3a", 64, 96, 128, 16, 32, 32),
    InceptionRow("inception3b", 128, 128, 192, 32, 96, 64),
    "pool3",
    InceptionRow("inception4a", 192, 96, 208, 16, 48, 64),
    InceptionRow("inception4b", 160, 112, 224, 24, 64, 64),
    InceptionRow("inception4c", 128, 128, 256, 24, 64, 64),
    InceptionRow("inception4d", 112, 144, 288, 32, 64, 64),
    InceptionRow("inception4e", 256, 160, 320, 32, 128, 128),
    "pool4",
    InceptionRow("inception5a", 256, 160, 320, 32, 128, 128),
    InceptionRow("inception5b", 384, 192, 384, 48, 128, 128),
)
AUX_TAPS = ("inception4a", "inception4d")  # Section 5: on top of the (4a) and (4d) modules


def _lrn() -> LocalResponseNorm:
    # The paper gives no LRN constants; these are the reference Caffe model's (local_size 5,
    # alpha 1e-4 averaged over the window, beta 0.75, k 1). convzoo's alpha multiplies the plain sum.
    return LocalResponseNorm(size=5, alpha=1e-4 / 5, beta=0.75, k=1.0)


class GoogLeNet(TappedClassifier):
    """GoogLeNet: `features` (stem, nine inception modules, pools), two aux heads, and the head.

    paper=True: Table 1 as published. paper=False: torchvision's variant (BatchNorm after every
    convolution and no LRN, a 3x3 convolution in the "5x5" branch, a 2x2 pool before (5a), 20%
    dropout, and aux heads with BatchNorm that adaptive-pool to 4x4).
    """

    def __init__(
        self,
        num_classes: int = 1000,
        in_chans: int = 3,
        paper: bool = True,
        aux_logits: bool = True,
        drop_rate: float | None = None,
    ) -> None:
        super().__init__(num_classes, in_chans, (224, 224), 31 if paper else 15)
        self.num_features = 1024
        conv = conv_relu if paper else conv_bn

        def pool(kernel: int = 3) -> nn.MaxPool2d:  # Caffe rounds pooled sizes up: 112 -> 56 -> 28
            return nn.MaxPool2d(kernel, 2, ceil_mode=True)

        layers: list[tuple[str, nn.Module, int, int]] = [
            ("conv1", conv(in_chans, 64, 7, 2, 3), 64, 2),
            ("pool1", pool(), 64, 2),
            ("norm1", _lrn(), 64, 1),
            ("conv2", conv(64, 64, 1), 64, 1),
            ("conv3", conv(64, 192, 3), 192, 1),
            ("norm2", _lrn(), 192, 1),
            ("pool2", pool(), 192, 2),
        ]
        if not paper:
            layers = [layer for layer in layers if not layer[0].startswith("norm")]
        width = 192
        for row in TABLE_1:
            if isinstance(row, str):
                kernel = 2 if row == "pool4" and not paper else 3
                layers.append((row, pool(kernel), width, 2))
            else:
                block, width, _ = inception_block(row.branches(5 if paper else 3), width, conv)
                layers.append((row.name, block, width, 1))
        self.features = nn.Sequential()
        for name, module, _, _ in layers:
            self.features.add_module(name, module)
        self.feature_info = stage_feature_info([(n, c, s) for n, _, c, s in layers])

        widths = {n: c for n, _, c, _ in layers}
        taps = AUX_TAPS if aux_logits and num_classes else ()
        self.aux_heads = nn.ModuleDict({tap: self._aux_head(widths[tap], num_classes, paper) for tap in taps})
        self.aux_loss_weights = (0.3,) * len(taps)  # Section 5: "weighted by 0.3"
        if drop_rate is None:
            drop_rate = 0.4 if paper else 0.2
        self.head = ClassifierHead(1024, num_classes, drop_rate=drop_rate)
        if paper:
            self._init_weights()

    @staticmethod
    def _aux_head(in_chs: int, num_classes: int, paper: bool) -> AuxClassifier:
        # Section 5: 5x5/3 average pooling (4x4 at 224 input), 1x1 conv 128 + ReLU, fc 1024 + ReLU,
        # 70% dropout, linear classifier. torchvision pools adaptively to 4x4 and adds BatchNorm.
        pool = AuxPool(5, 3, 4) if paper else nn.AdaptiveAvgPool2d(4)
        conv = nn.Sequential(conv_relu(in_chs, 128, 1) if paper else conv_bn(in_chs, 128, 1))
        hidden = nn.Sequential(nn.Linear(128 * 4 * 4, 1024), nn.ReLU(), nn.Dropout(0.7))
        return AuxClassifier(pool, conv, hidden, 1024, num_classes)

    def _init_weights(self) -> None:
        # The paper does not say; the reference Caffe model fills weights with Xavier, biases with 0.2.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.constant_(m.bias, 0.2)


_TV_AUX = dict(zip(("aux1", "aux2"), AUX_TAPS, strict=True))
_TV_AUX_LAYERS = {"conv": "conv.0", "fc1": "hidden.0", "fc2": "fc"}


def from_torchvision(state_dict: dict) -> dict:
    """torchvision googlenet -> googlenet_tv: modules move under `features`, aux heads renamed."""
    return rename_keys(
        state_dict,
        [
            (r"(conv\d|inception\d[a-e])\.(.+)", r"features.\1.\2"),
            (
                r"(aux[12])\.(conv|fc1|fc2)\.(.+)",
                lambda m: f"aux_heads.{_TV_AUX[m[1]]}.{_TV_AUX_LAYERS[m[2]]}.{m[3]}",
            ),
            (r"fc\.(weight|bias)", r"head.fc.\1"),
        ],
        "torchvision",
    )


CARD = ModelCard(
    name="googlenet",
    family="inception",
    paper=PAPER,
    input_size=(3, 224, 224),
    params=13_378_280,
    results=(
        PaperResult("top-5 error", 10.07, "ILSVRC-2014", "val", "1 model, 1 crop, Table 3"),
        PaperResult("top-5 error", 7.89, "ILSVRC-2014", "val", "1 model, 144 crops, Table 3"),
        PaperResult("top-5 error", 6.67, "ILSVRC-2014", "test", "7 models, 144 crops, Tables 2-3"),
    ),
    notes=(
        "Table 1 and Figure 3 as published: biased convolutions with ReLU, LRN after pool1 and after "
        "conv2/3x3 (the reference Caffe model's constants; the paper gives none), 3x3/2 max-pooling "
        "rounded up as Caffe does (224 -> 112 -> 56 -> 28 -> 14 -> 7), 40% dropout, and the aux "
        "classifiers of Section 5 on (4a) and (4d). The final 7x7 average pooling is global average "
        "pooling, so other input sizes work; the aux heads' 5x5/3 pooling is followed by adaptive "
        "pooling to 4x4 (the identity at 224x224). The parameter count includes the aux heads "
        "(6,998,552 without them; aux_logits=False leaves them out). In train() mode forward returns "
        "ClassifierOutput(logits, (aux_4a, aux_4d)) and aux_loss_weights is (0.3, 0.3); eval() mode "
        "returns the logits alone. reset_classifier(n) gives the aux heads fresh n-way layers too; "
        "reset_classifier(0) removes them."
    ),
)

TV_CARD = CARD.variant(
    name="googlenet_tv",
    params=13_004_888,
    results=(),
    compatible={"torchvision": "googlenet"},
    notes=(
        "torchvision's GoogLeNet, not the paper's: BatchNorm (eps 0.001) after every convolution and no "
        "LRN, a 3x3 convolution where the paper's branch has 5x5, a 2x2 max-pool before (5a), 20% dropout, "
        "aux heads with BatchNorm that adaptive-pool to 4x4. Loads torchvision `googlenet` checkpoints, "
        "aux heads included. torchvision's pretrained weights run with transform_input=True, which turns "
        "ImageNet-normalised input into (x - 0.5) / 0.5; convzoo does not transform its input, so feed "
        "those weights images scaled to [-1, 1]."
    ),
)


@register_model(CARD)
def googlenet(num_classes: int = 1000, in_chans: int = 3, aux_logits: bool = True, drop_rate: float = 0.4):
    """GoogLeNet as in Table 1 of Szegedy et al. 2014, with its two auxiliary classifiers."""
    return GoogLeNet(num_classes, in_chans, paper=True, aux_logits=aux_logits, drop_rate=drop_rate)


@register_model(TV_CARD, {"torchvision": from_torchvision})
def googlenet_tv(num_classes: int = 1000, in_chans: int = 3, aux_logits: bool = True, drop_rate: float = 0.2):
    """torchvision's GoogLeNet (BatchNorm, 3x3 "5x5" branch); loads torchvision `googlenet`."""
    return GoogLeNet(num_classes, in_chans, paper=False, aux_logits=aux_logits, drop_rate=drop_rate)
