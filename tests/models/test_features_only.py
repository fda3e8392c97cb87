"""create_model(name, features_only=True, out_indices=...) with timm's meaning."""

from __future__ import annotations

import pytest
import torch

import convzoo


def test_features_only_returns_the_chosen_stages_and_drops_the_head():
    model = convzoo.create_model("resnet18", features_only=True, out_indices=(1, -1))
    assert model.feature_info.channels() == [128, 512] and model.feature_info.reductions() == [8, 32]
    assert model.feature_info.module_name() == ["stages.1", "stages.3"]
    assert model.feature_info.channels(0) == 128
    maps = model(torch.randn(2, 3, 64, 64))
    assert [tuple(m.shape) for m in maps] == [(2, 128, 8, 8), (2, 512, 2, 2)]
    assert not any(name.startswith("head.fc") for name, _ in model.named_parameters())


def test_features_only_defaults_to_every_stage_and_prunes_after_the_deepest():
    model = convzoo.create_model("vit_ti_16", features_only=True, out_indices=1)  # the last 1
    assert model.feature_info.module_name() == ["blocks.11"]
    assert [tuple(m.shape) for m in model(torch.randn(1, 3, 32, 48))] == [(1, 192, 2, 3)]
    every = convzoo.create_model("vgg11", features_only=True, in_chans=1)
    assert every.feature_info.reductions() == [2, 4, 8, 16, 32]
    assert len(every(torch.randn(1, 1, 32, 32))) == 5
    early = convzoo.create_model("resnet18", features_only=True, out_indices=[0])
    assert isinstance(early.body.stages[1], torch.nn.Identity)  # never run


def test_features_only_refusals():
    with pytest.raises(ValueError, match="features_only=True models only"):
        convzoo.create_model("resnet18", out_indices=(1,))
    with pytest.raises(ValueError, match="not a classifier with feature stages"):
        convzoo.create_model("unet_small", features_only=True)
    with pytest.raises(ValueError, match="out of range"):
        convzoo.create_model("resnet18", features_only=True, out_indices=(4,))
