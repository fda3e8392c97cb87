"""Checkpoints: safetensors files written atomically (temp file, fsync, rename), with run metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save
from torch import nn

from ..io import atomic_write_bytes

META_KEY = "convzoo"


def tensors_bytes(tensors: dict[str, torch.Tensor], meta: dict[str, Any] | None = None) -> bytes:
    """Tensors (contiguous, on CPU) and JSON metadata as the bytes of a safetensors file."""
    plain = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    return save(plain, metadata={META_KEY: json.dumps(meta or {})})


def save_tensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any] | None = None) -> None:
    """Atomically write tensors and JSON metadata as a safetensors file."""
    atomic_write_bytes(path, tensors_bytes(tensors, meta))


def read_meta(path: str | Path) -> dict[str, Any]:
    """The convzoo metadata stored in a checkpoint ({} when absent)."""
    with safe_open(str(path), framework="pt") as f:
        return json.loads((f.metadata() or {}).get(META_KEY, "{}"))


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    """All tensors of a safetensors file, on CPU."""
    from safetensors.torch import load_file

    return load_file(str(path))


def optimizer_tensors(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split optimizer.state_dict() into tensors (for safetensors) and the JSON-able rest."""
    tensors, rest = {}, {"param_groups": state["param_groups"], "state": {}}
    for pid, slots in state["state"].items():
        rest["state"][str(pid)] = {}
        for name, value in slots.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{pid}.{name}"] = value
            else:
                rest["state"][str(pid)][name] = value
    return tensors, rest


def optimizer_state(tensors: dict[str, torch.Tensor], rest: dict[str, Any]) -> dict[str, Any]:
    """Inverse of optimizer_tensors()."""
    state: dict[int, dict[str, Any]] = {int(pid): dict(slots) for pid, slots in rest["state"].items()}
    for key, value in tensors.items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = value
    return {"state": state, "param_groups": rest["param_groups"]}


def prefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """{prefix + key: value}."""
    return {f"{prefix}{k}": v for k, v in tensors.items()}


def unprefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The tensors whose keys start with prefix, with it removed."""
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model a convzoo checkpoint was trained as and load its weights: (model, metadata)."""
    from ..registry import create_model
    from ..weights import load_weights

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        meta = read_meta(path)
    except Exception as e:  # safetensors raises its own error types for non-safetensors files
        raise ValueError(f"{path}: not a convzoo checkpoint (expected a .safetensors file: {e})") from None
    if "model" not in meta:
        raise ValueError(f"{path}: no convzoo metadata; expected a checkpoint written by `convzoo train`")
    model = create_model(meta["model"], num_classes=meta["num_classes"], in_chans=meta["in_chans"])
    load_weights(model, path)
    return model.eval(), meta
