"""SqueezeNet facts beyond the model contract: Table 1 sizes; rows are data."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

import convzoo
from convzoo.models.efficientnet import (
    EFFICIENTNET_B0_ROWS,
)
from convzoo.models.mobilenet import MBConvNet
from tests.models.helpers import n_params


def test_squeezenet_table_1_sizes_and_50x_fewer_parameters_than_alexnet():
    model = convzoo.create_model("squeezenet1_0").eval()
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 227, 227)).shape == (1, 512, 13, 13)
    fires = [m for m in model.modules() if type(m).__name__ == "Fire"]
    assert [f.squeeze.out_channels for f in fires] == [16, 16, 32, 32, 48, 48, 64, 64]
    params = n_params(model)
    assert round(params * 4 / 2**20, 1) == 4.8  # Table 2: 4.8MB of 32-bit weights
    assert convzoo.model_card("alexnet").params / params > 48
    # 1.1: same fires, 3x3 conv1 of 64 maps, slightly fewer parameters
    v11 = convzoo.create_model("squeezenet1_1")
    assert v11.stem.conv.kernel_size == (3, 3) and n_params(v11) < params


def test_rows_are_data_a_mutated_row_builds_a_network():
    # what architecture search will do: change a row, build, run
    rows = list(EFFICIENTNET_B0_ROWS[:3])
    rows[1] = dataclasses.replace(rows[1], kernel=7, repeats=3, se=0.0)
    model = MBConvNet(rows, 16, 64, act=nn.SiLU, num_classes=5).eval()
    assert [len(s) for s in model.stages] == [1, 3, 2]
    assert model.stages[1][2].dw.conv.kernel_size == (7, 7) and not hasattr(model.stages[1][0], "se")
    with torch.no_grad():
        assert model(torch.randn(1, 3, 32, 32)).shape == (1, 5)
    assert model.feature_info[-2] == dict(module="stages.2", num_chs=40, reduction=8)
