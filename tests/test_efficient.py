"""Family facts of MobileNet v1-v3, SqueezeNet and EfficientNet B0-B7 / V2 beyond the model contract."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from torch import nn

import convzoo
from convzoo.layers import DropPath, make_divisible
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
from convzoo.models.mobilenet import MBConvNet
from convzoo.weights import UnplacedKeysError


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def body_params(model: nn.Module) -> int:
    return n_params(model) - n_params(model.head)


def pointwise_params(model: nn.Module) -> int:
    return sum(b.pw.conv.weight.numel() for stage in model.stages for b in stage)


# ---- MobileNet v1


@pytest.mark.parametrize(
    ("name", "alpha", "table6_millions"),
    [("mobilenet_v1", 1.0, 4.2), ("mobilenet_v1_075", 0.75, 2.6), ("mobilenet_v1_050", 0.5, 1.3),
     ("mobilenet_v1_025", 0.25, 0.5)],
)  # fmt: skip
def test_mobilenet_v1_width_multiplier_matches_table_6(name, alpha, table6_millions):
    model = convzoo.create_model(name)
    assert round(n_params(model) / 1e6, 1) == table6_millions
    # Section 3.3: the multiplier cuts the parameters roughly by alpha^2 - exactly so for the 1x1
    # convolutions, which hold almost all of them; depthwise convs and BN shrink only by alpha
    full = convzoo.create_model("mobilenet_v1")
    assert pointwise_params(model) / pointwise_params(full) == alpha**2
    assert body_params(model) / body_params(full) == pytest.approx(alpha**2, rel=0.1)
    assert model.num_features == int(1024 * alpha)


def test_mobilenet_v1_resolution_multiplier_changes_input_not_parameters():
    full = convzoo.create_model("mobilenet_v1")
    small = convzoo.create_model("mobilenet_v1", resolution=160)
    assert small.default_input_size == (3, 160, 160)
    assert n_params(small) == n_params(full)
    with torch.no_grad():
        assert small.eval().forward_features(torch.randn(1, 3, 160, 160)).shape == (1, 1024, 5, 5)


def test_mobilenet_v1_is_the_papers_relu_and_the_variant_timms_relu6():
    paper, timm_like = convzoo.create_model("mobilenet_v1"), convzoo.create_model("mobilenet_v1_relu6")
    acts = {type(m) for m in paper.modules() if isinstance(m, (nn.ReLU, nn.ReLU6))}
    assert acts == {nn.ReLU}
    assert {type(m) for m in timm_like.modules() if isinstance(m, (nn.ReLU, nn.ReLU6))} == {nn.ReLU6}
    assert paper.state_dict().keys() == timm_like.state_dict().keys()
    assert convzoo.model_card("mobilenet_v1_relu6").compatible == {"timm": "mobilenetv1_100"}
    # Table 1: 13 depthwise separable layers, each depthwise conv has one filter per input channel
    dws = [m.dw.conv for stage in paper.stages for m in stage]
    assert len(dws) == 13
    assert all(c.groups == c.in_channels == c.out_channels for c in dws)
    assert [c.stride[0] for c in dws] == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]


# ---- MobileNet v2 / v3 and the shared block


def test_inverted_residual_layout_and_se_placement():
    block = InvertedResidual(16, 16, 3, 1, exp_chs=96, se_chs=4, act=nn.SiLU)
    assert [n for n, _ in block.named_children()] == ["expand", "dw", "se", "project", "drop_path"]
    assert block.se.fc1.in_channels == 96  # SE acts on the expanded depthwise output ...
    assert block.se.fc1.out_channels == 4
    assert not hasattr(block.project, "act")  # ... and the projection is linear (MobileNet v2, 3.2)
    order = []
    for name in ("expand", "dw", "se", "project"):
        getattr(block, name).register_forward_hook(lambda m, i, o, n=name: order.append(n))
    block(torch.randn(1, 16, 8, 8))
    assert order == ["expand", "dw", "se", "project"]
    assert block.has_skip
    assert not InvertedResidual(16, 16, 3, 2, 96).has_skip
    assert not InvertedResidual(16, 24, 3, 1, 96).has_skip


def test_efficientnet_se_width_is_a_quarter_of_the_block_input():
    model = convzoo.create_model("efficientnet_b0")
    first, second = model.stages[0][0], model.stages[1][0]
    assert not hasattr(first, "expand")  # MBConv1: no expansion
    assert (first.se.fc1.in_channels, first.se.fc1.out_channels) == (32, 8)
    assert (second.se.fc1.in_channels, second.se.fc1.out_channels) == (96, 4)  # 16 in, x6, SE 16/4
    assert isinstance(second.se.act, nn.SiLU) and isinstance(second.dw.act, nn.SiLU)


def test_mobilenet_v2_follows_table_2():
    model = convzoo.create_model("mobilenet_v2")
    assert [len(s) for s in model.stages] == [1, 2, 3, 4, 3, 3, 1]
    assert [s[-1].project.conv.out_channels for s in model.stages] == [16, 24, 32, 64, 96, 160, 320]
    assert model.stages[1][0].expand.conv.out_channels == 16 * 6
    assert {type(m) for m in model.modules() if isinstance(m, (nn.ReLU, nn.ReLU6, nn.SiLU))} == {nn.ReLU6}
    assert not any(isinstance(m, DropPath) for m in model.modules())
    assert model.num_features == 1280
    # width 1.4 widens every layer but keeps the last conv at >= 1280 (1280 x 1.4 = 1792)
    wide = convzoo.create_model("mobilenet_v2_140")
    assert wide.stem.conv.out_channels == 48 and wide.num_features == 1792


def test_mobilenet_v3_large_follows_table_1():
    model = convzoo.create_model("mobilenet_v3_large")
    blocks = [b for s in model.stages for b in s]
    assert len(blocks) == 15
    assert [b.dw.conv.kernel_size[0] for b in blocks] == [3, 3, 3, 5, 5, 5, 3, 3, 3, 3, 3, 3, 5, 5, 5]
    assert [hasattr(b, "se") for b in blocks] == [False] * 3 + [True] * 3 + [False] * 4 + [True] * 5
    assert [type(b.dw.act) for b in blocks] == [nn.ReLU] * 6 + [nn.Hardswish] * 9
    assert isinstance(model.stem.act, nn.Hardswish)
    se = blocks[3].se  # exp 72: SE squeezes to 72 / 4 = 18, rounded up to 24, hard-sigmoid gate
    assert se.fc1.out_channels == 24 and isinstance(se.gate, nn.Hardsigmoid)
    assert model.num_features == 1280 and model.feature_info[-1]["num_chs"] == 960


@pytest.mark.parametrize(
    ("name", "paper_millions"),
    [("mobilenet_v2", 3.4), ("mobilenet_v3_large", 5.4), ("mobilenet_v3_small", 2.5),
     ("efficientnet_v2_s", 22), ("efficientnet_v2_m", 54)],
)  # fmt: skip
def test_parameter_counts_near_the_papers(name, paper_millions):
    # the papers print two significant digits (and count slightly differently); within 3.5%
    assert convzoo.model_card(name).params / 1e6 == pytest.approx(paper_millions, rel=0.035)


# ---- EfficientNet


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


# ---- SqueezeNet


def test_squeezenet_table_1_sizes_and_50x_fewer_parameters_than_alexnet():
    model = convzoo.create_model("squeezenet1_0").eval()
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 227, 227)).shape == (1, 512, 13, 13)
    fires = [m for m in model.modules() if type(m).__name__ == "Fire"]
    assert [f.squeeze.out_channels for f in fires] == [16, 16, 32, 32, 48, 48, 64, 64]
    params = n_params(model)
    assert round(params * 4 / 2**20, 1) == 4.8  # Table 2: 4.8MB of 32-bit weights
    assert convzoo.model_card("alexnet").params / params > 48
    # 1.1: same fires, 3x3 conv1 of 64 maps, slightly fewer parameters
    v11 = convzoo.create_model("squeezenet1_1")
    assert v11.stem.conv.kernel_size == (3, 3) and n_params(v11) < params


def test_rows_are_data_a_mutated_row_builds_a_network():
    # what architecture search will do: change a row, build, run
    rows = list(EFFICIENTNET_B0_ROWS[:3])
    rows[1] = dataclasses.replace(rows[1], kernel=7, repeats=3, se=0.0)
    model = MBConvNet(rows, 16, 64, act=nn.SiLU, num_classes=5).eval()
    assert [len(s) for s in model.stages] == [1, 3, 2]
    assert model.stages[1][2].dw.conv.kernel_size == (7, 7) and not hasattr(model.stages[1][0], "se")
    with torch.no_grad():
        assert model(torch.randn(1, 3, 32, 32)).shape == (1, 5)
    assert model.feature_info[-2] == dict(module="stages.2", num_chs=40, reduction=8)
