"""A zoo classifier as an encoder (models._features): the stages it returns, what it prunes, refuses."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convzoo
from convzoo.models import _features as features
from convzoo.models._features import BackboneFeatures
from convzoo.models.unet import unet_from_backbone


def test_backbone_built_elsewhere_keeps_its_weights():
    backbone = convzoo.create_model("nin_cifar")
    weight = backbone.blocks[0].conv.weight.detach().clone()
    model = unet_from_backbone(backbone, num_classes=3)
    assert model.encoder.body is backbone and torch.equal(model.encoder.body.blocks[0].conv.weight, weight)
    assert isinstance(backbone.head, nn.Identity)
    with torch.no_grad():
        assert model.eval()(torch.randn(2, 3, 33, 35)).shape == (2, 3, 33, 35)
    with pytest.raises(ValueError, match="takes 3 channels"):
        unet_from_backbone(convzoo.create_model("nin_cifar"), in_chans=1)


def test_a_large_kept_layer_falls_back_to_a_normal_build(monkeypatch):
    monkeypatch.setattr(features, "_BIG", 1000)  # the first convolutions too would start on meta
    encoder = BackboneFeatures("nin_cifar")
    assert not any(t.is_meta for t in [*encoder.parameters(), *encoder.buffers()])
    with torch.no_grad():
        assert [m.shape[1] for m in encoder(torch.randn(1, 3, 32, 32))] == [96, 192]


def test_stages_that_are_not_maps_are_refused():
    class Tokens(nn.Module):  # a transformer-like classifier: its stage gives N x L x D tokens
        in_chans, min_input_size, default_input_size = 3, 8, (3, 8, 8)

        def __init__(self):
            super().__init__()
            self.feature_info = [dict(module="embed", num_chs=4, reduction=4)]
            self.embed = nn.Conv2d(3, 4, 4, 4)

        def forward_features(self, x):
            return self.embed(x)

    model = Tokens()
    model.embed.register_forward_hook(lambda m, i, o: o.flatten(2).transpose(1, 2))
    with pytest.raises(ValueError, match="not N x C x H x W"):
        unet_from_backbone(model)
    with pytest.raises(ValueError, match="not a zoo classifier"):
        BackboneFeatures(nn.Conv2d(3, 3, 1))
    with pytest.raises(KeyError, match="unknown model 'vgg1'; did you mean"):
        unet_from_backbone("vgg1")
