"""Looking inside a network: first-layer filters, feature maps, and class-model images."""

from __future__ import annotations

import warnings

import torch
from torch import nn


def first_layer_filters(model: nn.Module) -> torch.Tensor:
    """The first convolution's kernels as K x C x kh x kw (Zeiler & Fergus show these as a grid)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.weight.detach().clone()
    for param in model.parameters():  # e.g. LeNet-5's partial C3 has no Conv2d first
        if param.dim() == 4:
            return param.detach().clone()
    raise ValueError("the model has no convolution")


def layer_output(model: nn.Module, x: torch.Tensor, layer: str) -> torch.Tensor:
    """The output of `layer` (dotted module name) for a batch x, in eval mode, without gradients."""
    modules = dict(model.named_modules())
    if layer not in modules:
        raise ValueError(
            f"no layer named {layer!r}; feature_info lists {[e['module'] for e in model.feature_info]}"
        )
    seen: list[torch.Tensor] = []
    handle = modules[layer].register_forward_hook(
        lambda m, i, o: seen.append(
            (o if isinstance(o, torch.Tensor) else o[0]).clone()
        )  # before any in-place op
    )
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        handle.remove()
    return seen[0]


def feature_maps(model: nn.Module, image: torch.Tensor, layer: str) -> torch.Tensor:
    """The output of `layer` (dotted module name) for one image: K x h x w."""
    out = layer_output(model, image.unsqueeze(0) if image.dim() == 3 else image, layer)
    if out.dim() != 4:
        raise ValueError(f"{layer} gives {tuple(out.shape)}, not a stack of feature maps")
    return out[0]


class ClassModelWarning(UserWarning):
    """The class-model ascent could not start where the paper starts (see class_model)."""


def class_model(
    model: nn.Module,
    target: int,
    input_size: tuple[int, int, int] | None = None,
    steps: int = 200,
    lr: float = 0.5,
    l2: float = 1e-3,
    seed: int = 0,
) -> torch.Tensor:
    """Simonyan, Vedaldi & Zisserman 2013, Sec. 2: the image I maximising S_c(I) - l2 * ||I||^2.

    Gradient ascent on the input from a zero image (plus tiny noise), on the unnormalised class
    score rather than the softmax, as the paper does. Returns C x H x W.

    A ReLU network can be flat at the zero image: when every unit of some layer is inactive there
    (LeNet-5's modern variant trained on MNIST, whose zero is the mean digit) the gradient is
    exactly zero and the ascent would never move. Then a ClassModelWarning says so and the ascent
    starts from unit-variance noise (the scale of normalised data) instead.
    """
    size = tuple(input_size or model.default_input_size)
    model = model.eval()
    trainable = [p for p in model.parameters() if p.requires_grad]
    for p in trainable:
        p.requires_grad_(False)
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(1, *size, generator=g)

    def score_of(image: torch.Tensor) -> torch.Tensor:
        out = model(image)
        return (out if isinstance(out, torch.Tensor) else out[0])[0, target]

    try:
        image = (0.01 * noise).requires_grad_(True)
        (grad,) = torch.autograd.grad(score_of(image), image)
        if not bool(grad.abs().max() > 0):
            warnings.warn(
                "the class score's gradient is zero at the blank start image (every unit of a layer is "
                "inactive there): starting from unit-variance noise instead",
                ClassModelWarning,
                stacklevel=2,
            )
            image = noise.clone().requires_grad_(True)
        optimizer = torch.optim.SGD([image], lr=lr, momentum=0.9)
        for _ in range(steps):
            optimizer.zero_grad()
            (-(score_of(image) - l2 * image.square().sum())).backward()
            optimizer.step()
    finally:
        for p in trainable:
            p.requires_grad_(True)
    return image.detach()[0]
