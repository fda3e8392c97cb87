"""Helpers shared by the family tests: parameter and layer counts, shapes on the meta device, hooks."""

from __future__ import annotations

import torch
from torch import nn

import convzoo


def n_params(module: nn.Module, skip_norm: bool = False) -> int:
    """Parameters of `module` (without BatchNorm's with skip_norm, as papers that count weights do)."""
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


def skeleton(name: str, **kwargs) -> nn.Module:
    """The model with its parameters on the meta device: structure and counts without the init cost."""
    with torch.device("meta"):
        return convzoo.create_model(name, **kwargs)


def on_meta(name: str, **kwargs) -> nn.Module:
    """skeleton() in eval mode: shapes without the cost of allocating or running anything."""
    return skeleton(name, **kwargs).eval()


def output_shapes(model: nn.Module, size: int, modules: list[str]) -> dict[str, tuple[int, ...]]:
    """C x H x W of the named modules' outputs for one size x size image (on the meta device)."""
    found, named = {}, dict(model.named_modules())
    hooks = [
        named[n].register_forward_hook(lambda m, i, o, n=n: found.__setitem__(n, tuple(o.shape[1:])))
        for n in modules
    ]
    with torch.no_grad():
        model(torch.empty(1, model.in_chans, size, size, device="meta"))
    for h in hooks:
        h.remove()
    return found


def small_size(model) -> int:
    """The smallest cheap input side: the model's minimum, or 64 when the paper's input is larger (a
    ViT's: the multiple of its patch size at or below that, 56 for vit_h_14)."""
    size = max(model.min_input_size, min(model.default_input_size[1], 64))
    patch = getattr(model, "patch_size", 1)
    return max(patch, size // patch * patch)
