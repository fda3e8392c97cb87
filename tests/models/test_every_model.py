"""The model contract, checked for every registered model (one parametrized file over list_models())."""

from __future__ import annotations

import copy
import math

import pytest
import torch

import convzoo
from convzoo.contract import ClassifierOutput, Detector
from tests.models.helpers import small_size

ALL_MODELS = convzoo.list_models()


def logits_of(out):
    return out.logits if isinstance(out, ClassifierOutput) else out


@pytest.fixture(scope="module", params=ALL_MODELS)
def name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def model(name):
    torch.manual_seed(0)
    return convzoo.create_model(name).eval()


@pytest.fixture(scope="module")
def batch(model):
    torch.manual_seed(1)
    s = small_size(model)
    return torch.randn(2, model.in_chans, s, s)


def is_classifier(model) -> bool:
    return hasattr(model, "forward_head")


def expected_shape(model, n: int, size: tuple[int, int]) -> tuple[int, ...]:
    """The output shape of the contract: logits, a dense map, or a detector's raw prediction."""
    if is_classifier(model):
        return (n, model.num_classes)
    if isinstance(model, Detector):
        return (n, *model.output_shape(size))
    return (n, model.num_classes, *model.output_size(size))


def test_card_params_are_exact(name, model):
    assert convzoo.model_card(name).params == sum(p.numel() for p in model.parameters())


def test_card_input_size_is_the_models(name, model):
    assert convzoo.model_card(name).input_size == tuple(model.default_input_size)


def test_dtype_conversion_round_trips(model):
    """Module.to/.double/.float work (a family must not shadow nn.Module internals such as _apply)."""
    model.double()
    assert all(p.dtype == torch.float64 for p in model.parameters())
    model.float()
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_forward_shape_and_finite(model, batch):
    with torch.no_grad():
        out = logits_of(model(batch))
    assert tuple(out.shape) == expected_shape(model, 2, tuple(batch.shape[2:]))
    assert torch.isfinite(out).all()


def test_forward_is_head_of_features(model, batch):
    if not is_classifier(model):
        pytest.skip("dense predictor")
    with torch.no_grad():
        features = model.forward_features(batch)
        assert torch.allclose(model(batch), model.forward_head(features), atol=1e-5, rtol=1e-4)
        assert model.forward_head(features, pre_logits=True).shape == (2, model.num_features)


def test_every_trainable_parameter_gets_a_gradient(model, batch):
    model.train()
    model.zero_grad(set_to_none=True)
    try:
        out = model(batch)
        loss = logits_of(out).square().mean()
        if isinstance(out, ClassifierOutput):
            loss = loss + sum(a.square().mean() for a in out.aux_logits)
        loss.backward()
    finally:
        model.eval()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    model.zero_grad(set_to_none=True)


def test_feature_info_matches_real_feature_maps(model, batch):
    if not is_classifier(model):
        pytest.skip("dense predictor")
    modules = dict(model.named_modules())
    seen = {}
    hooks = [
        modules[e["module"]].register_forward_hook(lambda m, i, o, n=e["module"]: seen.__setitem__(n, o))
        for e in model.feature_info
    ]
    with torch.no_grad():
        model(batch)
    for h in hooks:
        h.remove()
    reductions = [e["reduction"] for e in model.feature_info]
    assert reductions == sorted(reductions), "stages are listed in forward order"
    for entry in model.feature_info:
        out = seen[entry["module"]]
        channels = out.shape[-1] if out.dim() == 3 else out.shape[1]
        assert channels == entry["num_chs"], entry
        if out.dim() == 4:
            assert out.shape[-1] <= math.ceil(batch.shape[-1] / entry["reduction"]) + 1, entry


def test_reset_classifier(model):
    if not is_classifier(model):
        pytest.skip("dense predictor")
    model = copy.deepcopy(model)  # a copy costs less than a new build, and leaves the shared model intact
    x = torch.randn(2, model.in_chans, small_size(model), small_size(model))
    model.reset_classifier(3)
    assert model.num_classes == 3
    with torch.no_grad():
        assert model(x).shape == (2, 3)
    model.reset_classifier(0)
    assert isinstance(model.get_classifier(), torch.nn.Identity)
    with torch.no_grad():
        assert model(x).shape == (2, model.num_features)


def test_num_classes_and_in_chans(name):
    model = convzoo.create_model(name, num_classes=7, in_chans=1).eval()
    s = small_size(model)
    with torch.no_grad():
        out = logits_of(model(torch.randn(1, 1, s, s)))
    assert tuple(out.shape) == expected_shape(model, 1, (s, s))
    assert model.num_classes == 7


def test_wrong_channels_name_the_expected_shape(model):
    s = small_size(model)
    with pytest.raises(ValueError, match=rf"{model.in_chans} input channels.*>= {model.min_input_size}"):
        model(torch.randn(1, model.in_chans + 1, s, s))


def test_minimum_size_works_and_smaller_is_refused(model):
    m = model.min_input_size
    with torch.no_grad():
        out = logits_of(model(torch.randn(1, model.in_chans, m, m)))
    assert torch.isfinite(out).all()
    with pytest.raises(ValueError, match=rf"at least {m}x{m}"):
        model(torch.randn(1, model.in_chans, m - 1, m))


def test_non_batched_input_is_refused(model):
    with pytest.raises(ValueError, match="expects input of shape N x"):
        model(torch.randn(model.in_chans, 64, 64))
