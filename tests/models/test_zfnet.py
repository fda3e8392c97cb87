"""ZFNet as in Fig. 3 of Zeiler & Fergus: layers 1 and 2 are rectified, max-pooled, then normalised."""

from __future__ import annotations

import torch

import convzoo


def test_layers_1_and_2_pool_before_they_normalise_unlike_alexnet():
    zfnet, alexnet = convzoo.create_model("zfnet"), convzoo.create_model("alexnet")
    for i in (1, 2):
        assert [n for n, _ in getattr(zfnet.features, f"conv{i}").named_children()] == [
            "conv", "act", "pool", "norm",
        ]  # fmt: skip
        assert [n for n, _ in getattr(alexnet.features, f"conv{i}").named_children()] == [
            "conv", "act", "norm", "pool",
        ]  # fmt: skip


def test_the_block_computes_in_the_caption_order():
    block = convzoo.create_model("zfnet").features.conv1.eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected = block.norm(block.pool(torch.relu(block.conv(x))))
        assert torch.equal(block(x), expected)
        assert block(x).shape == (1, 96, 55, 55)  # Fig. 3: 110 -> 55 after pooling
