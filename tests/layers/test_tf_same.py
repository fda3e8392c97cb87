"""TensorFlow's SAME padding (Conv2dTFSame): the output size and where the padded pixels go."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from convzoo.layers import TF_SAME, Conv2dTFSame, ConvNormAct


@pytest.mark.parametrize("side", [7, 8, 15, 16, 224, 225])
@pytest.mark.parametrize(("kernel", "stride"), [(1, 1), (3, 1), (3, 2), (5, 2), (5, 1)])
def test_output_side_is_input_over_stride_rounded_up(side, kernel, stride):
    conv = Conv2dTFSame(2, 3, kernel, stride=stride)
    assert conv(torch.randn(1, 2, side, side)).shape[-1] == math.ceil(side / stride)


def test_even_side_at_stride_2_pads_one_pixel_after_only():
    torch.manual_seed(0)
    conv = Conv2dTFSame(2, 3, 3, stride=2)
    x = torch.randn(1, 2, 8, 10)
    expected = F.conv2d(F.pad(x, (0, 1, 0, 1)), conv.weight, conv.bias, stride=2)
    torch.testing.assert_close(conv(x), expected)
    symmetric = F.conv2d(x, conv.weight, conv.bias, stride=2, padding=1)
    assert symmetric.shape == expected.shape and not torch.allclose(symmetric, expected)


def test_five_by_five_at_stride_2_puts_the_odd_pixel_after():
    torch.manual_seed(0)
    conv = Conv2dTFSame(1, 1, 5, stride=2)
    x = torch.randn(1, 1, 40, 41)  # height: total 3 -> (1, 2); width: total 4 -> (2, 2)
    expected = F.conv2d(F.pad(x, (2, 2, 1, 2)), conv.weight, conv.bias, stride=2)
    torch.testing.assert_close(conv(x), expected)


def test_stride_1_odd_kernel_is_pytorchs_symmetric_padding():
    torch.manual_seed(0)
    conv = Conv2dTFSame(2, 2, 3, groups=2)
    x = torch.randn(1, 2, 9, 12)
    torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight, conv.bias, padding=1, groups=2))


def test_conv_norm_act_takes_tf_same_and_keeps_the_checkpoint_keys():
    tf, plain = ConvNormAct(3, 8, 3, 2, TF_SAME), ConvNormAct(3, 8, 3, 2)
    assert isinstance(tf.conv, Conv2dTFSame)
    assert {k: v.shape for k, v in tf.state_dict().items()} == {
        k: v.shape for k, v in plain.state_dict().items()
    }


@pytest.mark.parametrize(
    ("kernel", "stride", "dynamic"),
    [(1, 1, False), (3, 1, False), (5, 1, False), (2, 1, True), (3, 2, True), (1, 2, True)],
)
def test_conv_norm_act_pads_statically_where_tf_same_is_symmetric(kernel, stride, dynamic):
    torch.manual_seed(0)
    block = ConvNormAct(2, 4, kernel, stride, TF_SAME, act=None, norm=None).eval()
    assert isinstance(block.conv, Conv2dTFSame) == dynamic
    reference = Conv2dTFSame(2, 4, kernel, stride=stride, bias=True)
    reference.load_state_dict(block.conv.state_dict())
    for side in (7, 8, 9):
        x = torch.randn(1, 2, side, side + 1)
        torch.testing.assert_close(block(x), reference(x))
