"""Parameter counts against the numbers the papers print."""

from __future__ import annotations

import pytest

import convzoo


def trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_lenet5_has_the_papers_60000_trainable_parameters():
    model = convzoo.create_model("lenet5")
    assert trainable(model) == 60_000
    # Section II.B, layer by layer.
    assert trainable(model.c1) == 156
    assert trainable(model.s2) == 12
    assert trainable(model.c3) == 1_516
    assert trainable(model.s4) == 32
    assert trainable(model.c5) == 48_120
    assert trainable(model.head.f6) == 10_164
    assert trainable(model.head.fc) == 0  # RBF centres are fixed


def test_alexnet_has_the_published_parameter_count():
    assert trainable(convzoo.create_model("alexnet")) == 60_965_224


# Table 2 of Simonyan & Zisserman gives millions: 133, 133, 133, 134, 138, 144.
@pytest.mark.parametrize(
    ("name", "exact", "table2_millions"),
    [
        ("vgg11", 132_863_336, 133),
        ("vgg11_lrn", 132_863_336, 133),
        ("vgg13", 133_047_848, 133),
        ("vgg16_c", 133_638_952, 134),
        ("vgg16", 138_357_544, 138),
        ("vgg19", 143_667_240, 144),
    ],
)
def test_vgg_matches_table_2(name, exact, table2_millions):
    n = trainable(convzoo.create_model(name))
    assert n == exact
    assert round(n / 1e6) == table2_millions
