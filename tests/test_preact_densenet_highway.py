"""Family facts of the pre-activation ResNets, DenseNets and highway networks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convzoo
from convzoo.layers.preact import BatchNormReLU
from convzoo.models.densenet import DenseNet, DenseNetConfig, from_torchvision
from convzoo.models.highway import HighwayConv2d
from convzoo.models.preact_resnet import PreActBottleneck, from_timm
from convzoo.weights import UnplacedKeysError


def n_params(module: nn.Module, skip_norm: bool = False) -> int:
    return sum(
        p.numel()
        for m in module.modules()
        if not (skip_norm and isinstance(m, nn.BatchNorm2d))
        for p in m.parameters(recurse=False)
    )


def weight_layers(model: nn.Module, skip: tuple[str, ...] = ()) -> int:
    """Convolutions and fully connected layers, the layers a paper's depth counts."""
    return sum(
        isinstance(m, (nn.Conv2d, nn.Linear)) and not any(s in name for s in skip)
        for name, m in model.named_modules()
    )


def capture(module: nn.Module, model_input: torch.Tensor, run) -> dict[str, torch.Tensor]:
    """Inputs and outputs of the named children of `module` while `run(model_input)` runs."""
    seen = {}
    hooks = [
        child.register_forward_hook(lambda m, i, o, n=n: seen.update({f"{n}.in": i[0], f"{n}.out": o}))
        for n, child in module.named_children()
    ]
    with torch.no_grad():
        run(model_input)
    for h in hooks:
        h.remove()
    return seen


# --- pre-activation ResNet -------------------------------------------------------------------


def test_preact_unit_activates_before_each_conv_and_not_after_the_addition():
    torch.manual_seed(0)
    unit = PreActBottleneck(64, 64).eval()
    for m in unit.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
    x = torch.randn(2, 64, 5, 5)
    seen = capture(unit, x, unit)
    for conv in ("conv1", "conv2", "conv3"):
        assert seen[f"{conv}.in"].min() >= 0, f"{conv} must see a ReLU output"
    out = unit(x)
    assert torch.allclose(out, x + seen["conv3.out"], atol=1e-6)  # identity shortcut, nothing after
    assert out.min() < 0


def test_projection_shortcut_takes_the_preactivated_input():
    torch.manual_seed(0)
    unit = PreActBottleneck(64, 128, stride=2).eval()
    seen = capture(unit, torch.randn(2, 64, 8, 8), unit)
    assert torch.equal(seen["shortcut.in"], seen["norm1.out"])
    assert seen["shortcut.out"].shape == (2, 128, 4, 4)


def test_paper_layout_strides_the_1x1_and_timm_layout_the_3x3():
    paper = convzoo.create_model("preact_resnet50")
    timm = convzoo.create_model("preact_resnet50_timm")
    first = paper.stages[1][0], timm.stages[1][0]
    assert (first[0].conv1.stride, first[0].conv2.stride) == ((2, 2), (1, 1))
    assert (first[1].conv1.stride, first[1].conv2.stride) == ((1, 1), (2, 2))
    # Appendix: the paper's first unit takes conv1's activation; timm's stem is a bare conv.
    assert isinstance(paper.stem.norm, BatchNormReLU) and isinstance(paper.stages[0][0].norm1, nn.Identity)
    assert not hasattr(timm.stem, "norm") and isinstance(timm.stages[0][0].norm1, BatchNormReLU)
    assert n_params(paper) == n_params(timm) == 25_549_352


@pytest.mark.parametrize(
    ("name", "depth"),
    [
        ("preact_resnet50", 50),
        ("preact_resnet101", 101),
        ("preact_resnet164", 164),
        ("preact_resnet200", 200),
        ("preact_resnet1001", 1001),
    ],
)
def test_preact_depth_counts_weight_layers(name, depth):
    model = convzoo.create_model(name)
    assert weight_layers(model, skip=("shortcut",)) == depth


def test_cifar_preact_sizes_match_the_paper():
    # Table 4: 1.7M and 10.2M parameters (the paper's 10.2M leaves out BN's scale and shift).
    assert round(n_params(convzoo.create_model("preact_resnet164")) / 1e6, 1) == 1.7
    net = convzoo.create_model("preact_resnet1001")
    assert round(n_params(net, skip_norm=True) / 1e6, 1) == 10.2
    assert [e["num_chs"] for e in net.feature_info] == [64, 128, 256]


def test_timm_converter_flattens_the_conv_head_and_refuses_strangers():
    sd = {
        "stages.2.blocks.0.downsample.conv.weight": torch.zeros(1),
        "head.fc.weight": torch.zeros(7, 5, 1, 1),
    }
    out = from_timm(sd)
    assert set(out) == {"stages.2.0.shortcut.weight", "head.fc.weight"}
    assert out["head.fc.weight"].shape == (7, 5)
    with pytest.raises(UnplacedKeysError, match=r"stages\.0\.blocks\.0\.se\.fc"):
        from_timm({"stages.0.blocks.0.se.fc.weight": torch.zeros(1)})


def test_units_start_as_identity_unless_asked_for_the_papers_init():
    units = [m for m in convzoo.create_model("preact_resnet164").modules() if isinstance(m, PreActBottleneck)]
    assert len(units) == 54 and all(not u.conv3.weight.any() for u in units)
    paper = convzoo.create_model("preact_resnet164", zero_init_last=False)
    assert all(u.conv3.weight.std() > 0 for u in paper.modules() if isinstance(u, PreActBottleneck))


@pytest.mark.slow
def test_preact_resnet1001_is_finite_at_initialisation():
    model = convzoo.create_model("preact_resnet1001").eval()
    with torch.no_grad():
        assert torch.isfinite(model(torch.randn(1, 3, 32, 32))).all()


# --- DenseNet ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stage_widths", "transition_widths"),
    [
        # k0 + l * k per block, halved by each transition: 64+6*32=256 -> 128, 128+12*32=512 -> 256, ...
        ("densenet121", [256, 512, 1024, 1024], [128, 256, 512]),
        ("densenet169", [256, 512, 1280, 1664], [128, 256, 640]),
        ("densenet201", [256, 512, 1792, 1920], [128, 256, 896]),
        ("densenet_bc_100_12", [216, 300, 342], [108, 150]),
        ("densenet_40_12", [160, 304, 448], [160, 304]),  # no compression on plain DenseNet
    ],
)
def test_dense_growth_and_compression(name, stage_widths, transition_widths):
    model = convzoo.create_model(name)
    assert [e["num_chs"] for e in model.feature_info] == stage_widths
    assert [s.transition.conv.out_channels for s in model.stages[1:]] == transition_widths
    k = model.config.growth
    for stage in model.stages:
        first = stage.layers[0].norm1 if model.config.bottleneck else stage.layers[0].norm2
        widths = [
            (layer.norm1 if model.config.bottleneck else layer.norm2).num_features for layer in stage.layers
        ]
        assert widths == [first.num_features + i * k for i in range(len(stage.layers))]
        assert all(layer.conv2.out_channels == k for layer in stage.layers)


@pytest.mark.parametrize(
    ("name", "depth"),
    [
        ("densenet121", 121),
        ("densenet169", 169),
        ("densenet201", 201),
        ("densenet_40_12", 40),
        ("densenet_bc_100_12", 100),
    ],
)
def test_densenet_depth_counts_weight_layers(name, depth):
    assert weight_layers(convzoo.create_model(name)) == depth


@pytest.mark.parametrize(
    ("name", "millions"),
    [
        ("densenet_40_12", 1.0),
        ("densenet_bc_100_12", 0.8),
        ("densenet_bc_250_24", 15.3),
        ("densenet_bc_190_40", 25.6),
    ],
)
def test_cifar_densenet_sizes_match_table_2(name, millions):
    assert round(n_params(convzoo.create_model(name)) / 1e6, 1) == millions


def test_dense_layer_sees_every_earlier_map():
    model = convzoo.create_model("densenet_bc_100_12").eval()
    block = model.stages[0]
    x = torch.randn(1, 24, 6, 6)
    with torch.no_grad():
        out = block(x)
    assert torch.equal(out[:, :24], x)  # the block's input is carried to its output unchanged
    assert out.shape[1] == 24 + 16 * 12


def test_memory_efficient_densenet_computes_the_same():
    torch.manual_seed(0)
    config = DenseNetConfig((3, 3), growth=4, imagenet=False)
    plain, efficient = DenseNet(config, 10).train(), DenseNet(config, 10, memory_efficient=True).train()
    efficient.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 8, 8)
    for model in (plain, efficient):
        model(x).square().sum().backward()
    for a, b in zip(plain.parameters(), efficient.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, atol=1e-5)


def test_torchvision_converter_maps_by_rule():
    sd = {
        "features.denseblock3.denselayer24.norm2.running_var": torch.zeros(1),
        "features.transition2.conv.weight": torch.zeros(1),
        "features.norm0.bias": torch.zeros(1),
        "features.denseblock1.denselayer2.conv.1.weight": torch.zeros(1),  # torchvision's released files
    }
    assert set(from_torchvision(sd)) == {
        "stages.2.layers.23.norm2.running_var",
        "stages.0.layers.1.conv1.weight",
        "stages.2.transition.conv.weight",
        "stem.norm.bias",
    }
    with pytest.raises(UnplacedKeysError, match=r"features\.denseblock1\.denselayer1\.norm3"):
        from_torchvision({"features.denseblock1.denselayer1.norm3.weight": torch.zeros(1)})


# --- highway networks -------------------------------------------------------------------------


def gate_biases(model: nn.Module) -> torch.Tensor:
    return torch.cat([m.gate.bias.detach() for m in model.modules() if isinstance(m, HighwayConv2d)])


@pytest.mark.parametrize(
    ("name", "bias", "count"),
    [
        ("highway_fc10", -2.0, 9),
        ("highway_fc100", -2.0, 99),
        ("highway_mnist_w32", -1.0, 8),
        ("highway_cifar19", -2.0, 14),
    ],
)
def test_transform_gates_start_biased_towards_carry(name, bias, count):
    model = convzoo.create_model(name)
    assert sum(isinstance(m, HighwayConv2d) for m in model.modules()) == count
    assert torch.all(gate_biases(model) == bias)


def test_gate_bias_is_a_build_option():
    assert torch.all(gate_biases(convzoo.create_model("highway_fc50", gate_bias=-3.0)) == -3.0)


def test_highway_layer_is_gated_mix_of_transform_and_carry():
    torch.manual_seed(0)
    layer = HighwayConv2d(8, 3, gate_bias=-2.0)
    x = torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        t = torch.sigmoid(layer.gate(x))
        h = torch.relu(layer.transform(x))
        assert torch.allclose(layer(x), h * t + x * (1 - t), atol=1e-6)
        assert layer.transform_gate(x).mean() < 0.5  # biased to carry at initialisation
        nn.init.constant_(layer.gate.bias, -40.0)
        assert torch.allclose(layer(x), x, atol=1e-6)  # closed gate: pure carry
        nn.init.constant_(layer.gate.bias, 40.0)
        assert torch.allclose(layer(x), h, atol=1e-6)  # open gate: plain layer


def test_deep_fc_highway_net_carries_its_input_at_initialisation():
    torch.manual_seed(0)
    model = convzoo.create_model("highway_fc100").eval()
    x = torch.randn(4, 1, 28, 28)
    seen = capture(model, x, model)
    stem, last = seen["stem.out"], seen["layers.out"]
    assert last.shape == (4, 50, 1, 1)
    # After 99 highway layers the signal is still close to the first layer's output.
    assert torch.nn.functional.cosine_similarity(stem.flatten(1), last.flatten(1)).min() > 0.5


def test_fc_highway_first_layer_is_fully_connected_over_the_image():
    model = convzoo.create_model("highway_fc10").eval()
    x = torch.randn(3, 1, 28, 28)
    conv = model.stem.conv
    expected = torch.relu(x.flatten(1) @ conv.weight.flatten(1).T + conv.bias)
    with torch.no_grad():
        assert torch.allclose(model.stem(x).flatten(1), expected, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "layers", "paper_params"),
    [
        ("highway_mnist_w16", 10, 39_000),
        ("highway_mnist_w32", 10, 151_000),
        ("highway_cifar19", 19, 2_300_000),
    ],
)
def test_conv_highway_depth_and_size_match_tables_1_and_2(name, layers, paper_params):
    model = convzoo.create_model(name, num_classes=100 if "cifar" in name else 10)
    highways = sum(isinstance(m, HighwayConv2d) for m in model.modules())
    # A highway layer holds two convolutions (H and T) but is one layer.
    assert weight_layers(model) - highways == layers
    assert abs(n_params(model) - paper_params) < (1_000 if "mnist" in name else 50_000)


def test_fc_highway_layers_hold_about_5000_parameters():
    model = convzoo.create_model("highway_fc20")
    assert {n_params(m) for m in model.layers} == {5_100}  # the paper's "roughly 5000 per layer"
    assert len(model.layers) == 19
