"""ResNet facts beyond the model contract: ImageNet v1 / v1.5, CIFAR, plain nets, ResNeXt."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn

import convzoo
from convzoo.layers.shortcut import ZeroPadShortcut
from convzoo.models.resnet import (
    ResNet,
    ResNetConfig,
    from_torchvision,
    imagenet_stages,
)
from convzoo.models.senet import from_timm
from convzoo.weights import UnplacedKeysError
from tests.in_place import assert_in_place_matches_out_of_place
from tests.models.helpers import n_params, skeleton


def stride_of(conv) -> int:
    return conv.conv.stride[0]


# Table 6 of He et al. prints the parameter counts in millions.
@pytest.mark.parametrize(
    ("depth", "printed"),
    [(20, "0.27M"), (32, "0.46M"), (44, "0.66M"), (56, "0.85M"), (110, "1.7M"), (1202, "19.4M")],
)
def test_cifar_resnets_have_table_6_parameter_counts(depth, printed):
    n = n_params(skeleton(f"resnet{depth}"))
    digits = len(printed[:-1].split(".")[1])
    assert f"{round(n / 1e6, digits):.{digits}f}M" == printed
    assert convzoo.model_card(f"resnet{depth}").params == n


@pytest.mark.parametrize("depth", [20, 56, 110])
def test_option_a_makes_resnet_and_plain_net_the_same_size(depth):
    resnet, plain = skeleton(f"resnet{depth}"), skeleton(f"plain{depth}")
    assert n_params(resnet) == n_params(plain)
    assert any(isinstance(m, ZeroPadShortcut) for m in resnet.modules())
    assert not any("shortcut" in name for name, _ in plain.named_modules())


def test_zero_padding_shortcut_is_parameter_free_subsampled_identity():
    shortcut = ZeroPadShortcut(16, 32, stride=2)
    assert n_params(shortcut) == 0 and not list(shortcut.buffers())
    x = torch.randn(2, 16, 7, 7)
    y = shortcut(x)
    assert y.shape == (2, 32, 4, 4)
    assert torch.equal(y[:, :16], x[:, :, ::2, ::2])
    assert torch.count_nonzero(y[:, 16:]) == 0
    with pytest.raises(ValueError, match="cannot shrink"):
        ZeroPadShortcut(32, 16)


def test_cifar_resnet20_layout():
    model = convzoo.create_model("resnet20")
    assert [len(s) for s in model.stages] == [3, 3, 3]  # n = 3 blocks of two layers per stage
    assert [e["num_chs"] for e in model.feature_info] == [16, 32, 64]
    assert [e["reduction"] for e in model.feature_info] == [1, 2, 4]
    assert model.num_classes == 10 and model.default_input_size == (3, 32, 32)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == 20  # 19 conv layers and the fc


@pytest.mark.parametrize("depth", [50, 101, 152])
def test_v1_strides_on_the_first_1x1_and_v1_5_on_the_3x3(depth):
    v1, v15 = skeleton(f"resnet{depth}"), skeleton(f"resnet{depth}_v1_5")
    for stage in (1, 2, 3):
        a, b = v1.stages[stage][0], v15.stages[stage][0]
        assert (stride_of(a.conv1), stride_of(a.conv2)) == (2, 1)
        assert (stride_of(b.conv1), stride_of(b.conv2)) == (1, 2)
        assert stride_of(a.shortcut) == stride_of(b.shortcut) == 2
    assert n_params(v1) == n_params(v15)


def test_v1_and_v1_5_compute_different_functions_with_the_same_weights():
    torch.manual_seed(0)
    stages = tuple(replace(row, blocks=1) for row in imagenet_stages(50))
    v1 = ResNet(ResNetConfig("bottleneck", stages, stride_on="1x1"), num_classes=5).eval()
    v15 = ResNet(ResNetConfig("bottleneck", stages, stride_on="3x3"), num_classes=5).eval()
    v15.load_state_dict(v1.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(v1(x), v15(x), atol=1e-3)


def test_only_v1_5_claims_the_libraries_for_bottleneck_depths():
    assert convzoo.model_card("resnet50").compatible == {}
    # timm's ResNets are torchvision's (stride on the 3x3, the same keys)
    assert convzoo.model_card("resnet50_v1_5").compatible == {"torchvision": "resnet50", "timm": "resnet50"}
    # For basic blocks v1 = v1.5, so the paper's name loads the libraries' directly.
    assert convzoo.model_card("resnet18").compatible == {"torchvision": "resnet18", "timm": "resnet18"}
    assert "resnet18_v1_5" not in convzoo.list_models()


def test_imagenet_resnet_stages_follow_table_1():
    model = skeleton("resnet34")
    assert [len(s) for s in model.stages] == [3, 4, 6, 3]
    assert [e["num_chs"] for e in model.feature_info] == [64, 128, 256, 512]
    assert [e["reduction"] for e in model.feature_info] == [4, 8, 16, 32]
    assert isinstance(model.stages[1][0].shortcut[0], nn.Conv2d)  # option B projection
    assert isinstance(model.stages[1][1].shortcut, nn.Identity)
    assert [len(s) for s in skeleton("resnet152").stages] == [3, 8, 36, 3]


def test_plain_imagenet_net_is_resnet_without_projections():
    resnet, plain = skeleton("resnet18"), skeleton("plain18")
    projections = sum(n_params(b.shortcut) for s in resnet.stages for b in s)
    assert n_params(plain) == n_params(resnet) - projections > 0
    with pytest.raises(ValueError, match="no shortcuts"):
        convzoo.create_model("plain18", drop_path_rate=0.1)


@pytest.mark.parametrize(
    "name, stage, index",
    [("resnet18", 0, 1), ("resnet18", 1, 0), ("resnet50_v1_5", 0, 0), ("seresnet50", 1, 1)],
    ids=["basic identity", "basic projection", "bottleneck projection", "se identity"],
)
def test_the_in_place_residual_add_matches_the_out_of_place_one(name, stage, index):
    block = convzoo.create_model(name).stages[stage][index].train()
    x = torch.randn(2, block.conv1.conv.in_channels, 8, 8, requires_grad=True)
    assert block.inplace
    assert_in_place_matches_out_of_place(
        block, lambda m: setattr(m, "inplace", False), x, lambda m: list(m.parameters()), fresh_input=True
    )


def test_zero_init_last_starts_every_block_as_the_identity():
    model = convzoo.create_model("resnet18", zero_init_last=True).eval()
    x = torch.randn(1, 64, 8, 8).relu()
    with torch.no_grad():
        assert torch.equal(model.stages[0](x), x)
    default = convzoo.create_model("resnet18").eval()
    assert default.stages[0][0].conv2.bn.weight.abs().sum() > 0


def test_drop_path_rate_grows_linearly_with_depth():
    model = convzoo.create_model("resnet20", drop_path_rate=0.2)
    blocks = [b for s in model.stages for b in s]
    assert isinstance(blocks[0].drop_path, nn.Identity)
    assert blocks[-1].drop_path.drop_prob == pytest.approx(0.2)
    assert blocks[4].drop_path.drop_prob == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("name", "groups", "width"),
    [("resnext50_32x4d", 32, 128), ("resnext101_32x8d", 32, 256), ("resnext101_64x4d", 64, 256)],
)
def test_resnext_cardinality_and_width(name, groups, width):
    block = skeleton(name).stages[0][0]
    assert block.conv2.conv.groups == groups
    assert block.conv2.conv.out_channels == width
    assert block.conv3.conv.out_channels == 256


def test_converters_place_keys_by_rule_and_refuse_strangers():
    tv = from_torchvision({"conv1.weight": 0, "layer3.5.downsample.1.running_var": 1, "fc.bias": 2})
    assert tv == {"stem.conv1.conv.weight": 0, "stages.2.5.shortcut.bn.running_var": 1, "head.fc.bias": 2}
    timm = from_timm({"layer0.bn3.bias": 0, "layer1.0.se_module.fc2.weight": 1, "last_linear.weight": 2})
    assert timm == {"stem.conv3.bn.bias": 0, "stages.0.0.se.fc2.weight": 1, "head.fc.weight": 2}
    with pytest.raises(UnplacedKeysError, match=r"layer1\.0\.attn\.weight"):
        from_torchvision({"layer1.0.attn.weight": 0})


def test_torchvision_resnet50_layout_fits_v1_5_but_is_refused_by_v1(seeded):
    state = {k: torch.zeros(shape) for k, shape in seeded.load("resnet50")["keys"]}
    v1 = skeleton("resnet50")
    with pytest.raises(convzoo.WeightsMismatchError):  # same shapes, different network: no converter
        convzoo.load_weights(v1, state)
    converted = from_torchvision(state)
    assert {k: tuple(v.shape) for k, v in converted.items()} == {
        k: tuple(v.shape) for k, v in v1.state_dict().items()
    }


@pytest.mark.slow
def test_resnet1202_forward_and_backward():
    model = convzoo.create_model("resnet1202")
    with torch.no_grad():  # zero_init_last by default keeps the untrained net finite in eval mode
        assert torch.isfinite(model.eval()(torch.randn(2, 3, 32, 32))).all()
    out = model.train()(torch.randn(2, 3, 32, 32))
    out.square().mean().backward()
    assert out.shape == (2, 10)
    assert all(p.grad is not None for p in model.parameters())


RESIDUAL_REFERENCES = {  # reference record -> the model that reproduces it
    "resnet18": "resnet18",
    "resnet34": "resnet34",
    "resnet50": "resnet50_v1_5",
    "resnet101": "resnet101_v1_5",
    "resnet152": "resnet152_v1_5",
    "resnext50_32x4d": "resnext50_32x4d",
    "resnext101_64x4d": "resnext101_64x4d",
    "wide_resnet50_2": "wide_resnet50_2",
    "legacy_seresnet50": "seresnet50",
}


@pytest.mark.parametrize("ref_name", sorted(RESIDUAL_REFERENCES))
def test_every_residual_reference_is_claimed(ref_name, seeded):
    """test_references.py reproduces each claim; here: none of the family's records goes unclaimed."""
    ref = seeded.load(ref_name)
    card = convzoo.model_card(RESIDUAL_REFERENCES[ref_name])
    assert card.compatible.get(ref["library"]) == ref["model"]
    assert card.params == ref["params"]
