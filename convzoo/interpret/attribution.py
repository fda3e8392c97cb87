"""Attribution maps for one image: saliency, SmoothGrad, integrated gradients, Grad-CAM,
guided backpropagation and occlusion, all computed with Captum."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

METHODS = ("saliency", "smoothgrad", "integrated-gradients", "gradcam", "guided-backprop", "occlusion")


@dataclass
class AttributionResult:
    """A H x W attribution map for one image, with the classes and probabilities it concerns."""

    heatmap: torch.Tensor  # H x W, >= 0, the input's spatial size
    method: str
    target: int
    target_prob: float
    predicted: int
    predicted_prob: float
    layer: str | None = None


def without_inplace(model: nn.Module) -> nn.Module:
    """A copy of the model whose activations do not work in place.

    Captum's backward hooks (guided backprop, Grad-CAM) need the layer outputs intact.
    """
    model = copy.deepcopy(model)
    for m in model.modules():
        if hasattr(m, "inplace") and isinstance(m.inplace, bool):
            m.inplace = False
    return model


def gradcam_layer(model: nn.Module, x: torch.Tensor) -> str:
    """The layer Grad-CAM uses by default: the last feature_info stage whose map on `x` is at
    least 2x2 (a 1x1 map cannot say where anything is)."""
    info = getattr(model, "feature_info", None)
    if not info:
        raise ValueError("this model has no feature_info; pass the layer name explicitly")
    modules = dict(model.named_modules())
    sizes: dict[str, tuple[int, ...]] = {}
    hooks = [
        modules[e["module"]].register_forward_hook(
            lambda m, i, o, n=e["module"]: sizes.__setitem__(
                n, tuple(o.shape) if isinstance(o, torch.Tensor) else ()
            )
        )
        for e in info
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    spatial = [
        e["module"]
        for e in info
        if len(sizes.get(e["module"], ())) == 4 and min(sizes[e["module"]][-2:]) >= 2
    ]
    if not spatial:
        raise ValueError(
            "no feature_info stage has a spatial map at this input size; pass the layer explicitly"
        )
    return spatial[-1]


def _module(model: nn.Module, name: str) -> nn.Module:
    modules = dict(model.named_modules())
    if name not in modules:
        close = [n for n in modules if n and name.split(".")[-1] in n][:8]
        raise ValueError(
            f"no layer named {name!r} in the model; layers include {close or list(modules)[1:9]}"
        )
    return modules[name]


def _logits(model: nn.Module):
    def forward(x: torch.Tensor) -> torch.Tensor:
        out = model(x)
        return out if isinstance(out, torch.Tensor) else out[0]

    return forward


def attribute(
    model: nn.Module,
    image: torch.Tensor,
    method: str = "saliency",
    target: int | None = None,
    layer: str | None = None,
    samples: int = 16,
    seed: int = 0,
) -> AttributionResult:
    """The attribution map of `method` for one image (C x H x W or 1 x C x H x W).

    `target` defaults to the predicted class; Grad-CAM's `layer` defaults to the last
    feature_info stage. Channel attributions are reduced by max |.| (gradients) or sum (others).
    """
    from captum.attr import (
        GuidedBackprop,
        IntegratedGradients,
        LayerAttribution,
        LayerGradCam,
        NoiseTunnel,
        Occlusion,
        Saliency,
    )

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    x = image.unsqueeze(0) if image.dim() == 3 else image
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(f"expected one image of shape C x H x W, got {tuple(image.shape)}")
    model = without_inplace(model).eval()
    forward = _logits(model)
    with torch.no_grad():
        probs = forward(x).softmax(-1)[0]
    predicted = int(probs.argmax())
    target = predicted if target is None else int(target)
    if not 0 <= target < probs.numel():
        raise ValueError(f"target class must be in 0..{probs.numel() - 1}, got {target}")
    x = x.detach().clone().requires_grad_(True)
    torch.manual_seed(seed)
    used_layer = None
    if method == "saliency":
        attr = Saliency(forward).attribute(x, target=target, abs=True)
    elif method == "smoothgrad":
        noise = 0.15 * float(x.detach().max() - x.detach().min())
        attr = NoiseTunnel(Saliency(forward)).attribute(
            x, nt_type="smoothgrad", nt_samples=samples, stdevs=noise, target=target, abs=True
        )
    elif method == "integrated-gradients":
        attr = IntegratedGradients(forward).attribute(x, target=target, n_steps=max(samples, 8)).abs()
    elif method == "guided-backprop":
        attr = GuidedBackprop(model).attribute(x, target=target).clamp(min=0)
    elif method == "gradcam":
        used_layer = layer or gradcam_layer(model, x.detach())
        cam = LayerGradCam(forward, _module(model, used_layer)).attribute(
            x, target=target, relu_attributions=True
        )
        if cam.dim() != 4:
            raise ValueError(
                f"Grad-CAM needs a layer with a spatial map; {used_layer} gives {tuple(cam.shape)}"
            )
        attr = LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), interpolate_mode="bilinear")
    else:  # occlusion: a grey patch slid over the image, the drop in the target's score
        h, w = x.shape[-2:]
        size = max(3, min(h, w) // 8)
        stride = max(1, size // 2)
        attr = (
            Occlusion(forward)
            .attribute(
                x,
                target=target,
                sliding_window_shapes=(x.shape[1], size, size),
                strides=(x.shape[1], stride, stride),
                baselines=0.0,
            )
            .clamp(min=0)
        )
    heatmap = attr.detach()[0]
    heatmap = heatmap.amax(0) if method in ("saliency", "smoothgrad", "guided-backprop") else heatmap.sum(0)
    heatmap = F.relu(heatmap)
    return AttributionResult(
        heatmap=heatmap,
        method=method,
        target=target,
        target_prob=float(probs[target]),
        predicted=predicted,
        predicted_prob=float(probs[predicted]),
        layer=used_layer,
    )
