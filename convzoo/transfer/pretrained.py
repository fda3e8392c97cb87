"""Load another run's or library's checkpoint into a model built for a new task.

A different number of classes re-initialises the final layer; a different number of input
channels adapts the first convolution so that an input whose channels are all equal gives the
response it gave before: for fewer channels (1: grey) the kernels are summed (source channel j
into new channel j mod in_chans); for more, the kernels are repeated cyclically and each copy of
source channel j is divided by the number of its copies (for 6 channels: RGBRGB, each halved).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from torch import nn

from ..weights import WeightsMismatchError, convert_to_model, load_converted, mismatch_hints


@dataclass
class TransferReport:
    """What load_pretrained did."""

    layout: str
    loaded: int
    head_reinitialised: list[str] = field(default_factory=list)
    channels_adapted: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"loaded {self.loaded} tensors ({self.layout} layout)"]
        if self.head_reinitialised:
            out.append(f"new number of classes: re-initialised {', '.join(self.head_reinitialised)}")
        if self.channels_adapted:
            out.append(f"new number of input channels: adapted {', '.join(self.channels_adapted)}")
        return out


def adapt_input_channels(kernel: torch.Tensor, in_chans: int) -> torch.Tensor:
    """A first-layer kernel (out x C x kh x kw) for in_chans input channels (see module docstring)."""
    source = kernel.shape[1]
    if in_chans == source:
        return kernel
    if in_chans < source:
        out = kernel.new_zeros(kernel.shape[0], in_chans, *kernel.shape[2:])
        return out.index_add_(1, torch.arange(source) % in_chans, kernel)
    index = torch.arange(in_chans) % source
    copies = torch.bincount(index, minlength=source).to(kernel.dtype)
    return kernel[:, index] / copies[index].view(1, -1, 1, 1)


def _classifier_keys(model: nn.Module) -> set[str]:
    """State-dict keys of the model's class-score layers (main and auxiliary heads)."""
    layers = getattr(model, "class_layers", None)
    if layers is None:
        return set()
    names = {id(m): n for n, m in model.named_modules()}
    keys = set()
    for layer in layers():
        prefix = names.get(id(layer))
        if prefix:
            keys |= {f"{prefix}.{k}" for k in layer.state_dict()}
    return keys


def load_pretrained(model: nn.Module, source: str | Path | dict) -> TransferReport:
    """Load weights for transfer: same architecture, possibly other classes or input channels.

    Anything else that does not fit (another architecture) raises WeightsMismatchError.
    """
    converted = convert_to_model(model, source)
    target = model.state_dict()
    state = dict(converted.state)
    head_keys = _classifier_keys(model)
    reinitialised, adapted = [], []
    for key in list(state):
        if key not in target or state[key].shape == target[key].shape:
            continue
        have, want = state[key], target[key]
        if key in head_keys:
            del state[key]
            reinitialised.append(key)
        elif have.dim() == 4 and have.shape[0] == want.shape[0] and have.shape[2:] == want.shape[2:]:
            state[key] = adapt_input_channels(have, want.shape[1])
            adapted.append(key)
    name = getattr(model, "model_name", type(model).__name__)
    if len(adapted) > 1:
        only_first = [f"{k} (only the first convolution may differ in input channels)" for k in adapted]
        raise WeightsMismatchError(name, converted.layout, [], [], only_first)
    result = load_converted(model, replace(converted, state=state), strict=False)
    missing = [k for k in result.missing if k not in reinitialised]
    if missing or result.unexpected or result.wrong_shape:
        raise WeightsMismatchError(
            name, converted.layout, missing, result.unexpected, result.wrong_shape,
            **mismatch_hints(converted, name),
        )  # fmt: skip
    return TransferReport(converted.layout, result.loaded, reinitialised, adapted)
