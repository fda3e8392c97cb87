"""set_grad_checkpointing (timm's convention): the same gradients with fewer saved activations."""

from __future__ import annotations

import copy

import pytest
import torch

import convzoo


def _grads_and_saved(model, x, seed=0):
    """The parameter gradients of one backward pass, and how many tensors autograd kept for it."""
    saved = []
    torch.manual_seed(seed)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        model(x).square().mean().backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}, len(saved)


@pytest.mark.parametrize(
    "name, kwargs",
    [("resnet20", {}), ("vit_ti_16", {"drop_path_rate": 0.2, "drop_rate": 0.1})],
)
def test_gradients_equal_those_without_checkpointing(name, kwargs):
    torch.manual_seed(0)
    plain = convzoo.create_model(name, **kwargs).train()
    checkpointed = copy.deepcopy(plain)
    checkpointed.set_grad_checkpointing()
    x = torch.randn(2, plain.in_chans, 32, 32)
    expected, saved_plain = _grads_and_saved(plain, x)
    got, saved_checkpointed = _grads_and_saved(checkpointed, x)
    assert expected.keys() == got.keys()
    for n in expected:
        assert torch.allclose(got[n], expected[n], atol=1e-6, rtol=1e-4), n
    assert saved_checkpointed < saved_plain / 2
    checkpointed.set_grad_checkpointing(False)
    assert _grads_and_saved(checkpointed, x)[1] == saved_plain
