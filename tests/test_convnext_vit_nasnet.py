"""Family facts of ConvNeXt, ViT and NASNet-A: paper parameter counts, layer scale, position
embedding interpolation, the searched cells and TensorFlow's SAME padding."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import convzoo
from convzoo.models.convnext import ConvNeXtBlock
from convzoo.models.nasnet import (
    NASNET_A_NORMAL,
    NASNET_A_REDUCTION,
    NASNET_CONFIGS,
    NASNet,
    PadSame,
    make_operation,
    pool3x3,
)
from convzoo.models.vit import from_torchvision, resample_position_embedding
from convzoo.weights import UnplacedKeysError


def trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# The papers print millions: ViT-B 86M (Table 1), ConvNeXt-T/B/L 28M/89M/198M (Table 1).
# Cards hold the exact counts.
@pytest.mark.parametrize(
    ("name", "millions"),
    [
        ("vit_b_16", 86),
        ("vit_l_16", 304.3),
        ("convnext_tiny", 28),
        ("convnext_base", 89),
        ("convnext_large", 198),
    ],
)
def test_card_params_round_to_the_papers_millions(name, millions):
    assert abs(convzoo.model_card(name).params / 1e6 - millions) < 0.6  # 28.6M is printed as 28M


@pytest.mark.parametrize("name", ["vit_b_16", "convnext_tiny", "nasnet_a_mobile"])
def test_built_models_have_the_card_counts(name):
    assert trainable(convzoo.create_model(name)) == convzoo.model_card(name).params


@pytest.mark.parametrize(("name", "millions"), [("nasnet_a_large", 88.9), ("nasnet_a_mobile", 5.3)])
def test_nasnet_counts_match_tables_2_and_3(name, millions):
    """The papers' 88.9M and 5.3M count BatchNorm's moving statistics along with the weights."""
    model = convzoo.create_model(name)
    stats = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))
    assert round((trainable(model) + stats) / 1e6, 1) == millions
    assert model.num_features == NASNET_CONFIGS[name.split("_")[-1]].penultimate_filters


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


def test_convnext_min_input_is_the_total_stride():
    model = convzoo.create_model("convnext_tiny").eval()
    assert model.min_input_size == 32
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 32, 32)).shape == (1, 768, 1, 1)


def test_position_embedding_at_the_native_grid_is_unchanged():
    pos = torch.randn(1, 1 + 14 * 14, 8)
    assert torch.equal(resample_position_embedding(pos, (14, 14), (14, 14)), pos)
    # Bicubic interpolation at scale 1 samples the grid points themselves: the identity as well.
    grid = pos[:, 1:].reshape(1, 14, 14, 8).permute(0, 3, 1, 2)
    same = torch.nn.functional.interpolate(grid, size=(14, 14), mode="bicubic", align_corners=False)
    assert torch.allclose(same, grid, atol=1e-6)
    up = resample_position_embedding(pos, (14, 14), (28, 28), mode="bilinear")
    assert up.shape == (1, 1 + 28 * 28, 8)
    assert torch.equal(up[:, 0], pos[:, 0])


def test_position_embedding_interpolation_keeps_the_class_token_and_constants():
    pos = torch.randn(1, 1 + 4 * 4, 3)
    pos[:, 1:] = torch.tensor([1.0, -2.0, 3.0])  # the same embedding at every grid position
    for mode in ("bicubic", "bilinear"):
        out = resample_position_embedding(pos, (4, 4), (6, 10), mode)
        assert out.shape == (1, 1 + 6 * 10, 3)
        assert torch.equal(out[:, 0], pos[:, 0])
        assert torch.allclose(out[:, 1:], pos[:, 1:2].expand(1, 60, 3), atol=1e-6)
    ramp = torch.randn(1, 1 + 4 * 4, 2)
    bicubic = resample_position_embedding(ramp, (4, 4), (7, 7), "bicubic")
    bilinear = resample_position_embedding(ramp, (4, 4), (7, 7), "bilinear")
    assert not torch.allclose(bicubic, bilinear)


def test_vit_native_size_uses_the_stored_position_embeddings():
    torch.manual_seed(0)
    model = convzoo.create_model("vit_ti_16").eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        tokens = model.patch_embed(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([model.class_token, tokens], dim=1) + model.pos_embed
        expected = model.norm(model.blocks(tokens))
        assert torch.allclose(model.forward_features(x), expected, atol=1e-6)


def test_vit_runs_at_other_sizes_with_interpolated_embeddings():
    torch.manual_seed(0)
    model = convzoo.create_model("vit_ti_16", num_classes=5).eval()
    with torch.no_grad():
        tokens = model.forward_features(torch.randn(2, 3, 96, 160))
        assert tokens.shape == (2, 1 + 6 * 10, 192)
        assert torch.isfinite(model.forward_head(tokens)).all()
    bilinear = convzoo.create_model("vit_ti_16", pos_embed_mode="bilinear")
    assert bilinear.position_embedding((6, 10)).shape == (1, 61, 192)
    big = convzoo.create_model("vit_ti_32", img_size=384)
    assert big.pos_embed.shape == (1, 1 + 12 * 12, 192) and big.default_input_size == (3, 384, 384)


def test_vit_refuses_sizes_that_are_not_patch_multiples():
    model = convzoo.create_model("vit_ti_16")
    with pytest.raises(
        ValueError, match=r"N x 3 x H x W .*multiples of the patch size 16.*crop to 96x96 or pad to 112x112"
    ):
        model(torch.randn(1, 3, 100, 100))
    with pytest.raises(ValueError, match="img_size 200 is not a multiple"):
        convzoo.create_model("vit_ti_16", img_size=200)


def test_vit_converter_places_attention_keys_and_refuses_strangers():
    sd = {
        "encoder.layers.encoder_layer_3.self_attention.in_proj_weight": torch.zeros(6, 2),
        "encoder.layers.encoder_layer_3.mlp.3.bias": torch.zeros(2),
    }
    assert set(from_torchvision(sd)) == {"blocks.3.attn.qkv.weight", "blocks.3.mlp.fc2.bias"}
    with pytest.raises(UnplacedKeysError, match=r"encoder\.dist_token"):
        from_torchvision({"encoder.dist_token": torch.zeros(1)})


def test_nasnet_a_cells_are_the_searched_ones():
    # Fig. 4: five blocks each; the normal cell concatenates h_{i-1} and all blocks, the reduction
    # cell the four blocks that no later block uses.
    assert len(NASNET_A_NORMAL.blocks) == len(NASNET_A_REDUCTION.blocks) == 5
    assert NASNET_A_NORMAL.concat == (1, 2, 3, 4, 5, 6)
    assert NASNET_A_REDUCTION.concat == (3, 4, 5, 6)
    ops = {op for b in NASNET_A_NORMAL.blocks + NASNET_A_REDUCTION.blocks for op in (b.left_op, b.right_op)}
    assert ops == {"identity", "avg3x3", "max3x3", "sep3x3", "sep5x5", "sep7x7"}
    model = convzoo.create_model("nasnet_a_mobile")
    assert len(model.cells) == 2 + 3 * 4 + 2
    assert [c.spec.reduction for c in model.cells].count(True) == 4
    assert model.cells[2].out_chs == 6 * 44 and model.cells[6].out_chs == 4 * 88


def test_nasnet_mobile_maps_224_to_7x7():
    model = convzoo.create_model("nasnet_a_mobile").eval()
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 224, 224)).shape == (1, 1056, 7, 7)


def test_a_mutated_cell_builds_and_runs():
    blocks = list(NASNET_A_NORMAL.blocks)
    blocks[0] = dataclasses.replace(blocks[0], left_op="sep3x3", right_op="identity")
    config = dataclasses.replace(
        NASNET_CONFIGS["mobile"], normal_cell=dataclasses.replace(NASNET_A_NORMAL, blocks=tuple(blocks))
    )
    model = NASNet(config, num_classes=10).eval()
    assert trainable(model) < convzoo.model_card("nasnet_a_mobile").params
    with torch.no_grad():
        assert model(torch.randn(1, 3, 32, 32)).shape == (1, 10)
    with pytest.raises(ValueError, match="unknown NASNet operation 'conv9x9'"):
        make_operation("conv9x9", 8, 8, 1)
    with pytest.raises(ValueError, match="identity cannot map"):
        make_operation("identity", 8, 8, 2)


def test_same_padding_is_asymmetric_at_stride_2():
    x = torch.zeros(1, 1, 42, 42)
    assert PadSame(5, 2)(x).shape[-2:] == (45, 45)  # (21 - 1) * 2 + 5 - 42 = 3: one before, two after
    padded = PadSame(5, 2, value=1.0)(x)
    assert padded[0, 0, 0, 0] == 1 and padded[0, 0, 1, 1] == 0 and padded[0, 0, -2, -2] == 1
    assert PadSame(3, 1)(torch.zeros(1, 1, 7, 7)).shape[-2:] == (9, 9)


def test_stride_2_average_pooling_counts_its_zero_padding():
    ones = torch.ones(1, 1, 21, 21)
    out = pool3x3("avg", 2)(ones)
    assert out.shape[-2:] == (11, 11)
    assert out[0, 0, 0, 0] == pytest.approx(4 / 9)  # the timm port's behaviour the reference follows
    assert torch.all(pool3x3("avg", 1)(ones) == 1)  # stride 1 leaves the padding out
    maxed = pool3x3("max", 2)(-ones)
    assert torch.all(maxed == -1)  # -inf padding never wins
