"""Mirrored borders and overlap-tile prediction (Fig. 2): tiled equals untiled wherever both exist."""

from __future__ import annotations

import torch

from convzoo.models.unet import UNet, UNetConfig
from convzoo.segmentation import fit_to_output, mirror_pad, predict_tiled
from convzoo.segmentation.tiling import input_side_for


def tiny_unet(padding: int = 0) -> UNet:
    torch.manual_seed(0)
    return UNet(UNetConfig(widths=(4, 8, 16, 32, 64), padding=padding), num_classes=3, in_chans=1).eval()


def test_mirror_pad_is_reflection_and_reflects_again_when_the_pad_is_wider_than_the_image():
    x = torch.arange(12.0).view(1, 1, 3, 4)
    assert torch.equal(mirror_pad(x, 2, 1, 3, 2), torch.nn.functional.pad(x, (3, 2, 2, 1), mode="reflect"))
    row = torch.tensor([[[[0.0, 1.0, 2.0]]]])
    assert mirror_pad(row, 0, 0, 5, 5)[0, 0, 0].tolist() == [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1]


def test_unpadded_unet_geometry_covers_any_image():
    model = tiny_unet()
    assert input_side_for(model, 388) == (572, 388)  # Fig. 1's tile
    assert input_side_for(model, 90) == (284, 100)  # the smallest valid input whose output covers 90
    logits = fit_to_output(model, torch.randn(1, 1, 90, 70))
    assert logits.shape == (1, 3, 90, 70)


def test_overlap_tile_prediction_equals_the_untiled_prediction():
    model = tiny_unet()
    x = torch.randn(2, 1, 100, 90)
    # 220 x 220 tiles: 36 x 36 output windows every 32 pixels (the two poolings' 16 divides 32)
    tiled = predict_tiled(model, x, tile=220)
    # one tile over the whole mirror-extended image: 100 + 2 x 92 = 284 (a valid side)
    untiled = predict_tiled(model, x, tile=284)
    assert tiled.shape == untiled.shape == (2, 3, 100, 90)
    assert torch.allclose(tiled, untiled, atol=1e-5)
    # a stride that is not a multiple of 16 would change the result: the comparison can fail
    shifted = predict_tiled(model, x[..., 4:, :], tile=220)
    assert not torch.allclose(shifted, untiled[..., 4:, :], atol=1e-5)


def test_padded_model_needs_no_margin():
    model = tiny_unet(padding=1)
    x = torch.randn(1, 1, 64, 48)
    assert torch.equal(fit_to_output(model, x), model(x))
