"""Shared blocks of convzoo.layers: local response normalisation, channel rounding, conv-norm-act,
the inverted residual's in-place sum."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convzoo.layers import ConvNormAct, LocalResponseNorm, make_divisible
from convzoo.layers.mbconv import InvertedResidual
from convzoo.layers.preact import BatchNormReLU
from tests.in_place import assert_in_place_matches_out_of_place


def test_lrn_follows_the_papers_formula():
    torch.manual_seed(0)
    x = torch.randn(1, 8, 3, 3)
    got = LocalResponseNorm(size=5, alpha=1e-2, beta=0.75, k=2.0)(x)
    expected = torch.empty_like(x)
    for i in range(8):
        lo, hi = max(0, i - 2), min(7, i + 2)
        expected[:, i] = x[:, i] / (2.0 + 1e-2 * x[:, lo : hi + 1].square().sum(1)) ** 0.75
    assert torch.allclose(got, expected, atol=1e-6)


def test_lrn_groups_do_not_mix_towers():
    x = torch.ones(1, 8, 1, 1)
    x[:, 4] = 10.0  # a big response in the second tower
    out = LocalResponseNorm(size=5, alpha=1.0, groups=2)(x)
    first_tower_alone = LocalResponseNorm(size=5, alpha=1.0)(x[:, :4])
    plain = LocalResponseNorm(size=5, alpha=1.0, groups=1)(x)
    assert torch.allclose(out[:, :4], first_tower_alone)
    assert not torch.allclose(plain[:, 3], out[:, 3])  # without towers map 3 sees map 4


def test_make_divisible_rounds_to_multiples_and_not_far_down():
    assert make_divisible(32 * 0.75) == 24
    assert make_divisible(10) == 16  # 8 would be more than 10% below
    assert make_divisible(91, 8) == 88
    assert all(make_divisible(v) % 8 == 0 for v in range(1, 300))


@pytest.mark.parametrize("act", [nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish])
@pytest.mark.parametrize("norm", [nn.BatchNorm2d, None])
def test_conv_norm_act_in_place_matches_out_of_place(act, norm):
    torch.manual_seed(0)
    block = ConvNormAct(3, 4, 3, norm=norm, act=act).train()
    assert block.act.inplace
    x = torch.randn(2, 3, 8, 8)
    assert_in_place_matches_out_of_place(
        block, lambda m: setattr(m.act, "inplace", False), x, lambda m: [m.conv.weight]
    )


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_batchnorm_relu_in_place_matches_out_of_place(mode):
    torch.manual_seed(0)
    block = BatchNormReLU(4)
    block.weight.data.uniform_(0.5, 1.5)
    block.running_var.fill_(2.0)
    getattr(block, mode)()
    assert block.inplace
    x = torch.randn(2, 4, 5, 5, requires_grad=True)
    outs = assert_in_place_matches_out_of_place(
        block, lambda m: setattr(m, "inplace", False), x, lambda m: [m.weight], fresh_input=True
    )
    assert (outs[0] >= 0).all()


@pytest.mark.parametrize(
    "fused, exp_chs, se_chs, act",
    [(False, 16, 2, nn.ReLU6), (False, 8, 0, nn.Hardswish), (True, 16, 4, nn.SiLU)],
    ids=["mbconv with se", "depthwise without expansion", "fused with expansion"],
)
def test_inverted_residual_in_place_sum_matches_out_of_place(fused, exp_chs, se_chs, act):
    torch.manual_seed(0)
    block = InvertedResidual(8, 8, 3, 1, exp_chs, se_chs, act=act, fused=fused).train()
    assert block.inplace
    x = torch.randn(2, 8, 6, 6, requires_grad=True)
    assert_in_place_matches_out_of_place(
        block, lambda m: setattr(m, "inplace", False), x, lambda m: list(m.parameters()), fresh_input=True
    )


def test_a_lone_fused_conv_sums_out_of_place_so_its_relu_can_backward():
    block = InvertedResidual(8, 8, 3, 1, 8, act=nn.ReLU, fused=True).train()
    assert not block.inplace
    x = torch.randn(2, 8, 6, 6, requires_grad=True)
    block(x).square().sum().backward()  # an in-place sum would overwrite the ReLU output it needs
    assert x.grad.abs().sum() > 0
