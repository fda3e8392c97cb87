"""Squeeze-and-Excitation networks, Hu et al. 2018: ResNet and ResNeXt with an SE gate in every block.

The SE block (convzoo.layers.SqueezeExcite, reduction r = 16) rescales the channels of a block's
residual branch before the addition (Figure 3 of the paper). The networks follow the released
Caffe models, which Cadene's pretrainedmodels and timm's `legacy_se*` models port:

- SE-ResNet-50/101/152: ResNet v1, the stride on the first 1x1 conv of a stage's first bottleneck.
- SE-ResNeXt-50 (32x4d): ResNeXt, the stride on the grouped 3x3 conv.
- SENet-154 (Appendix): SE-ResNeXt-152 (64x4d) with the 7x7 stem conv replaced by three 3x3 convs,
  the first 1x1 conv of each bottleneck half as wide, 3x3 stride-2 projection shortcuts, and
  dropout 0.2 before the classifier.

All use Caffe's stem max-pooling (3x3, stride 2, no padding, ceil mode), so they need 3x3 input.
"""

from __future__ import annotations

from ..cards import Paper, top_errors
from ..weights import rename_keys
from .resnet import (
    BLOCK_RULE,
    ResNetConfig,
    imagenet_card,
    imagenet_config,
    imagenet_stages,
    register_resnet,
)

PAPER = Paper(
    title="Squeeze-and-Excitation Networks",
    authors="J. Hu, L. Shen, G. Sun",
    year=2018,
    link="https://arxiv.org/abs/1709.01507",
)


def from_timm(state_dict: dict) -> dict:
    """timm's `legacy_se*` models (Cadene's SENet layout: layer0, se_module, last_linear) -> convzoo."""
    return rename_keys(
        state_dict,
        [
            (r"layer0\.conv(\d)\.weight", r"stem.conv\1.conv.weight"),
            (r"layer0\.bn(\d)\.(\w+)", r"stem.conv\1.bn.\2"),
            BLOCK_RULE,
            (r"last_linear\.(weight|bias)", r"head.fc.\1"),
        ],
        "timm",
    )


_SE = dict(se_reduction=16, ceil_pool=True)
_SE_RESNEXT = dict(_SE, stride_on="3x3", groups=32)
_SENET154 = ResNetConfig(
    "bottleneck",
    imagenet_stages(152, width=256),
    stem="deep",
    stem_chs=128,
    stride_on="3x3",
    groups=64,
    first_1x1_ratio=0.5,
    projection_kernel=3,
    **_SE,
)

SENETS = (  # name, config, parameters, head dropout, paper top-1/top-5 error, released model's
    ("seresnet50", imagenet_config(50, **_SE), 28_088_024, 0.0, (23.29, 6.62), (22.37, 6.36)),
    ("seresnet101", imagenet_config(101, **_SE), 49_326_872, 0.0, (22.38, 6.07), (21.75, 5.72)),
    ("seresnet152", imagenet_config(152, **_SE), 66_821_848, 0.0, (21.57, 5.73), (21.34, 5.54)),
    ("seresnext50_32x4d", ResNetConfig("bottleneck", imagenet_stages(50, width=128), **_SE_RESNEXT),
     27_559_896, 0.0, (21.10, 5.49), (20.97, 5.54)),
    ("seresnext101_32x4d", ResNetConfig("bottleneck", imagenet_stages(101, width=128), **_SE_RESNEXT),
     48_955_416, 0.0, (20.70, 5.01), None),
    ("senet154", _SENET154, 115_088_984, 0.2, (18.68, 4.47), (18.68, 4.47)),
)  # fmt: skip

_NOTES = {
    "seresnet50": "SE-ResNet-50: ResNet-50 v1 with an SE block (r = 16) in every bottleneck.",
    "seresnet101": "SE-ResNet-101: ResNet-101 v1 with an SE block (r = 16) in every bottleneck.",
    "seresnet152": "SE-ResNet-152: ResNet-152 v1 with an SE block (r = 16) in every bottleneck.",
    "seresnext50_32x4d": "SE-ResNeXt-50 (32x4d): ResNeXt-50 with an SE block (r = 16) in every bottleneck.",
    "seresnext101_32x4d": "SE-ResNeXt-101 (32x4d): ResNeXt-101 with an SE block (r = 16) in every "
    "bottleneck.",
    "senet154": "SENet-154 (Appendix): SE-ResNeXt-152 64x4d with a three-conv 3x3 stem, half-width first "
    "1x1 convs, 3x3 projection shortcuts and dropout 0.2 before the classifier.",
}

for _name, _cfg, _params, _drop, _paper, _released in SENETS:
    register_resnet(
        imagenet_card(
            _name,
            "senet",
            PAPER,
            _params,
            top_errors(*_paper, f"single 224x224 crop, {'Table 8' if _name == 'senet154' else 'Table 2'}")
            + (top_errors(*_released, "released Caffe model, single crop") if _released else ()),
            {"timm": f"legacy_{_name}"},
            _NOTES[_name] + " Stem max-pooling in Caffe's arithmetic (no padding, ceil mode), as the "
            "released models; loads timm's legacy_ (Cadene) checkpoints.",
        ),
        _cfg,
        {"timm": from_timm},
        drop_rate=_drop,
        module=__name__,
    )
