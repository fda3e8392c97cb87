"""Shared layers and LeNet-5's paper-specific pieces."""

from __future__ import annotations

import torch

import convzoo
from convzoo.layers import LocalResponseNorm, make_divisible
from convzoo.models.lenet import C3_TABLE, DIGIT_BITMAPS, PartialConv, ScaledTanh


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


def test_partial_conv_connects_only_table_i():
    conv = PartialConv(C3_TABLE, 6)
    x = torch.randn(1, 6, 10, 10, requires_grad=True)
    for j, inputs in enumerate(C3_TABLE):
        (grad,) = torch.autograd.grad(conv(x)[0, j].sum(), x)
        touched = {i for i in range(6) if grad[0, i].abs().sum() > 0}
        assert touched == set(inputs), j


def test_scaled_tanh_maps_one_to_one():
    f = ScaledTanh()
    assert abs(f(torch.tensor(1.0)).item() - 1.0) < 1e-3
    assert abs(f(torch.tensor(-1.0)).item() + 1.0) < 1e-3


def test_rbf_centres_are_fixed_digit_bitmaps():
    model = convzoo.create_model("lenet5")
    centres = model.head.fc.centres
    assert centres.shape == (10, 84) and not centres.requires_grad
    assert all(len(b) == 12 and all(len(row) == 7 for row in b) for b in DIGIT_BITMAPS)
    assert set(centres.unique().tolist()) == {-1.0, 1.0}
    assert len({tuple(c.tolist()) for c in centres}) == 10
    # the output is the negated distance: the centre of class 3 scores 0, the best possible
    features = centres[3:4]
    logits = model.head.fc(features)
    assert logits[0, 3] == 0 and logits.argmax().item() == 3


def test_make_divisible_rounds_to_multiples_and_not_far_down():
    assert make_divisible(32 * 0.75) == 24
    assert make_divisible(10) == 16  # 8 would be more than 10% below
    assert make_divisible(91, 8) == 88
    assert all(make_divisible(v) % 8 == 0 for v in range(1, 300))
