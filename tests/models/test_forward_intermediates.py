"""forward_intermediates (timm's meaning) in the stage loops of ResNet, VGG and ConvNeXt,
and backbone models built on it exporting with torch.export."""

from __future__ import annotations

import pytest
import torch

from convzoo import create_model


@pytest.mark.parametrize("name", ["resnet18", "resnet20", "vgg11", "convnext_tiny"])
def test_intermediates_match_feature_info_and_the_last_is_forward_features(name):
    model = create_model(name).eval()
    side = 64  # a multiple of every reduction: each map's side is exactly side / reduction
    x = torch.randn(1, model.in_chans, side, side)
    final, maps = model.forward_intermediates(x)
    assert len(maps) == len(model.feature_info)
    for entry, m in zip(model.feature_info, maps, strict=True):
        assert m.shape[1] == entry["num_chs"] and side // m.shape[-1] == entry["reduction"]
    assert torch.equal(final, model.forward_features(x)) and torch.equal(maps[-1], final)
    last_two = model.forward_intermediates(x, indices=2, intermediates_only=True)
    assert [t.shape for t in last_two] == [t.shape for t in maps[-2:]]
    early = model.forward_intermediates(x, indices=[0], stop_early=True)
    assert torch.equal(early[1][0], maps[0]) and torch.equal(early[0], maps[0])
    with pytest.raises(ValueError, match="out of range"):
        model.forward_intermediates(x, indices=[len(maps)])


@pytest.mark.parametrize("name", ["unet_resnet34", "fpn_vgg11"])
def test_backbone_models_export_with_torch_export(name):
    torch.manual_seed(0)
    model = create_model(name).eval()
    x = torch.randn(1, 3, 64, 64)
    exported = torch.export.export(model, (x,))
    assert torch.allclose(exported.module()(x), model(x), atol=1e-4)
