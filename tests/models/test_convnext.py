"""ConvNeXt facts beyond the model contract (and the printed parameter counts of ConvNeXt, ViT, NASNet)."""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.models.convnext import ConvNeXtBlock


def trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# The papers print millions: ViT-B 86M (Table 1), ConvNeXt-T/B/L/XL 28M/89M/198M/350M (Table 1).
# Cards hold the exact counts.
@pytest.mark.parametrize(
    ("name", "millions"),
    [
        ("vit_b_16", 86),
        ("vit_l_16", 304.3),
        ("convnext_tiny", 28),
        ("convnext_base", 89),
        ("convnext_large", 198),
        ("convnext_xlarge", 350),
    ],
)
def test_card_params_round_to_the_papers_millions(name, millions):
    assert abs(convzoo.model_card(name).params / 1e6 - millions) < 0.6  # 28.6M is printed as 28M


@pytest.mark.parametrize("name", ["vit_b_16", "convnext_tiny", "nasnet_a_mobile"])
def test_built_models_have_the_card_counts(name):
    assert trainable(convzoo.create_model(name)) == convzoo.model_card(name).params


def test_layer_scale_starts_at_1e_6_so_blocks_start_near_identity():
    model = convzoo.create_model("convnext_tiny")
    scales = [m.layer_scale for m in model.modules() if isinstance(m, ConvNeXtBlock)]
    assert len(scales) == 3 + 3 + 9 + 3
    assert all(torch.all(s == 1e-6) for s in scales)
    block = ConvNeXtBlock(32).eval()
    x = torch.randn(1, 32, 8, 8)
    with torch.no_grad():
        assert (block(x) - x).abs().max() < 1e-4
        block.layer_scale.fill_(1.0)
        assert (block(x) - x).abs().max() > 1e-2
    assert torch.all(ConvNeXtBlock(8, layer_scale_init=0.5).layer_scale == 0.5)


def test_convnext_stochastic_depth_grows_linearly_to_the_papers_rate():
    model = convzoo.create_model("convnext_small")
    rates = [m.drop_path.drop_prob for m in model.modules() if isinstance(m, ConvNeXtBlock)]
    assert rates[0] == 0.0
    assert rates[-1] == pytest.approx(0.4)  # ConvNeXt-S, ImageNet-1K setting
    assert rates == sorted(rates)


def test_convnext_xlarge_is_section_3s_xl_with_its_fine_tuning_drop_path():
    card = convzoo.model_card("convnext_xlarge")
    assert "ImageNet-22K" in card.results[0].note
    with torch.device("meta"):
        model = convzoo.create_model("convnext_xlarge")
    blocks = [m for m in model.modules() if isinstance(m, ConvNeXtBlock)]
    assert len(blocks) == 3 + 3 + 27 + 3
    assert [b.dwconv.in_channels for b in (blocks[0], blocks[3], blocks[6], blocks[33])] == [
        256,
        512,
        1024,
        2048,
    ]
    assert blocks[-1].drop_path.drop_prob == pytest.approx(0.4)
    assert trainable(model) == card.params


def test_convnext_min_input_is_the_total_stride():
    model = convzoo.create_model("convnext_tiny").eval()
    assert model.min_input_size == 32
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 32, 32)).shape == (1, 768, 1, 1)
