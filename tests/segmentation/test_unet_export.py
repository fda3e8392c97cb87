"""The U-Nets without a backbone export with torch.export and compile without graph breaks."""

from __future__ import annotations

import pytest
import torch

from convzoo import create_model


@pytest.mark.parametrize("name, side", [("unet_small", 64), ("unet", 188)])
def test_torch_export_reproduces_the_eager_output(name, side):
    torch.manual_seed(0)
    model = create_model(name).eval()
    x = torch.randn(1, 1, side, side)
    exported = torch.export.export(model, (x,))
    assert torch.allclose(exported.module()(x), model(x), atol=1e-5)


@pytest.mark.slow
def test_torch_compile_has_no_graph_breaks():
    model = create_model("unet_small").eval()
    x = torch.randn(1, 1, 64, 64)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0 and explanation.graph_count == 1
