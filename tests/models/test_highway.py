"""Highway network facts beyond the model contract: gates, carry bias, Tables 1 and 2."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convzoo
from convzoo.models.highway import HighwayConv2d
from tests.models.helpers import capture, n_params, weight_layers


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
