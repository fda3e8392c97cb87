"""BlockQNN's Network Structure Codes: Table 1's rules, the block graph, the search space's decisions."""

import numpy as np
import pytest
import torch

from convzoo import create_model
from convzoo.models.blockqnn import (
    BLOCKQNN_B,
    TEMPLATES,
    Block,
    BlockQNN,
    InvalidBlockError,
    density,
    edges,
    leaves,
    parse_block,
)
from convzoo.search.spaces import get_space
from convzoo.search.spaces.blockqnn import layer_options


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ([(2, 1, 3, 0, 0)], "layer 1 (2, 1, 3, 0, 0): index must be 1"),
        ([(1, 8, 0, 0, 0)], "layer 1 (1, 8, 0, 0, 0): type must be 1-7"),
        ([(1, 1, 7, 0, 0)], "a convolution layer takes kernel size 1 or 3 or 5, got 7"),
        ([(1, 2, 5, 0, 0)], "a max pooling layer takes kernel size 1 or 3, got 5"),
        ([(1, 1, 3, 1, 0)], "layer 1 (1, 1, 3, 1, 0): predecessor 1 must be an earlier layer"),
        ([(1, 1, 3, 0, 0), (2, 5, 0, 1, 1)], "layer 2 (2, 5, 0, 1, 1): elemental add needs two different"),
        ([(1, 1, 3, 0, 1)], "a convolution layer has one predecessor; predecessor 2 must be 0"),
        (
            [(1, 7, 0, 0, 0), (2, 1, 3, 0, 0)],
            "layer 1 (1, 7, 0, 0, 0): the terminal layer must be the block's last",
        ),
        ([(1, 1, 3, 0)], "layer 1: expected five integers"),
    ],
)
def test_invalid_codes_name_the_layer_and_the_rule(codes, message):
    with pytest.raises(InvalidBlockError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_block(codes)


def test_max_layers_is_enforced():
    codes = [(i, 4, 0, i - 1, 0) for i in range(1, 5)]
    assert len(parse_block(codes, max_layers=4)) == 4
    with pytest.raises(InvalidBlockError, match=r"layer 4 .* at most 3 layers"):
        parse_block(codes, max_layers=3)


def test_graph_of_a_block():
    block = parse_block([(1, 1, 1, 0, 0), (2, 1, 3, 0, 0), (3, 5, 0, 1, 2), (4, 2, 3, 0, 0), (5, 7, 0, 0, 0)])
    assert len(block) == 4  # the terminal ends the block
    assert leaves(block) == [3, 4]
    assert edges(block) == [(0, 1), (0, 2), (1, 3), (2, 3), (0, 4), (3, 5), (4, 5)]
    assert density(block) == pytest.approx(7 / 6)


def test_block_concatenates_leaves_and_projects_to_the_stage_width():
    block = Block(parse_block([(1, 1, 3, 0, 0), (2, 4, 0, 0, 0), (3, 6, 0, 1, 2)]), in_chs=5, filters=8)
    assert block.leaves == [3]
    assert block.project.conv.in_channels == 8 + 5  # concat of the conv (8) and the identity (5)
    assert block(torch.randn(2, 5, 6, 6)).shape == (2, 8, 6, 6)


def test_add_of_different_widths_projects_the_second_input():
    block = Block(parse_block([(1, 1, 3, 0, 0), (2, 5, 0, 1, 0)]), in_chs=4, filters=8)
    assert block.layers[1].conv.in_channels == 4 and block.layers[1].conv.out_channels == 8
    assert block(torch.randn(1, 4, 5, 5)).shape == (1, 8, 5, 5)


def test_layer_options_are_every_valid_code_of_table_1():
    # layer 1 reads the input only: 3 convs, 2 max pools, 2 avg pools, identity, terminal.
    assert len(layer_options(1)) == 9
    # layer 3: 3 predecessors; one-input types 8 x 3, add and concat over 3 pairs, terminal.
    assert len(layer_options(3)) == 8 * 3 + 2 * 3 + 1
    for index in (1, 2, 5):
        for code in layer_options(index)[:-1]:
            parse_block([*((i, 4, 0, i - 1, 0) for i in range(1, index)), code.as_tuple()])


def test_space_decodes_random_choices_into_valid_blocks_and_back():
    space = get_space("blockqnn", max_layers=6)
    rng = np.random.default_rng(0)
    for _ in range(20):
        choices = space.complete((), rng)
        arch = space.decode(choices)
        assert len(parse_block(arch["codes"], 6)) <= 6
        assert space.encode(arch) == choices


def test_templates_stack_blocks_with_pooling_between_stages():
    template = TEMPLATES["cifar"]
    net = BlockQNN([(1, 1, 3, 0, 0)], template, num_classes=10)
    assert len(net.stages) == template.stages and all(len(s) == template.repeats for s in net.stages)
    assert [f["num_chs"] for f in net.feature_info] == [32, 64, 128]
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_published_blocks_build_in_the_imagenet_template():
    net = create_model("blockqnn_b", num_classes=7)
    assert net.codes == parse_block(BLOCKQNN_B)
    net.eval()
    assert net(torch.randn(1, 3, 64, 64)).shape == (1, 7)
