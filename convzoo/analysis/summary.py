"""Per-layer summary: every layer in forward order with its output shape, parameters, MACs,
receptive field and activation memory, from one eval forward pass at batch 1.

MACs come from torch.utils.flop_counter.FlopCounterMode (see `convzoo.analysis.macs`), read before
and after each module call: a leaf module gets what ran inside it, a container only what ran in
its own forward outside its children (attention matmuls, say), so the rows add up to the total.
Receptive fields come from `convzoo.analysis.receptive_field`. Activation memory is the bytes of
the tensors a layer outputs at batch 1, counted once where first seen (a view is charged to the
tensor it views, an in-place result to the layer that made it); intermediates inside a layer's own
forward (attention weights, say) are not. The total is what a forward pass keeps when every
output is kept, as for backward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .macs import mac_counter, macs
from .receptive_field import Field, ReceptiveFieldMode, tensors_in
from .table import compact, format_table

TOP = "(top)"  # the row name of the model's own forward, outside its submodules


@dataclass
class LayerRow:
    """One layer's line in the summary (`ran` False: a layer eval mode skips, such as an aux head)."""

    name: str
    type: str
    output_shape: list[int]
    params: int
    trainable_params: int
    macs: int = 0
    rf_size: list[float] | None = None
    rf_stride: list[float | None] | None = None
    rf_start: list[float] | None = None
    activation_bytes: int = 0
    ran: bool = True

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ModelSummary:
    """The rows of a summary and its totals."""

    model: str
    input_size: tuple[int, ...]
    layers: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0
    module_types: dict[str, str] = field(default_factory=dict)

    @property
    def activation_bytes(self) -> int:
        return sum(r.activation_bytes for r in self.layers)

    def row(self, name: str) -> LayerRow:
        """The first row of the layer called `name`."""
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(f"no layer {name!r} in the summary of {self.model}")

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "input_size": list(self.input_size),
            "layers": [r.to_dict() for r in self.layers],
            "total": {
                "params": self.total_params,
                "trainable_params": self.trainable_params,
                "frozen_params": self.total_params - self.trainable_params,
                "macs": self.total_macs,
                "activation_bytes": self.activation_bytes,
            },
        }

    def at_depth(self, depth: int) -> ModelSummary:
        """The same summary with consecutive layers below `depth` dotted levels merged into one row."""
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        rows: list[LayerRow] = []
        for r in self.layers:
            prefix = ".".join(r.name.split(".")[:depth])
            if rows and rows[-1].name == prefix and rows[-1].ran == r.ran:
                _merge_into(rows[-1], r)
            else:
                merged = LayerRow(**r.to_dict())
                merged.name, merged.type = prefix, self.module_types.get(prefix, r.type)
                rows.append(merged)
        return ModelSummary(
            self.model,
            self.input_size,
            rows,
            self.total_params,
            self.trainable_params,
            self.total_macs,
            self.module_types,
        )

    def to_text(self) -> str:
        headers = ("layer", "type", "output shape", "params", "MACs", "RF (stride)", "activations")
        rows = [
            (
                r.name,
                r.type,
                "x".join(map(str, r.output_shape)) if r.ran else "(not run in eval)",
                f"{r.params:,}",
                compact(r.macs),
                _rf_text(r),
                compact(r.activation_bytes, "B", 1024),
            )
            for r in self.layers
        ]
        frozen = self.total_params - self.trainable_params
        footer = [
            f"total params: {self.total_params:,} (trainable {self.trainable_params:,}, frozen {frozen:,})",
            f"total MACs: {self.total_macs:,} ({compact(self.total_macs)})",
            f"forward activations: {compact(self.activation_bytes, 'B', 1024)} at batch 1",
        ]
        title = f"{self.model}, input {'x'.join(map(str, self.input_size))}"
        return format_table(title, headers, rows, footer, right=(3, 4, 6))


def _merge_into(group: LayerRow, r: LayerRow) -> None:
    group.params += r.params
    group.trainable_params += r.trainable_params
    group.macs += r.macs
    group.activation_bytes += r.activation_bytes
    if r.ran:
        group.output_shape, group.rf_size, group.rf_stride, group.rf_start = (
            r.output_shape,
            r.rf_size,
            r.rf_stride,
            r.rf_start,
        )


def _rf_text(r: LayerRow) -> str:
    if r.rf_size is None:
        return ""
    size = "x".join(f"{s:g}" for s in r.rf_size)
    if any(s is None for s in r.rf_stride):
        return f"{size} (all)"
    strides = sorted(set(r.rf_stride))
    return f"{size} ({','.join(f'{s:g}' for s in strides)})"


def _number(v: float | None) -> float | int | None:
    if v is None:
        return None
    return int(v) if float(v).is_integer() else round(float(v), 4)


def _shape(output) -> list[int]:
    first = next(tensors_in(output), None)
    return list(first.shape[1:]) if first is not None else []


@dataclass
class _Frame:
    start: int
    children: int = 0


class _Recorder:
    """Forward hooks on every module, reading MACs, fields and new tensors around each call."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.rows: list[LayerRow] = []
        self.stack: list[_Frame] = []
        self.seen_params: set[int] = set()
        self.counted = _IdSet()
        self.counter = None
        self.fields = ReceptiveFieldMode()
        self.own = {
            id(m): (
                sum(p.numel() for p in m.parameters(recurse=False)),
                sum(p.numel() for p in m.parameters(recurse=False) if p.requires_grad),
            )
            for m in model.modules()
        }

    def run(self, x: torch.Tensor, state: dict | None) -> int:
        """One forward pass (with `state` swapped in for parameters and buffers); returns total MACs."""
        hooks = []
        for name, module in self.model.named_modules():
            hooks.append(module.register_forward_pre_hook(self._pre))
            hooks.append(module.register_forward_hook(self._post_hook(name)))
        self.counted.add(x)
        try:
            with torch.no_grad(), mac_counter() as counter, self.fields:
                self.counter = counter
                self.fields.track(x)
                if state is None:
                    self.model(x)
                else:
                    torch.func.functional_call(self.model, state, (x,), strict=False)
            return macs(counter)
        finally:
            for h in hooks:
                h.remove()

    def _pre(self, module: nn.Module, args) -> None:
        self.stack.append(_Frame(macs(self.counter)))

    def _post_hook(self, name: str):
        def hook(module: nn.Module, args, output) -> None:
            frame = self.stack.pop()
            inclusive = macs(self.counter) - frame.start
            if self.stack:
                self.stack[-1].children += inclusive
            self._row(name, module, output, inclusive - frame.children)

        return hook

    def _row(self, name: str, module: nn.Module, output, own_macs: int) -> None:
        params, trainable = (0, 0) if id(module) in self.seen_params else self.own[id(module)]
        self.seen_params.add(id(module))
        activation = 0
        for t in tensors_in(output):
            base = t if t._base is None else t._base  # a view costs nothing beyond the tensor it views
            if base not in self.counted:
                self.counted.add(base)
                activation += base.numel() * base.element_size()
        is_leaf = next(module.children(), None) is None
        if not (is_leaf and name) and not (params or own_macs or activation):
            return
        first = next(tensors_in(output), None)
        rf = self.fields.field_of(first)
        self.rows.append(
            LayerRow(
                name or TOP,
                type(module).__name__,
                _shape(output),
                params,
                trainable,
                own_macs,
                *_rf_lists(rf),
                activation,
            )
        )

    def unused_rows(self) -> list[LayerRow]:
        """Rows for modules with parameters that the forward pass never called."""
        out = []
        for name, m in self.model.named_modules():
            if id(m) not in self.seen_params and self.own[id(m)][0]:
                out.append(LayerRow(name or TOP, type(m).__name__, [], *self.own[id(m)], ran=False))
                self.seen_params.add(id(m))
        return out


class _IdSet:
    """A set of tensors by identity that does not keep them alive."""

    def __init__(self) -> None:
        from torch.utils.weak import WeakIdKeyDictionary

        self._d = WeakIdKeyDictionary()

    def add(self, t: torch.Tensor) -> None:
        self._d[t] = True

    def __contains__(self, t: torch.Tensor) -> bool:
        return t in self._d


def _rf_lists(rf: Field | None) -> tuple:
    if rf is None:
        return None, None, None
    return (
        [_number(a.size) for a in rf],
        [_number(a.stride) for a in rf],
        [_number(a.start) for a in rf],
    )


def _model_device(model: nn.Module) -> torch.device:
    first = next(iter(model.parameters()), None)
    return first.device if first is not None else torch.device("cpu")


def _meta_state(model: nn.Module) -> dict[str, torch.Tensor]:
    named = [*model.named_parameters(remove_duplicate=False), *model.named_buffers(remove_duplicate=False)]
    return {k: torch.empty_like(v, device="meta") for k, v in named}


def summary(
    model: nn.Module, input_size: tuple[int, ...] | None = None, *, device: str | torch.device | None = None
) -> ModelSummary:
    """Summarise `model` layer by layer from one eval forward pass at batch 1.

    `input_size` is (C, H, W) (default: `model.default_input_size`). `device="meta"` runs the pass
    on shapes only (no arithmetic, the model's weights untouched), falling back to the model's own
    device if some op cannot run on meta; by default the pass runs where the model's parameters are.
    A module called twice gets two rows (its parameters counted in the first); layers with
    parameters that eval mode skips (auxiliary heads) come last with `ran` False.
    """
    if input_size is None and not hasattr(model, "default_input_size"):
        raise ValueError(f"{type(model).__name__} has no default_input_size: pass input_size=(C, H, W)")
    input_size = tuple(input_size or model.default_input_size)
    if len(input_size) < 2:
        raise ValueError(f"input_size must be (C, H, W), got {input_size}")
    own_device = _model_device(model)
    attempts = [own_device]
    if device is not None and torch.device(device) != own_device:
        attempts.insert(0, torch.device(device))
    was_training = model.training
    model.eval()
    try:
        for i, dev in enumerate(attempts):
            recorder = _Recorder(model)
            state = _meta_state(model) if dev.type == "meta" and own_device.type != "meta" else None
            try:
                total_macs = recorder.run(torch.zeros(1, *input_size, device=dev), state)
                break
            except (NotImplementedError, RuntimeError):
                if i == len(attempts) - 1:
                    raise
    finally:
        model.train(was_training)
    return ModelSummary(
        model=getattr(model, "model_name", type(model).__name__),
        input_size=input_size,
        layers=recorder.rows + recorder.unused_rows(),
        total_params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        total_macs=total_macs,
        module_types={n or TOP: type(m).__name__ for n, m in model.named_modules()},
    )


def summarize_registered(name: str, input_size: tuple[int, ...] | None = None, **kwargs) -> ModelSummary:
    """Summarise the registered model `name` on shapes only (see `convzoo.analysis.build`).

    A family whose forward needs real numbers is built normally and run on the CPU instead.
    """
    from ..registry import create_model
    from .build import build_on_meta

    try:
        return summary(build_on_meta(name, **kwargs), input_size)
    except (NotImplementedError, RuntimeError):
        return summary(create_model(name, **kwargs), input_size)
