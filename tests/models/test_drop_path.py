"""drop_path_rate (stochastic depth) on the residual families: off by default as in the papers,
random per sample in training, the identity in eval, no change to the weights."""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.layers.drop import DropPath, drop_path_rates

RESIDUAL = [
    "resnet20",
    "preact_resnet50",
    "xception",
    pytest.param("inception_resnet_v2_tf", marks=pytest.mark.slow),  # 75 px at least: ~1 min
    "convnext_tiny",
    "vit_ti_16",
    "mobilenet_v2",
]
# the papers without stochastic depth (ConvNeXt's and EfficientNet's default to their papers' rates)
WITHOUT_IN_PAPER = {"resnet20", "preact_resnet50", "xception", "inception_resnet_v2_tf", "vit_ti_16"}
# zero-initialised last layers make every branch 0 at first, so dropping one would change nothing
BRANCHES_ON = {"preact_resnet50": {"zero_init_last": False}}


def test_rates_rise_linearly_from_zero():
    assert drop_path_rates(0.3, 4) == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert drop_path_rates(0.3, 1) == [0.0]


@pytest.mark.parametrize("name", RESIDUAL)
def test_drop_path_rate_drops_branches_in_training_only(name):
    torch.manual_seed(0)
    kwargs = BRANCHES_ON.get(name, {})
    if name in WITHOUT_IN_PAPER:
        default = convzoo.create_model(name, num_classes=4)
        assert not any(isinstance(m, DropPath) and m.drop_prob > 0 for m in default.modules())
    plain = convzoo.create_model(name, num_classes=4, drop_path_rate=0.0, **kwargs)
    torch.manual_seed(0)
    dropping = convzoo.create_model(name, num_classes=4, drop_path_rate=0.5, **kwargs)
    assert plain.state_dict().keys() == dropping.state_dict().keys()
    dropping.load_state_dict(plain.state_dict())
    rates = [m.drop_prob for m in dropping.modules() if isinstance(m, DropPath)]
    assert rates and 0.25 < max(rates) <= 0.5  # rising with depth up to drop_path_rate
    side = max(32, plain.min_input_size)
    x = torch.randn(4, 3, side, side)
    with torch.no_grad():
        assert torch.allclose(dropping.eval()(x), plain.eval()(x), atol=1e-5)
        dropping.train()
        torch.manual_seed(1)
        first = dropping.forward_features(x)
        torch.manual_seed(2)
        assert not torch.allclose(first, dropping.forward_features(x))


def test_drop_path_keeps_or_zeroes_each_sample_and_scales_the_kept_by_one_over_keep():
    torch.manual_seed(0)
    drop = DropPath(0.25).train()
    x = torch.randn(4000, 3, 2, 2)
    y = drop(x)
    kept = (y != 0).flatten(1).all(1)
    assert ((y == 0).flatten(1).all(1) | kept).all()  # a whole sample is dropped, or none of it
    assert torch.allclose(y[kept], x[kept] / 0.75)
    assert abs(kept.float().mean().item() - 0.75) < 0.03  # 4000 draws: 0.03 is over 4 sigma
    assert drop.eval()(x) is x
