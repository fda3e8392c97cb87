"""SENet facts beyond the model contract: the SE gate, SE-ResNet-50, SENet-154's changes."""

from __future__ import annotations

import torch
from torch import nn

from convzoo.models.resnet import (
    ResidualBlock,
    ResNetConfig,
    StageRow,
)
from tests.models.helpers import n_params, skeleton


def stride_of(conv) -> int:
    return conv.conv.stride[0]


def se_block(reduction: int = 16) -> ResidualBlock:
    cfg = ResNetConfig("bottleneck", (), se_reduction=reduction)
    return ResidualBlock(cfg, 64, StageRow(1, 64, 256, 1), stride=1, first_stage=True).eval()


def test_se_block_reduces_by_r_and_gates_the_branch():
    block = se_block()
    assert block.se.fc1.out_channels == 256 // 16
    x = torch.randn(2, 64, 6, 6)
    with torch.no_grad():
        shortcut = block.shortcut(x)
        nn.init.zeros_(block.se.fc2.weight)
        nn.init.constant_(block.se.fc2.bias, -100.0)  # gates closed: the block is relu(shortcut)
        assert torch.allclose(block(x), shortcut.relu(), atol=1e-6)
        nn.init.zeros_(block.se.fc2.bias)  # gates at sigmoid(0) = 1/2: half the branch
        branch = block.conv3(block.conv2(block.conv1(x)))
        assert torch.allclose(block(x), (shortcut + branch / 2).relu(), atol=1e-5)


def test_seresnet50_is_resnet50_v1_plus_se_gates():
    se, plain = skeleton("seresnet50"), skeleton("resnet50")
    gates = sum(n_params(b.se) for s in se.stages for b in s)
    assert n_params(se) - gates == n_params(plain)
    assert stride_of(se.stages[1][0].conv1) == 2  # v1, like the released SE-ResNet models
    assert se.min_input_size == 3  # Caffe's unpadded stem pooling


def test_senet154_appendix_changes():
    model = skeleton("senet154")
    assert [n for n, _ in model.stem.named_children()] == ["conv1", "conv2", "conv3", "pool"]
    block = model.stages[0][0]
    assert block.conv1.conv.out_channels * 2 == block.conv2.conv.out_channels == 256
    assert block.conv2.conv.groups == 64
    assert block.shortcut.conv.kernel_size == (1, 1)
    assert model.stages[1][0].shortcut.conv.kernel_size == (3, 3)
    assert model.head.drop.p == 0.2
    assert [len(s) for s in model.stages] == [3, 8, 36, 3]
