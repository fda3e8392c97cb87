"""Wide ResNet facts beyond the model contract: WRN-50-2 and WRN-28-10."""

from __future__ import annotations

import torch

from convzoo.models.wide_resnet import PreActBasicBlock
from tests.models.helpers import n_params, skeleton


def test_wide_resnet50_2_doubles_only_the_inner_width():
    wide, base = skeleton("wide_resnet50_2"), skeleton("resnet50_v1_5")
    assert wide.stages[0][0].conv2.conv.out_channels == 2 * base.stages[0][0].conv2.conv.out_channels
    assert [e["num_chs"] for e in wide.feature_info] == [e["num_chs"] for e in base.feature_info]


def test_wrn28_10_layout_and_dropout():
    model = skeleton("wrn28_10")
    assert round(n_params(model) / 1e6, 1) == 36.5  # Table 4 of Zagoruyko & Komodakis
    assert [len(s) for s in model.stages] == [4, 4, 4]
    assert [e["num_chs"] for e in model.feature_info] == [160, 320, 640]
    assert model.stages[0][0].shortcut is not None and model.stages[0][1].shortcut is None
    assert model.stages[0][0].drop.p == 0.0
    dropped = skeleton("wrn28_10", drop_rate=0.3, num_classes=100)
    assert all(b.drop.p == 0.3 for s in dropped.stages for b in s)
    assert dropped.head.fc.out_features == 100


def test_wrn_dropout_sits_between_the_two_convs_in_training_only():
    block = PreActBasicBlock(8, 8, stride=1, drop_rate=0.5).train()
    x = torch.randn(1, 8, 4, 4)
    seen = []
    block.conv2.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    block(x)
    assert (seen[-1] == 0).float().mean() > 0.3  # half of conv2's input dropped
    block.eval()
    assert torch.equal(block(x), block(x))
