"""DenseNet facts beyond the model contract: growth, compression, depth, the torchvision converter."""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.models.densenet import DenseNet, DenseNetConfig, from_torchvision
from convzoo.weights import UnplacedKeysError
from tests.models.helpers import n_params, weight_layers


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
