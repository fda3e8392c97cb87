"""A zoo classifier as an encoder: the feature maps of the stages its `feature_info` names.

Encoder-decoders (U-Net with a backbone, FPN) take any registered classifier by name or as a
built module (e.g. one with loaded weights). The classifier's head and every layer after the
deepest stage used are replaced by nn.Identity (they would receive no gradient), and its forward
stops at that stage.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from ..contract import feature_indices
from ..registry import create_model

_BIG = 2**23  # elements: tensors this large (fc6/fc7-style heads) are first built on the meta device


class _BigTensorsOnMeta(TorchFunctionMode):
    """Creates tensors of at least _BIG elements on the meta device.

    Building a classifier by name only to drop its head then costs neither the memory nor the time
    of initialising fc6/fc7 (VGG's: 120M parameters). Should a kept layer end up on meta, the
    classifier is built again normally.
    """

    FACTORIES = frozenset({torch.empty, torch.zeros, torch.ones, torch.full, torch.rand, torch.randn})

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in self.FACTORIES and kwargs.get("device") is None:
            shape = args[0] if args and isinstance(args[0], (tuple, list, torch.Size)) else args
            if all(isinstance(s, int) for s in shape) and math.prod(shape) >= _BIG:
                kwargs["device"] = "meta"
        return func(*args, **kwargs)


def _name(model: nn.Module) -> str:
    return getattr(model, "model_name", type(model).__name__)


class _StagesDone(Exception):
    """Raised by the hook of the deepest stage used: the rest of forward_features is not needed."""


def run_to_stages(model: nn.Module, names: list[str], x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The outputs of the modules `names` during model.forward_features(x), stopping after the last."""
    outputs: dict[str, torch.Tensor] = {}

    def keep(name: str) -> Callable:
        def hook(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
            outputs[name] = out
            if name == names[-1]:
                raise _StagesDone

        return hook

    handles = [model.get_submodule(n).register_forward_hook(keep(n)) for n in names]
    try:
        model.forward_features(x)
    except _StagesDone:
        pass
    finally:
        for h in handles:
            h.remove()
    return outputs


def stage_outputs(model: nn.Module, names: list[str], x: torch.Tensor) -> list[torch.Tensor]:
    """The outputs of the feature_info stages `names`, from the model's own stage loop where it has
    one (forward_intermediates), else from forward hooks."""
    if hasattr(model, "forward_intermediates"):
        every = [e["module"] for e in model.feature_info]
        indices = [every.index(n) for n in names]
        return model.forward_intermediates(x, indices, stop_early=True, intermediates_only=True)
    outputs = run_to_stages(model, names, x)
    return [outputs[n] for n in names]


def prune_after(model: nn.Module, names: list[str]) -> None:
    """Replace by nn.Identity every module that does not start before the stage `names[-1]` ends.

    Raises ValueError if a stage's output is not an N x C x H x W map (e.g. a transformer's tokens).
    """
    started: set[int] = set()
    handles = [m.register_forward_pre_hook(lambda m, args: started.add(id(m))) for m in model.modules()]
    was_training = model.training
    s = model.min_input_size
    device = next((p.device for p in model.parameters() if not p.is_meta), None)
    try:
        with torch.no_grad():
            maps = stage_outputs(model.eval(), names, torch.zeros(1, model.in_chans, s, s, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    if any(m.dim() != 4 for m in maps):
        raise ValueError(f"{_name(model)}'s stages are not N x C x H x W feature maps")
    # a container counts as run when one of its children ran (a stage loop may call only those)
    ran = {n for n, m in model.named_modules() if id(m) in started}
    ran |= {n.rsplit(".", k)[0] for n in ran for k in range(1, n.count(".") + 1)}
    unused = {n for n, _ in model.named_modules() if n and n not in ran}
    for name in sorted(unused):
        parent, _, child = name.rpartition(".")
        if parent not in unused:  # else it went with its parent
            setattr(model.get_submodule(parent), child, nn.Identity())


def select_stages(model: nn.Module, min_reduction: int = 1) -> list[dict]:
    """The feature_info entries an encoder uses: the last stage of each reduction >= min_reduction
    (as FPN takes "the output of the last layer of each stage")."""
    if not hasattr(model, "forward_features") or not getattr(model, "feature_info", None):
        raise ValueError(f"{type(model).__name__} is not a zoo classifier with a feature_info")
    entries = [dict(e) for e in model.feature_info if e["reduction"] >= min_reduction]
    if not entries:
        raise ValueError(f"{_name(model)} has no stage with reduction >= {min_reduction}")
    last = {e["reduction"]: i for i, e in enumerate(entries)}
    return [e for i, e in enumerate(entries) if last[e["reduction"]] == i]


def pick_stages(model: nn.Module, min_reduction: int, out_indices: int | Sequence[int] | None) -> list[dict]:
    """The feature_info entries `out_indices` (timm's meaning), or with None those of select_stages."""
    if out_indices is None:
        return select_stages(model, min_reduction)
    return [dict(model.feature_info[i]) for i in feature_indices(out_indices, len(model.feature_info))]


def lean_classifier(
    name: str, in_chans: int | None, min_reduction: int, out_indices: int | Sequence[int] | None = None
) -> nn.Module:
    """create_model(name) without the layers after its deepest stage used (see pick_stages)."""
    try:
        with _BigTensorsOnMeta():
            model = create_model(name, in_chans=in_chans)
        prune_after(model, [e["module"] for e in pick_stages(model, min_reduction, out_indices)])
        tensors = itertools.chain(model.parameters(), model.buffers())
        if not any(t.is_meta for t in tensors):
            return model
    except Exception:  # e.g. a kept layer built on meta; a real error recurs in the normal build below
        pass
    model = create_model(name, in_chans=in_chans)
    prune_after(model, [e["module"] for e in pick_stages(model, min_reduction, out_indices)])
    return model


class FeatureInfo(list):
    """The stages a backbone returns, as timm's FeatureInfo: a list of dict(module, num_chs, reduction)
    with channels(), reductions() and module_name() (all stages, or the one at `idx`)."""

    def _get(self, key: str, idx: int | None) -> list | int | str:
        return [e[key] for e in self] if idx is None else self[idx][key]

    def channels(self, idx: int | None = None) -> list[int] | int:
        return self._get("num_chs", idx)

    def reductions(self, idx: int | None = None) -> list[int] | int:
        return self._get("reduction", idx)

    def module_name(self, idx: int | None = None) -> list[str] | str:
        return self._get("module", idx)


class BackboneFeatures(nn.Module):
    """The classifier (`body`) and the outputs of its `feature_info` stages, finest first.

    `min_reduction` drops stages finer than it (FPN leaves out the stride-2 stage, Section 4.1) and
    keeps the last stage of each reduction; `out_indices` (timm's meaning, as in
    `create_model(name, features_only=True, out_indices=...)`) picks stages by index instead.
    `feature_info` (a FeatureInfo) lists the stages returned, as the classifier describes them.
    """

    def __init__(
        self,
        backbone: str | nn.Module,
        in_chans: int | None = None,
        min_reduction: int = 1,
        out_indices: int | Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(backbone, str):
            backbone = lean_classifier(backbone, in_chans, min_reduction, out_indices)
        else:
            if in_chans is not None and in_chans != backbone.in_chans:
                raise ValueError(f"the backbone takes {backbone.in_chans} channels, not in_chans={in_chans}")
            prune_after(backbone, [e["module"] for e in pick_stages(backbone, min_reduction, out_indices)])
        self.body = backbone
        self.backbone_name = _name(backbone)
        self.in_chans, self.min_input_size = backbone.in_chans, backbone.min_input_size
        self.default_input_size = tuple(backbone.default_input_size)
        self.feature_info = FeatureInfo(pick_stages(backbone, min_reduction, out_indices))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return stage_outputs(self.body, [e["module"] for e in self.feature_info], x)


def features_only(model: nn.Module, out_indices: int | Sequence[int] | None = None) -> BackboneFeatures:
    """timm's `features_only`: the classifier's stage maps `out_indices` (None: every feature_info
    stage) as a list, its layers after the deepest one pruned."""
    if not hasattr(model, "forward_intermediates") or not getattr(model, "feature_info", None):
        raise ValueError(f"{_name(model)} is not a classifier with feature stages: features_only needs one")
    if out_indices is None:
        out_indices = range(len(model.feature_info))
    return BackboneFeatures(model, out_indices=out_indices)
