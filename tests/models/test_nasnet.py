"""NASNet-A facts beyond the model contract: the searched cells, TF 'same' padding, parameter counts."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import convzoo
from convzoo.models.nasnet import (
    NASNET_A_NORMAL,
    NASNET_A_REDUCTION,
    NASNET_CONFIGS,
    NASNet,
    PadSame,
    make_operation,
    pool3x3,
)
from tests.in_place import assert_in_place_matches_out_of_place


def trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize(("name", "millions"), [("nasnet_a_large", 88.9), ("nasnet_a_mobile", 5.3)])
def test_nasnet_counts_match_tables_2_and_3(name, millions):
    """The papers' 88.9M and 5.3M count BatchNorm's moving statistics along with the weights."""
    model = convzoo.create_model(name)
    stats = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))
    assert round((trainable(model) + stats) / 1e6, 1) == millions
    assert model.num_features == NASNET_CONFIGS[name.split("_")[-1]].penultimate_filters


def test_nasnet_a_cells_are_the_searched_ones():
    # Fig. 4: five blocks each; the normal cell concatenates h_{i-1} and all blocks, the reduction
    # cell the four blocks that no later block uses.
    assert len(NASNET_A_NORMAL.blocks) == len(NASNET_A_REDUCTION.blocks) == 5
    assert NASNET_A_NORMAL.concat == (1, 2, 3, 4, 5, 6)
    assert NASNET_A_REDUCTION.concat == (3, 4, 5, 6)
    ops = {op for b in NASNET_A_NORMAL.blocks + NASNET_A_REDUCTION.blocks for op in (b.left_op, b.right_op)}
    assert ops == {"identity", "avg3x3", "max3x3", "sep3x3", "sep5x5", "sep7x7"}
    model = convzoo.create_model("nasnet_a_mobile")
    assert len(model.cells) == 2 + 3 * 4 + 2
    assert [c.spec.reduction for c in model.cells].count(True) == 4
    assert model.cells[2].out_chs == 6 * 44 and model.cells[6].out_chs == 4 * 88


def test_nasnet_mobile_maps_224_to_7x7():
    model = convzoo.create_model("nasnet_a_mobile").eval()
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 224, 224)).shape == (1, 1056, 7, 7)


def test_a_mutated_cell_builds_and_runs():
    blocks = list(NASNET_A_NORMAL.blocks)
    blocks[0] = dataclasses.replace(blocks[0], left_op="sep3x3", right_op="identity")
    config = dataclasses.replace(
        NASNET_CONFIGS["mobile"], normal_cell=dataclasses.replace(NASNET_A_NORMAL, blocks=tuple(blocks))
    )
    model = NASNet(config, num_classes=10).eval()
    assert trainable(model) < convzoo.model_card("nasnet_a_mobile").params
    with torch.no_grad():
        assert model(torch.randn(1, 3, 32, 32)).shape == (1, 10)
    with pytest.raises(ValueError, match="unknown NASNet operation 'conv9x9'"):
        make_operation("conv9x9", 8, 8, 1)
    with pytest.raises(ValueError, match="identity cannot map"):
        make_operation("identity", 8, 8, 2)


def test_same_padding_is_asymmetric_at_stride_2():
    x = torch.zeros(1, 1, 42, 42)
    assert PadSame(5, 2)(x).shape[-2:] == (45, 45)  # (21 - 1) * 2 + 5 - 42 = 3: one before, two after
    padded = PadSame(5, 2, value=1.0)(x)
    assert padded[0, 0, 0, 0] == 1 and padded[0, 0, 1, 1] == 0 and padded[0, 0, -2, -2] == 1
    assert PadSame(3, 1)(torch.zeros(1, 1, 7, 7)).shape[-2:] == (9, 9)


def test_stride_2_average_pooling_counts_its_zero_padding():
    ones = torch.ones(1, 1, 21, 21)
    out = pool3x3("avg", 2)(ones)
    assert out.shape[-2:] == (11, 11)
    assert out[0, 0, 0, 0] == pytest.approx(4 / 9)  # the timm port's behaviour the reference follows
    assert torch.all(pool3x3("avg", 1)(ones) == 1)  # stride 1 leaves the padding out
    maxed = pool3x3("max", 2)(-ones)
    assert torch.all(maxed == -1)  # -inf padding never wins


@pytest.mark.parametrize("stride", [1, 2])
def test_separable_op_second_relu_in_place_matches_out_of_place(stride):
    """The op's second ReLU works in place on bn1's output (its only reader), as timm's port does;
    outputs and gradients match the out-of-place op, and the op's input is left as it was."""
    torch.manual_seed(0)
    op = make_operation("sep5x5", 8, 8, stride).train()
    assert op.act2.inplace and not op.act1.inplace  # act1 reads a cell input other ops share
    x = torch.randn(2, 8, 9, 9)
    assert_in_place_matches_out_of_place(
        op, lambda m: setattr(m.act2, "inplace", False), x, lambda m: [m.sep1.depthwise.weight, m.bn1.weight]
    )
