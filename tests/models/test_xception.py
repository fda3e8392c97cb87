"""Xception facts beyond the model contract: Table 3's count, Figure 5's flows, the timm converter."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convzoo.layers.separable import SeparableConv2d
from convzoo.models import xception as xception_module
from convzoo.weights import UnplacedKeysError
from tests.models.helpers import n_params, on_meta, output_shapes


def test_xception_has_table_3s_parameter_count():
    assert n_params(on_meta("xception")) == 22_855_952


def test_xception_flows_follow_figure_5():
    model = on_meta("xception")
    shapes = output_shapes(
        model, 299, ["features.conv2", "features.block3", "features.block11", "features.conv4"]
    )
    assert shapes == {
        "features.conv2": (64, 147, 147),
        "features.block3": (728, 19, 19),  # "19x19x728 feature maps" leave the entry flow
        "features.block11": (728, 19, 19),
        "features.conv4": (2048, 10, 10),
    }
    middle = [getattr(model.features, f"block{i}") for i in range(4, 12)]
    assert all(isinstance(b.skip, nn.Identity) and len(b.units) == 3 for b in middle)
    assert model.features.block1.skip.conv.stride == (2, 2)
    # No ReLU between the depthwise and the pointwise halves; the first block starts without one.
    sep = model.features.block5.units[0].sep
    assert isinstance(sep, SeparableConv2d) and [n for n, _ in sep.named_children()] == [
        "depthwise",
        "pointwise",
    ]
    assert sep.depthwise.groups == 728
    assert not hasattr(model.features.block1.units[0], "act") and hasattr(
        model.features.block2.units[0], "act"
    )
    # The exit block widens at its last separable convolution (728 -> 728 -> 1024).
    widths = [u.sep.pointwise.out_channels for u in model.features.block12.units]
    assert widths == [728, 1024]


def test_xception_timm_converter_skips_relu_positions():
    rules = xception_module.from_timm
    sd = {
        "block1.rep.0.conv1.weight": torch.zeros(1),
        "block1.rep.4.running_mean": torch.zeros(1),
        "block2.rep.1.pointwise.weight": torch.zeros(1),
        "block12.skipbn.bias": torch.zeros(1),
        "conv4.conv1.weight": torch.zeros(1),
        "bn3.weight": torch.zeros(1),
    }
    assert list(rules(sd)) == [
        "features.block1.units.0.sep.depthwise.weight",
        "features.block1.units.1.bn.running_mean",
        "features.block2.units.0.sep.pointwise.weight",
        "features.block12.skip.bn.bias",
        "features.conv4.sep.depthwise.weight",
        "features.conv3.bn.weight",
    ]
    with pytest.raises(UnplacedKeysError):
        rules({"block2.rep.0.weight": torch.zeros(1)})  # a ReLU position has no weights
