"""MobileNet v1-v3 facts beyond the model contract, and the shared MBConv block."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convzoo
from convzoo.analysis.summary import summarize_registered
from convzoo.layers import DropPath
from convzoo.layers.mbconv import InvertedResidual
from convzoo.models.mobilenet import MOBILENET_V3_CONFIGS, scale_v3_config
from tests.models.helpers import n_params


def body_params(model: nn.Module) -> int:
    return n_params(model) - n_params(model.head)


def pointwise_params(model: nn.Module) -> int:
    return sum(b.pw.conv.weight.numel() for stage in model.stages for b in stage)


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
     ("mobilenet_v3_large_075", 4.0), ("mobilenet_v3_small_075", 2.0),
     ("efficientnet_v2_s", 22), ("efficientnet_v2_m", 54), ("efficientnet_v2_xl", 208)],
)  # fmt: skip
def test_parameter_counts_near_the_papers(name, paper_millions):
    # the papers print two significant digits (and count slightly differently); within 3.5%
    assert convzoo.model_card(name).params / 1e6 == pytest.approx(paper_millions, rel=0.035)


def test_mobilenet_v3_width_multiplier_scales_as_the_release():
    """0.75 scales #out, the stem and the last 1x1 conv (rounded to multiples of 8, at most 10% down)
    and keeps each exp size's ratio to its block's input; the 1x1 conv after pooling stays 1280."""
    full, narrow = (scale_v3_config("large", w) for w in (1.0, 0.75))
    assert full == MOBILENET_V3_CONFIGS["large"]
    stem, stages, head, hidden = narrow
    rows = [r for stage in stages for r in stage]
    assert (stem, head, hidden) == (16, 720, 1280)  # 16 x 0.75 = 12 rounds up to 16; 960 x 0.75
    assert [r.out for r in rows] == [16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 88, 88, 120, 120, 120]
    # Table 1's 240 / 40 = 6 and 184 / 80 = 2.3, times the scaled inputs 32 and 64: 192 and 147.2 -> 144
    assert (rows[6].exp, rows[8].exp) == (192, 144)
    model = convzoo.create_model("mobilenet_v3_large_075")
    assert model.num_features == 1280 and model.feature_info[-1]["num_chs"] == 720


@pytest.mark.parametrize(
    ("name", "table3_madds_millions"),
    [("mobilenet_v3_large", 219), ("mobilenet_v3_large_075", 155), ("mobilenet_v3_small", 56),
     ("mobilenet_v3_small_075", 44)],
)  # fmt: skip
def test_mobilenet_v3_macs_near_table_3(name, table3_madds_millions):
    # Table 3 counts multiply-adds of the convolutions and the fc layers, as convzoo summary does
    macs = summarize_registered(name).total_macs
    assert macs / 1e6 == pytest.approx(table3_madds_millions, rel=0.03)
