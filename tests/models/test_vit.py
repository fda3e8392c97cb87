"""ViT facts beyond the model contract: position embeddings at other sizes, the torchvision converter."""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.models.vit import from_torchvision, resample_position_embedding
from convzoo.weights import UnplacedKeysError


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


@pytest.mark.parametrize(("name", "base"), [("vit_b_16_384", "vit_b_16"), ("vit_s_32_384", "vit_s_32")])
def test_384_models_differ_from_224_only_in_their_position_embeddings(name, base):
    """Fine-tuning at 384 (Section 4.1) keeps every weight but the position embeddings, which grow
    to (384 / P)^2 + 1 (the grid and the class token)."""
    model, at_224 = convzoo.create_model(name), convzoo.create_model(base)
    patch = at_224.patch_size
    assert (
        model.pos_embed.shape[1] == (384 // patch) ** 2 + 1
        and at_224.pos_embed.shape[1] == (224 // patch) ** 2 + 1
    )
    shapes, shapes_224 = ({k: v.shape for k, v in m.state_dict().items()} for m in (model, at_224))
    assert {k for k in shapes if shapes[k] != shapes_224[k]} == {"pos_embed"}
    assert convzoo.model_card(name).input_size == (3, 384, 384)
