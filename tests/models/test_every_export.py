"""Every model traces (torch.fx), exports (torch.export, dynamic batch) and compiles without graph
breaks (torch.compile), each matching eager output. The default run checks a few small models per
check; the whole zoo is slow-marked, and its export, graph-break and compile checks (minutes per
large model on two cores; hours for the zoo) also carry the `zoo` marker, which CI's slow pass
leaves out: `pytest -m zoo` runs them."""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.contract import ClassifierOutput
from tests.models.helpers import small_size

ALL_MODELS = convzoo.list_models()


def _zoo(quick: set[str], sweep: bool = True) -> list:
    """Every model as a parameter: `quick` ones in the default run, the others slow (and, for a
    costly `sweep`, `zoo`-marked)."""
    params = []
    for name in ALL_MODELS:
        marks = [] if name in quick else [pytest.mark.slow, *([pytest.mark.zoo] if sweep else [])]
        params.append(pytest.param(name, marks=marks))
    return params


def _model_and_input(name: str, batch: int = 2):
    torch.manual_seed(0)
    model = convzoo.create_model(name).eval()
    side = small_size(model)
    return model, torch.randn(batch, model.in_chans, side, side)


def _logits(out):
    return out.logits if isinstance(out, ClassifierOutput) else out


@pytest.mark.parametrize(
    "name",
    _zoo({"lenet5", "alexnet", "densenet_40_12", "vit_ti_16", "googlenet", "unet_small", "yolo_v1_mini"}),
)
def test_fx_symbolic_trace_matches_eager(name):
    model, x = _model_and_input(name)
    graph = torch.fx.symbolic_trace(model)
    with torch.no_grad():
        assert torch.allclose(_logits(graph(x)), _logits(model(x)), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", _zoo({"resnet20", "vit_ti_16", "unet_small"}))
def test_export_with_a_dynamic_batch_matches_eager(name):
    model, x = _model_and_input(name)
    exported = torch.export.export(model, (x,), dynamic_shapes=({0: torch.export.Dim.DYNAMIC},))
    three = torch.randn(3, *x.shape[1:])
    with torch.no_grad():
        assert torch.allclose(_logits(exported.module()(three)), _logits(model(three)), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", _zoo({"lenet5", "resnet20", "vit_ti_16"}))
def test_dynamo_finds_no_graph_breaks(name):
    torch._dynamo.reset()
    model, x = _model_and_input(name)
    with torch.no_grad():
        explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0, explanation.break_reasons


@pytest.mark.parametrize("name", _zoo(set()))  # inductor's C++ build: over a minute even for lenet5
def test_compile_matches_eager(name):
    torch._dynamo.reset()
    model, x = _model_and_input(name)
    with torch.no_grad():
        compiled = torch.compile(model, fullgraph=True)  # fullgraph: a graph break is an error
        eager = _logits(model(x))
        # Fused kernels sum in another order: float32 rounding relative to the logits' scale (a
        # seeded densenet121's reach 2e5, where inductor's sums differ by 0.23: 1.2e-6 of the scale).
        scale = max(1.0, eager.abs().max().item())
        assert torch.allclose(_logits(compiled(x)), eager, atol=1e-4 * scale, rtol=1e-3)


@pytest.mark.parametrize("name", ["resnet20", "densenet_40_12", "vit_ti_16"])
def test_features_only_models_trace_export_and_have_no_graph_breaks(name):
    """create_model(..., features_only=True): the list of stage maps through torch.fx, torch.export
    (dynamic batch) and dynamo, each equal to eager (timm's feature extractors are used this way)."""
    torch.manual_seed(0)
    model = convzoo.create_model(name, features_only=True).eval()
    side = small_size(convzoo.create_model(name))
    x, three = torch.randn(2, 3, side, side), torch.randn(3, 3, side, side)
    with torch.no_grad():
        eager = model(three)
        traced = torch.fx.symbolic_trace(model)(three)
        exported = torch.export.export(model, (x,), dynamic_shapes=({0: torch.export.Dim.DYNAMIC},))
        for maps in (traced, exported.module()(three)):
            assert len(maps) == len(eager) and all(
                torch.allclose(a, b, atol=1e-5) for a, b in zip(maps, eager, strict=True)
            )
        torch._dynamo.reset()
        assert torch._dynamo.explain(model)(x).graph_break_count == 0
