"""LeNet-5's paper-specific pieces: the C3 connection table, the scaled tanh, the RBF output."""

from __future__ import annotations

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
