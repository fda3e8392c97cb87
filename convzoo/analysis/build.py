"""Registered models built for counting: weights on the meta device, so building costs nothing.

Counting MACs, shapes and receptive fields needs the architecture, not the numbers in it. Under `ShapesOnly()`
every large tensor a builder creates (weights, buffers) lands on the meta device
(no memory, no initialisation arithmetic), while small ones stay on the CPU so builders can still
read them (`torch.linspace(0, rate, depth).tolist()` for drop-path schedules); the finished model
is then moved to meta as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

LARGE = 4096  # elements; smaller tensors are built on the CPU
SIZED = frozenset({"empty", "zeros", "ones", "full", "rand", "randn", "empty_strided", "empty_permuted"})


def _requested_numel(args: Sequence) -> int:
    if not args:
        return 0
    if isinstance(args[0], (tuple, list, torch.Size)):
        return math.prod(int(v) for v in args[0])
    dims = []
    for a in args:
        if not isinstance(a, int):
            break
        dims.append(a)
    return math.prod(dims) if dims else 0


class ShapesOnly(TorchFunctionMode):
    """Within this mode, factory calls for large tensors without an explicit device go to meta."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        name = getattr(func, "__name__", "")
        if name in SIZED and kwargs.get("device") is None and _requested_numel(args) >= LARGE:
            kwargs["device"] = "meta"
        return func(*args, **kwargs)


def build_on_meta(name: str, **kwargs) -> nn.Module:
    """The registered model `name` with every parameter and buffer on the meta device."""
    from ..registry import create_model

    with ShapesOnly():
        model = create_model(name, **kwargs)
    return to_meta(model)


def to_meta(model: nn.Module) -> nn.Module:
    """Move every parameter and buffer to meta in place (without `Module.to`, which a family may override)."""
    with torch.no_grad():
        for module in model.modules():
            for key, p in module._parameters.items():
                if p is not None and p.device.type != "meta":
                    module._parameters[key] = nn.Parameter(p.to("meta"), requires_grad=p.requires_grad)
            for key, b in module._buffers.items():
                if b is not None:
                    module._buffers[key] = b.to("meta")
    return model
