"""LeNet-5's paper-specific pieces: the C3 connection table, the scaled tanh, the RBF output."""

from __future__ import annotations

from fractions import Fraction

import torch

import convzoo
from convzoo.models.lenet import C3_TABLE, DIGIT_BITMAPS, PartialConv, ScaledTanh


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


def test_partial_conv_equals_the_dense_masked_convolution():
    torch.manual_seed(0)
    conv = PartialConv(C3_TABLE, 6)
    conv.bias.data.uniform_(-1, 1)
    dense = conv.weight.new_zeros(16, 6, 5, 5).index_put((conv.index[0], conv.index[1]), conv.weight)
    x = torch.randn(2, 6, 14, 14)
    assert torch.allclose(conv(x), torch.nn.functional.conv2d(x, dense, conv.bias), atol=1e-6)


def test_lenet5_macs_count_the_connected_c3_kernels_only(capsys):
    """LeCun et al. 1998, Sec. II.B: C3 has 1,516 trainable parameters and 151,600 connections,
    i.e. 60 connected 5x5 kernels at 10x10 positions = 150,000 multiply-adds plus the biases.
    The layer runs as a dense 16 x 6 convolution (its 36 absent kernels held at zero); only the
    count is scaled."""
    from convzoo.analysis import count_macs, summary
    from convzoo.analysis.zoo_costs import load_cache
    from convzoo.cli import main

    model = convzoo.create_model("lenet5")
    assert model.c3.mac_fraction == Fraction(60, 96)
    result = summary(model, (1, 32, 32))
    c3 = result.row("c3")
    assert c3.params == 1_516 and c3.macs == 60 * 25 * 100 == 151_600 - 16 * 100 == 150_000
    # C1 117,600 + C3 150,000 + C5 48,000 + F6 10,080 (Table I's connections less biases)
    assert result.total_macs == 117_600 + 150_000 + 48_000 + 10_080 == 325_680
    assert count_macs(model, torch.zeros(3, 1, 32, 32)) == 3 * 325_680
    assert load_cache()["lenet5"]["macs"] == 325_680
    assert main(["summary", "lenet5"]) == 0
    assert "total MACs: 325,680" in capsys.readouterr().out
    # the modern variant's C3 is a plain full convolution: 16 x 6 x 25 x 100
    assert summary(convzoo.create_model("lenet5_modern")).row("c3").macs == 240_000
