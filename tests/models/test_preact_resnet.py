"""Pre-activation ResNet facts beyond the model contract (He et al. 2016b)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convzoo
from convzoo.layers.preact import BatchNormReLU
from convzoo.models.preact_resnet import PreActBottleneck, from_timm
from convzoo.weights import UnplacedKeysError
from tests.models.helpers import capture, n_params, weight_layers


def test_preact_unit_activates_before_each_conv_and_not_after_the_addition():
    torch.manual_seed(0)
    unit = PreActBottleneck(64, 64).eval()
    for m in unit.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
    x = torch.randn(2, 64, 5, 5)
    seen = capture(unit, x, unit)
    for conv in ("conv1", "conv2", "conv3"):
        assert seen[f"{conv}.in"].min() >= 0, f"{conv} must see a ReLU output"
    out = unit(x)
    assert torch.allclose(out, x + seen["conv3.out"], atol=1e-6)  # identity shortcut, nothing after
    assert out.min() < 0


def test_projection_shortcut_takes_the_preactivated_input():
    torch.manual_seed(0)
    unit = PreActBottleneck(64, 128, stride=2).eval()
    seen = capture(unit, torch.randn(2, 64, 8, 8), unit)
    assert torch.equal(seen["shortcut.in"], seen["norm1.out"])
    assert seen["shortcut.out"].shape == (2, 128, 4, 4)


def test_paper_layout_strides_the_1x1_and_timm_layout_the_3x3():
    paper = convzoo.create_model("preact_resnet50")
    timm = convzoo.create_model("preact_resnet50_timm")
    first = paper.stages[1][0], timm.stages[1][0]
    assert (first[0].conv1.stride, first[0].conv2.stride) == ((2, 2), (1, 1))
    assert (first[1].conv1.stride, first[1].conv2.stride) == ((1, 1), (2, 2))
    # Appendix: the paper's first unit takes conv1's activation; timm's stem is a bare conv.
    assert isinstance(paper.stem.norm, BatchNormReLU) and isinstance(paper.stages[0][0].norm1, nn.Identity)
    assert not hasattr(timm.stem, "norm") and isinstance(timm.stages[0][0].norm1, BatchNormReLU)
    assert n_params(paper) == n_params(timm) == 25_549_352


@pytest.mark.parametrize(
    ("name", "depth"),
    [
        ("preact_resnet50", 50),
        ("preact_resnet101", 101),
        ("preact_resnet164", 164),
        ("preact_resnet200", 200),
        ("preact_resnet1001", 1001),
    ],
)
def test_preact_depth_counts_weight_layers(name, depth):
    model = convzoo.create_model(name)
    assert weight_layers(model, skip=("shortcut",)) == depth


def test_cifar_preact_sizes_match_the_paper():
    # Table 4: 1.7M and 10.2M parameters (the paper's 10.2M leaves out BN's scale and shift).
    assert round(n_params(convzoo.create_model("preact_resnet164")) / 1e6, 1) == 1.7
    net = convzoo.create_model("preact_resnet1001")
    assert round(n_params(net, skip_norm=True) / 1e6, 1) == 10.2
    assert [e["num_chs"] for e in net.feature_info] == [64, 128, 256]


def test_timm_converter_places_the_conv_head_and_refuses_strangers():
    sd = {
        "stages.2.blocks.0.downsample.conv.weight": torch.zeros(1),
        "head.fc.weight": torch.zeros(7, 5, 1, 1),
    }
    out = from_timm(sd)
    assert set(out) == {"stages.2.0.shortcut.weight", "head.fc.weight"}  # loading reshapes the 1x1 conv
    with pytest.raises(UnplacedKeysError, match=r"stages\.0\.blocks\.0\.se\.fc"):
        from_timm({"stages.0.blocks.0.se.fc.weight": torch.zeros(1)})


def test_units_start_as_identity_unless_asked_for_the_papers_init():
    units = [m for m in convzoo.create_model("preact_resnet164").modules() if isinstance(m, PreActBottleneck)]
    assert len(units) == 54 and all(not u.conv3.weight.any() for u in units)
    paper = convzoo.create_model("preact_resnet164", zero_init_last=False)
    assert all(u.conv3.weight.std() > 0 for u in paper.modules() if isinstance(u, PreActBottleneck))


@pytest.mark.slow
def test_preact_resnet1001_is_finite_at_initialisation():
    model = convzoo.create_model("preact_resnet1001").eval()
    with torch.no_grad():
        assert torch.isfinite(model(torch.randn(1, 3, 32, 32))).all()
