"""The check every in-place activation gets: it must change nothing but memory traffic."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch import nn


def assert_in_place_matches_out_of_place(
    module: nn.Module,
    set_out_of_place: Callable[[nn.Module], None],
    x: torch.Tensor,
    params: Callable[[nn.Module], Sequence[torch.Tensor]],
    fresh_input: bool = False,
) -> list[torch.Tensor]:
    """Runs `module` and a deep copy made out of place by `set_out_of_place` on the same input and
    asserts equal outputs, the input left as it was, and close gradients of `params(m)` (and of `x`
    when it requires grad). `fresh_input` feeds each a copy, as a conv output would be. Returns
    both outputs."""
    plain = copy.deepcopy(module)
    set_out_of_place(plain)
    kept = x.detach().clone()
    outs, grads = [], []
    for m in (module, plain):
        out = m(x * 1.0 if fresh_input else x)
        wrt = (*params(m), *([x] if x.requires_grad else []))
        grads.append(torch.autograd.grad(out.square().sum(), wrt))
        outs.append(out)
    assert torch.equal(x.detach(), kept), "the module changed its input"
    assert torch.equal(outs[0], outs[1])
    for a, b in zip(*grads, strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    return outs
