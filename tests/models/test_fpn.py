"""Feature Pyramid Networks (Lin et al. 2017): the pyramid's levels and the semantic-segmentation head."""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.models.fpn import FeaturePyramid, SemanticFPN


@pytest.fixture(scope="module")
def pyramid() -> FeaturePyramid:
    torch.manual_seed(0)
    return FeaturePyramid("vgg11").eval()


def test_pyramid_levels_channels_and_strides(pyramid):
    assert [(e["name"], e["num_chs"], e["reduction"]) for e in pyramid.feature_info] == [
        ("p2", 256, 4),
        ("p3", 256, 8),
        ("p4", 256, 16),
        ("p5", 256, 32),
    ]
    assert [c.in_channels for c in pyramid.lateral] == [128, 256, 512, 512]  # vgg11 stages 1-4
    with torch.no_grad():
        levels = pyramid(torch.randn(1, 3, 64, 96))
    assert {k: tuple(v.shape) for k, v in levels.items()} == {
        "p2": (1, 256, 16, 24),
        "p3": (1, 256, 8, 12),
        "p4": (1, 256, 4, 6),
        "p5": (1, 256, 2, 3),
    }


def test_fpn_on_resnet50_builds_the_papers_p2_to_p5_on_c2_to_c5():
    with torch.device("meta"):
        model = SemanticFPN("resnet50")
    assert [c.in_channels for c in model.pyramid.lateral] == [256, 512, 1024, 2048]
    assert [c.kernel_size for c in model.pyramid.lateral] == [(1, 1)] * 4
    assert [(c.out_channels, c.kernel_size) for c in model.pyramid.output] == [(256, (3, 3))] * 4
    assert [e["reduction"] for e in model.pyramid.feature_info] == [4, 8, 16, 32]


def test_pyramid_top_down_adds_upsampled_coarser_levels(pyramid):
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        levels = pyramid(x)
        _, c3, c4, c5 = pyramid.encoder(x)
        m5 = pyramid.lateral[3](c5)
        m4 = pyramid.lateral[2](c4) + m5.repeat_interleave(2, -1).repeat_interleave(2, -2)
        m3 = pyramid.lateral[1](c3) + m4.repeat_interleave(2, -1).repeat_interleave(2, -2)
    assert torch.allclose(levels["p5"], pyramid.output[3](m5), atol=1e-6)
    assert torch.allclose(levels["p4"], pyramid.output[2](m4), atol=1e-5)
    assert torch.allclose(levels["p3"], pyramid.output[1](m3), atol=1e-5)


def test_pyramid_extra_p6_and_out_chs():
    pyramid = FeaturePyramid("vgg11", out_chs=64, extra_p6=True).eval()
    with torch.no_grad():
        levels = pyramid(torch.randn(1, 3, 64, 64))
    assert list(levels) == ["p2", "p3", "p4", "p5", "p6"]
    assert levels["p6"].shape == (1, 64, 1, 1) and torch.equal(levels["p6"], levels["p5"][..., ::2, ::2])


def test_semantic_fpn_merges_the_pyramid_at_a_quarter_and_upsamples():
    model = convzoo.create_model("fpn_vgg11", num_classes=5).eval()
    assert model.head.steps == [0, 1, 2, 3]  # conv-GN-ReLU-2x steps from P2..P5 down to 1/4
    assert [len(level) for level in model.head.levels] == [1, 1, 2, 3]
    seen = {}
    model.head.fc.register_forward_hook(lambda m, i, o: seen.__setitem__("quarter", o.shape))
    with torch.no_grad():
        out = model(torch.randn(1, 3, 37, 45))
    assert seen["quarter"] == (1, 5, 9, 11)  # N x classes x H/4 x W/4
    assert out.shape == (1, 5, 37, 45) and model.output_size((37, 45)) == (37, 45)
    with pytest.raises(ValueError, match="at least 32x32"):
        model(torch.randn(1, 3, 31, 64))
