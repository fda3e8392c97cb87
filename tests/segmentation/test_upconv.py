"""U-Net's 2x2 up-convolution: its output-size formula and the cost the summary reports for it."""

from __future__ import annotations

import pytest
import torch

from convzoo import create_model
from convzoo.analysis.summary import summary
from convzoo.layers.decoder import up_conv_output_side


@pytest.mark.parametrize("side, kernel, stride, padding", [(28, 2, 2, 0), (7, 3, 2, 1), (5, 4, 1, 0)])
def test_transposed_convolution_output_side(side, kernel, stride, padding):
    conv = torch.nn.ConvTranspose2d(1, 1, kernel, stride, padding)
    assert conv(torch.zeros(1, 1, side, side)).shape[-1] == up_conv_output_side(side, kernel, stride, padding)
    assert up_conv_output_side(28) == 56  # Fig. 1's bottom: 28x28 -> 56x56


def test_summary_counts_every_input_pixel_times_output_channels_times_four_for_each_up_convolution():
    rows = {row.name: row for row in summary(create_model("unet_small"), (1, 64, 64)).layers}
    up = rows["decoder.0.up"]  # 256 channels at 4x4 -> 128 channels at 8x8
    assert up.type == "ConvTranspose2d" and up.output_shape[-3:] == [128, 8, 8]
    assert up.macs == 256 * 4 * 4 * 128 * 2 * 2
