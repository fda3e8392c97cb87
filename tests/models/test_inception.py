"""Inception v2-v4 and Inception-ResNet facts beyond the model contract; branch specs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convzoo
from convzoo.contract import ClassifierOutput
from convzoo.layers.inception import ResidualInception, parse_branch, parse_layer
from convzoo.models import inception as inception_module
from tests.models.helpers import n_params, on_meta, output_shapes


def test_inception_v3_grids_follow_table_1():
    """Table 1 of Rethinking...: 35x35x288, 17x17x768, 8x8x2048 at 299x299."""
    model = on_meta("inception_v3")
    shapes = output_shapes(
        model, 299, ["features.conv2b", "features.mixed5d", "features.mixed6e", "features.mixed7c"]
    )
    assert shapes == {
        "features.conv2b": (64, 147, 147),
        "features.mixed5d": (288, 35, 35),
        "features.mixed6e": (768, 17, 17),
        "features.mixed7c": (2048, 8, 8),
    }


def test_inception_v3_factorises_convolutions():
    model = on_meta("inception_v3")
    # Figure 6: 7x7 as 1x7 then 7x1 (and 7x1, 1x7, ... in the double branch).
    kernels = [m.conv.kernel_size for m in model.features.mixed6b.branch7x7]
    assert kernels == [(1, 1), (1, 7), (7, 1)]
    # Figure 7: the expanded 8x8 modules split into parallel 1x3 and 3x1.
    split = model.features.mixed7b.branch3x3[1]
    assert (split.a.conv.kernel_size, split.b.conv.kernel_size) == ((1, 3), (3, 1))
    # Figure 10: grid reduction by stride-2 convolution beside stride-2 pooling.
    assert model.features.mixed6a.branch3x3.conv.stride == (2, 2)
    assert isinstance(model.features.mixed6a.branch_pool, nn.MaxPool2d)
    # The stem: the 7x7 factorised into three 3x3 (v3), a single 7x7 (v2).
    assert [model.features[i].conv.kernel_size for i in range(3)] == [(3, 3)] * 3
    assert on_meta("inception_v2").features.conv1a.conv.kernel_size == (7, 7)


def test_inception_v3_aux_head_is_batchnormed_and_v2s_is_not():
    v3, v2 = on_meta("inception_v3"), on_meta("inception_v2")
    assert list(v3.aux_heads) == ["mixed6e"] and v3.aux_loss_weights == (0.4,)
    assert isinstance(v3.aux_heads["mixed6e"].conv[1].bn, nn.BatchNorm2d)
    assert not hasattr(v2.aux_heads["mixed6e"].conv[1], "bn")
    assert v2.aux_heads["mixed6e"].conv[1].conv.bias is not None
    # "on top of the last 17x17 layer": 5x5/3 pooling to 5x5, where the 5x5 conv is a fully connected layer.
    assert v3.aux_heads["mixed6e"].pool(torch.empty(1, 768, 17, 17, device="meta")).shape == (1, 768, 5, 5)


def test_inception_v3_aux_logits_in_training():
    torch.manual_seed(0)
    model = convzoo.create_model("inception_v3", num_classes=4).train()
    out = model(torch.randn(2, 3, 75, 75))
    assert isinstance(out, ClassifierOutput)
    assert out.logits.shape == (2, 4) and [a.shape for a in out.aux_logits] == [(2, 4)]


def test_inception_v3_torchvision_converter_rules():
    sd = {k: torch.zeros(1) for k in (
        "Conv2d_2b_3x3.conv.weight",
        "Mixed_5b.branch5x5_2.bn.weight",
        "Mixed_6a.branch3x3.conv.weight",
        "Mixed_7b.branch3x3dbl_3a.conv.weight",
        "Mixed_7c.branch_pool.bn.running_var",
        "AuxLogits.conv1.conv.weight",
        "AuxLogits.fc.bias",
    )}  # fmt: skip
    assert list(inception_module.v3_from_torchvision(sd)) == [
        "features.conv2b.conv.weight",
        "features.mixed5b.branch5x5.1.bn.weight",
        "features.mixed6a.branch3x3.conv.weight",
        "features.mixed7b.branch3x3dbl.2.a.conv.weight",
        "features.mixed7c.branch_pool.1.bn.running_var",
        "aux_heads.mixed6e.conv.1.conv.weight",
        "aux_heads.mixed6e.fc.bias",
    ]


@pytest.mark.parametrize(
    ("name", "grids"),
    [  # Figures 9 and 15 of Szegedy et al. 2017: the maps entering and leaving each reduction
        ("inception_v4", {"mixed5a": 384, "mixed5e": 384, "mixed6h": 1024, "mixed7d": 1536}),
        ("inception_resnet_v1", {"conv4b": 256, "block35_5": 256, "block17_10": 896, "block8_5": 1792}),
        ("inception_resnet_v2", {"mixed5a": 384, "block35_5": 384, "block17_10": 1152, "block8_5": 2144}),
        ("inception_resnet_v2_tf", {"mixed5b": 320, "block35_10": 320, "block17_20": 1088, "conv7b": 1536}),
    ],
)
def test_szegedy_2017_grids(name, grids):
    shapes = output_shapes(on_meta(name), 299, [f"features.{n}" for n in grids])
    sizes = [35, 35, 17, 8]
    assert [shapes[f"features.{n}"] for n in grids] == [
        (c, s, s) for c, s in zip(grids.values(), sizes, strict=True)
    ]


@pytest.mark.parametrize("name", ["inception_resnet_v1", "inception_resnet_v2"])
def test_paper_inception_resnets_run_at_their_minimum_size(name):
    """Built and run by default (their contract tests are marked slow)."""
    assert n_params(on_meta(name)) == convzoo.model_card(name).params
    torch.manual_seed(0)
    model = convzoo.create_model(name, num_classes=3).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 75, 75))
    assert out.shape == (1, 3) and torch.isfinite(out).all()


def test_inception_resnet_block_counts_paper_vs_release():
    def count(model, prefix):
        return sum(1 for n, _ in model.features.named_children() if n.startswith(prefix))

    paper, release = on_meta("inception_resnet_v2"), on_meta("inception_resnet_v2_tf")
    assert [count(paper, p) for p in ("block35_", "block17_", "block8_")] == [5, 10, 5]  # Figure 15
    assert [count(release, p) for p in ("block35_", "block17_", "block8_")] == [10, 20, 10]
    last = release.features.block8_10
    assert last.scale == 1.0 and isinstance(last.act, nn.Identity)
    assert [
        paper.features.block35_1.scale,
        paper.features.block17_1.scale,
        paper.features.block8_1.scale,
    ] == [
        0.17,
        0.10,
        0.20,
    ]


def test_residual_inception_adds_the_scaled_projection():
    torch.manual_seed(0)
    block = ResidualInception({"branch0": "1x1-4", "branch1": "1x1-4 3x3-4"}, 6, scale=0.2).eval()
    assert block.up.in_channels == 8 and block.up.out_channels == 6 and block.up.bias is not None
    x = torch.randn(1, 6, 5, 5)
    with torch.no_grad():
        expected = torch.relu(x + 0.2 * block.up(block.branches(x)))
        assert torch.allclose(block(x), expected)


def test_timm_converters_place_rows_and_residual_blocks():
    v4 = inception_module.v4_from_timm(
        {
            "features.3.conv.conv.weight": torch.zeros(1),
            "features.19.branch2_3b.bn.bias": torch.zeros(1),
            "features.21.branch3.1.conv.weight": torch.zeros(1),
            "last_linear.weight": torch.zeros(1),
        }
    )
    assert list(v4) == [
        "features.mixed3a.conv.conv.weight",
        "features.mixed7b.branch2.3.b.bn.bias",
        "features.mixed7d.branch3.1.conv.weight",
        "head.fc.weight",
    ]
    ir = inception_module.ir_v2_from_timm(
        {
            "repeat.0.conv2d.weight": torch.zeros(1),
            "repeat_1.19.branch1.2.bn.weight": torch.zeros(1),
            "block8.conv2d.bias": torch.zeros(1),
            "conv2d_7b.conv.weight": torch.zeros(1),
        }
    )
    assert list(ir) == [
        "features.block35_1.up.weight",
        "features.block17_20.branches.branch1.2.bn.weight",
        "features.block8_10.up.bias",
        "features.conv7b.conv.weight",
    ]


def test_branch_specs_read_like_the_figures():
    conv, out, stride = parse_layer("3x3/2V-384", 320)
    assert (out, stride, conv.conv.stride, conv.conv.padding) == (384, 2, (2, 2), (0, 0))
    conv, _, _ = parse_layer("1x7-160", 128)
    assert (conv.conv.kernel_size, conv.conv.padding) == ((1, 7), (0, 3))
    pool, out, stride = parse_layer("avg3x3", 64, count_include_pad=False)
    assert (out, stride, pool.count_include_pad) == (64, 1, False)
    branch, out, stride = parse_branch("1x1-192 1x3-224|3x1-256", 448)
    assert (out, stride, len(branch)) == (480, 1, 2)
    with pytest.raises(ValueError, match="not a layer"):
        parse_layer("3x3+2", 4)
