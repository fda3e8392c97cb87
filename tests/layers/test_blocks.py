"""Shared blocks of convzoo.layers: local response normalisation, channel rounding, conv-norm-act."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convzoo.layers import ConvNormAct, LocalResponseNorm, make_divisible
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
