"""EfficientNet B0-B7 / V2 facts beyond the model contract: scaling, rounding, stochastic depth."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import convzoo
from convzoo.layers import TF_SAME, DropPath, make_divisible
from convzoo.layers.mbconv import InvertedResidual, MBConvRow, scale_rows
from convzoo.models.efficientnet import (
    ALPHA,
    BETA,
    EFFICIENTNET_B0_ROWS,
    EFFICIENTNET_SCALING,
    GAMMA,
    compound_scaling,
    efficientnet,
)
from convzoo.weights import UnplacedKeysError
from tests import library_reference
from tests.models.helpers import n_params


def test_channel_rounding_is_the_papers():
    rows = (MBConvRow(1, 3, 1, 14, 1), MBConvRow(6, 3, 1, 112, 3), MBConvRow(6, 3, 1, 40, 1))
    scaled = scale_rows(rows, width=1.4, depth=1.1)
    # 19.6 rounds to the nearest multiple of 8, 16, which is more than 10% down: 24 instead
    assert [r.channels for r in scaled] == [24, 160, 56]
    assert [r.repeats for r in scaled] == [2, 4, 2]  # repeats round up: ceil(1.1), ceil(3.3), ceil(1.1)
    assert make_divisible(19.6) == 24 and make_divisible(123.2) == 120


# Table 2 prints 5.3M, 7.8M, 9.2M, 12M, 19M, 30M, 43M, 66M; the released B2 has 9.1M.
_TABLE2_MILLIONS = {"b0": 5.3, "b1": 7.8, "b2": 9.1, "b3": 12, "b4": 19, "b5": 30, "b6": 43, "b7": 66}


@pytest.mark.parametrize("member", list(EFFICIENTNET_SCALING))
def test_efficientnet_members_scale_b0_by_the_release_coefficients(member):
    s = EFFICIENTNET_SCALING[member]
    card = convzoo.model_card(f"efficientnet_{member}")
    assert card.input_size == (3, s.resolution, s.resolution)
    digits = 1 if _TABLE2_MILLIONS[member] < 10 else 0
    assert round(card.params / 1e6, digits) == _TABLE2_MILLIONS[member]
    rows = scale_rows(EFFICIENTNET_B0_ROWS, s.width, s.depth)
    for row, b0 in zip(rows, EFFICIENTNET_B0_ROWS, strict=True):
        assert row.repeats == math.ceil(b0.repeats * s.depth)
        target = b0.channels * s.width  # a multiple of 8 near it, never more than 10% below
        assert row.channels % 8 == 0 and 0.9 * target <= row.channels < target + 8
        assert (row.expand, row.kernel, row.stride, row.se) == (b0.expand, b0.kernel, b0.stride, b0.se)


def test_efficientnet_b4_and_b7_by_hand():
    # B4: width 1.4, depth 1.8 / B7: width 2.0, depth 3.1, worked out from Table 1 by hand
    b4 = scale_rows(EFFICIENTNET_B0_ROWS, 1.4, 1.8)
    assert [r.channels for r in b4] == [24, 32, 56, 112, 160, 272, 448]
    assert [r.repeats for r in b4] == [2, 4, 4, 6, 6, 8, 2]
    b7 = scale_rows(EFFICIENTNET_B0_ROWS, 2.0, 3.1)
    assert [r.channels for r in b7] == [32, 48, 80, 160, 224, 384, 640]
    assert [r.repeats for r in b7] == [4, 7, 7, 10, 10, 13, 4]
    b4_net = efficientnet(scaling=EFFICIENTNET_SCALING["b4"])
    assert b4_net.stem.conv.out_channels == 48 and b4_net.num_features == 1792


def test_phi_rule():
    assert pytest.approx(2.0, abs=0.1) == ALPHA * BETA**2 * GAMMA**2  # FLOPs ~ 2^phi
    s = compound_scaling(1)
    assert (s.width, s.depth, s.resolution) == (pytest.approx(1.1), pytest.approx(1.2), 258)
    assert compound_scaling(3).resolution == round(224 * 1.15**3)
    b0 = efficientnet(phi=0)
    assert n_params(b0) == convzoo.model_card("efficientnet_b0").params
    phi2 = efficientnet(phi=2)
    assert phi2.default_input_size == (3, 296, 296)
    assert [len(s) for s in phi2.stages] == [math.ceil(r.repeats * 1.44) for r in EFFICIENTNET_B0_ROWS]
    assert n_params(phi2) > convzoo.model_card("efficientnet_b2").params


def test_stochastic_depth_only_in_training():
    torch.manual_seed(0)
    block = InvertedResidual(16, 16, 3, 1, 64, 4, act=nn.SiLU, drop_path=0.5)
    x = torch.randn(32, 16, 4, 4)
    block.train()
    out = block(x)
    dropped = (out - x).flatten(1).abs().amax(1) == 0  # a dropped sample is the identity
    assert 0 < int(dropped.sum()) < 32
    block.eval()
    with torch.no_grad():
        a, b = block(x), block(x)
        block.drop_path = nn.Identity()
        assert torch.equal(a, b) and torch.equal(a, block(x))


def test_efficientnet_drop_path_grows_linearly_over_blocks():
    model = convzoo.create_model("efficientnet_b0")
    blocks = [b for s in model.stages for b in s]
    rates = [b.drop_path.drop_prob if isinstance(b.drop_path, DropPath) else 0.0 for b in blocks]
    expected = [0.2 * i / 16 if b.has_skip else 0.0 for i, b in enumerate(blocks)]
    assert rates == pytest.approx(expected)
    assert max(rates) == pytest.approx(0.2 * 14 / 16)  # block 15 (192 -> 320) has no residual


def test_efficientnet_v2_s_follows_table_4():
    model = convzoo.create_model("efficientnet_v2_s")
    assert [len(s) for s in model.stages] == [2, 4, 4, 6, 9, 15]
    fused, mb = model.stages[1][0], model.stages[3][0]
    assert [n for n, _ in fused.named_children()][:2] == ["fused", "project"]
    assert fused.fused.conv.kernel_size == (3, 3) and fused.fused.conv.groups == 1
    assert [n for n, _ in mb.named_children()][:4] == ["expand", "dw", "se", "project"]
    assert not hasattr(model.stages[0][0], "project")  # Fused-MBConv1 is one 3x3 conv
    assert model.default_input_size == (3, 384, 384)


def test_converters_report_keys_they_cannot_place():
    converter = convzoo.registry.model_converters("efficientnet_b0")["timm"]
    with pytest.raises(UnplacedKeysError, match=r"blocks\.9\.0\.conv_dw\.weight"):
        converter({"blocks.9.0.conv_dw.weight": torch.zeros(1)})


@pytest.mark.parametrize(
    ("tf_name", "record"),
    [("efficientnet_b0_tf", "tf_efficientnet_b0"), ("mobilenet_v3_small_tf", "tf_mobilenetv3_small_100")],
)
def test_tf_weights_need_tensorflows_padding(tf_name, record):
    """The same network and weights with PyTorch's symmetric padding misses the tf_* logits by far
    more than the record's tolerance, which the TF_SAME model meets (tests/test_references.py)."""
    ref = library_reference.load(library_reference.RECORD_DIR / f"{record}.json")
    errors = {}
    for padding in (TF_SAME, None):
        model = convzoo.create_model(tf_name, padding=padding).eval()
        assert convzoo.load_weights(model, library_reference.state_dict(ref)).layout == "timm"
        with torch.no_grad():
            errors[padding] = library_reference.max_error(model(library_reference.input_batch(ref)), ref)
    assert errors[TF_SAME] <= ref["atol"] < errors[None] / 100, errors
