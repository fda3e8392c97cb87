"""Nearest neighbours in the last hidden layer, and top-activating patches cropped to the receptive field."""

from __future__ import annotations

import torch
from torch import nn

from convzoo import create_model
from convzoo.interpret.neighbours import nearest_neighbours
from convzoo.interpret.patches import crop, receptive_field, top_patches


def test_an_image_in_the_gallery_is_its_own_nearest_neighbour():
    torch.manual_seed(0)
    model = create_model("lenet5_modern").eval()
    gallery = torch.randn(20, 1, 32, 32)
    found = nearest_neighbours(model, gallery[[3, 11]], gallery, k=4)
    assert found.indices[:, 0].tolist() == [3, 11]
    assert torch.allclose(found.distances[:, 0], torch.zeros(2, dtype=found.distances.dtype), atol=1e-6)
    assert (found.distances[:, 1:] > 1e-3).all() and (found.distances.diff(dim=1) >= 0).all()


def delta_convs(count: int) -> nn.Sequential:
    """`count` 3x3 convolutions that pass the centre pixel on: each unit is its field's centre."""
    convs = [nn.Conv2d(1, 1, 3, bias=False) for _ in range(count)]
    for conv in convs:
        nn.init.zeros_(conv.weight)
        conv.weight.data[0, 0, 1, 1] = 1.0
    return nn.Sequential(*convs)


def test_the_top_patch_is_centred_on_what_the_unit_sees():
    images = torch.zeros(4, 1, 12, 12)
    images[2, 0, 5, 7] = 3.0
    images[0, 0, 8, 3] = 1.0
    model = delta_convs(2)  # fields of 5 pixels, first centred at (2, 2)
    assert receptive_field(model, "1", (1, 12, 12)) == (5, 1, 2.0)
    (unit,) = top_patches(model, images, "1", units=[0], k=2)
    assert unit.images.tolist() == [2, 0] and unit.values.tolist() == [3.0, 1.0]
    assert unit.positions == [(3, 5), (6, 1)]
    assert unit.patches.shape == (2, 1, 5, 5)
    assert unit.patches[0, 0, 2, 2] == 3.0 and unit.patches[1, 0, 2, 2] == 1.0
    assert unit.patches.sum() == 4.0  # each patch holds only its own bright pixel


def test_crops_reaching_outside_the_image_are_zero_padded():
    image = torch.arange(16.0).view(1, 4, 4) + 1
    patch = crop(image, (0, 0), 3)
    assert patch.shape == (1, 3, 3)
    assert patch[0, 0].tolist() == [0, 0, 0] and patch[0, 1:, 1:].flatten().tolist() == [1, 2, 5, 6]
