"""Per-layer summary: every leaf module in forward order with its output shape and parameters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn


@dataclass
class LayerRow:
    """One leaf module's line in the summary."""

    name: str
    type: str
    output_shape: list[int]
    params: int
    trainable_params: int


@dataclass
class ModelSummary:
    """The rows of a summary and its totals."""

    model: str
    input_size: tuple[int, int, int]
    layers: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "input_size": list(self.input_size),
            "layers": [asdict(r) for r in self.layers],
            "total": {"params": self.total_params, "trainable_params": self.trainable_params},
        }

    def to_text(self) -> str:
        headers = ("layer", "type", "output shape", "params")
        rows = [(r.name, r.type, "x".join(map(str, r.output_shape)), f"{r.params:,}") for r in self.layers]
        widths = [
            max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)
        ]

        def line(cells) -> str:
            return "  ".join(
                c.rjust(w) if i == len(cells) - 1 else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        out = [f"{self.model}, input {'x'.join(map(str, self.input_size))}", line(headers)]
        out.append("  ".join("-" * w for w in widths))
        out += [line(r) for r in rows]
        out.append("  ".join("-" * w for w in widths))
        frozen = self.total_params - self.trainable_params
        out.append(
            f"total params: {self.total_params:,} (trainable {self.trainable_params:,}, frozen {frozen:,})"
        )
        return "\n".join(out)


def _output_shape(output) -> list[int]:
    if isinstance(output, torch.Tensor):
        return list(output.shape[1:])
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return list(output[0].shape[1:])
    return []


def summary(model: nn.Module, input_size: tuple[int, int, int] | None = None) -> ModelSummary:
    """Run one eval forward pass at batch 1 and record every leaf module's output shape and parameters.

    Modules holding parameters of their own (class tokens, say) get a row too; a module that runs
    several times (a shared module) gets one row per call.
    """
    input_size = tuple(input_size or model.default_input_size)
    if len(input_size) != 3:
        raise ValueError(f"input_size must be (C, H, W), got {input_size}")
    rows: list[LayerRow] = []
    hooks = []
    for name, module in model.named_modules():
        is_leaf = not any(True for _ in module.children())
        if name and (is_leaf or any(True for _ in module.parameters(recurse=False))):

            def hook(mod, _inputs, output, name=name) -> None:
                own = list(mod.parameters(recurse=False))
                rows.append(
                    LayerRow(
                        name,
                        type(mod).__name__,
                        _output_shape(output),
                        sum(p.numel() for p in own),
                        sum(p.numel() for p in own if p.requires_grad),
                    )
                )

            hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *input_size))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return ModelSummary(
        model=getattr(model, "model_name", type(model).__name__),
        input_size=input_size,
        layers=rows,
        total_params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
    )
