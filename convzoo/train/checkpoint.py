"""Checkpoints: safetensors files written atomically (temp file, fsync, rename), with run metadata."""

from __future__ import annotations

import json
import math
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


MAX_INPUT_SIDE = 4096  # the largest H or W a checkpoint may ask for (4096^2 x 3 floats: 200 MB an image)


def check_meta(meta: dict[str, Any], path: str | Path) -> None:
    """Refuse metadata eval/predict cannot trust: an unknown model, wrong types, a class list or
    normalisation that does not fit the outputs and channels, an input size beyond MAX_INPUT_SIDE."""
    from ..registry import UnknownModelError, model_card

    def bad(what: str) -> ValueError:
        return ValueError(
            f"{path}: checkpoint metadata {what}; the file is damaged or not from `convzoo train`"
        )

    def count(key: str) -> int:
        value = meta.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad(f"{key!r} must be a positive integer, got {value!r}")
        return value

    if not isinstance(meta["model"], str):
        raise bad(f"'model' must be a model name, got {meta['model']!r}")
    try:
        model_card(meta["model"])
    except UnknownModelError as e:
        raise bad(
            f"names a model this convzoo does not have ({e.args[0] if e.args else meta['model']})"
        ) from None
    num_classes, in_chans = count("num_classes"), count("in_chans")
    size = meta.get("input_size")
    if (
        not isinstance(size, list)
        or len(size) != 3
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in size)
    ):
        raise bad(f"'input_size' must be [C, H, W] integers, got {size!r}")
    if size[0] != in_chans or not all(1 <= v <= MAX_INPUT_SIDE for v in size[1:]):
        raise bad(f"'input_size' {size} must be [{in_chans}, H, W] with 1 <= H, W <= {MAX_INPUT_SIDE}")
    data_size = meta.get("data_size")
    if data_size is not None and (
        isinstance(data_size, bool) or not isinstance(data_size, int) or not 1 <= data_size <= MAX_INPUT_SIDE
    ):
        raise bad(f"'data_size' must be an integer in [1, {MAX_INPUT_SIDE}], got {data_size!r}")
    for key in ("mean", "std"):
        values = meta.get(key)
        if (
            not isinstance(values, list)
            or len(values) != in_chans
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values
            )
        ):
            raise bad(f"{key!r} must be {in_chans} finite numbers (one per channel), got {values!r}")
    if not all(v > 0 for v in meta["std"]):
        raise bad(f"'std' must be positive, got {meta['std']}")
    classes = meta.get("classes")
    if classes is not None and (
        not isinstance(classes, list)
        or len(classes) != num_classes
        or not all(isinstance(c, str) for c in classes)
    ):
        shown = f"{len(classes)} entries" if isinstance(classes, list) else repr(classes)
        raise bad(f"'classes' must be {num_classes} names (one per output), got {shown}")


# A run directory's checkpoints, in order of preference: the final weights (what `train` reports),
# else the best epoch's (train --save best).
CHECKPOINT_NAMES = ("last.safetensors", "best.safetensors")


def resolve_checkpoint(source: str | Path) -> Path:
    """A checkpoint file, or a run directory (its checkpoints/last.safetensors, else best)."""
    path = Path(source)
    if path.is_dir():
        for folder in (path / "checkpoints", path):
            for name in CHECKPOINT_NAMES:
                if (folder / name).is_file():
                    return folder / name
        raise FileNotFoundError(
            f"{path} is a folder without checkpoints/{' or '.join(CHECKPOINT_NAMES)} (is it a run directory?)"
        )
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    return path


def data_source(meta: dict[str, Any], data: str | None = None, data_dir: str | None = None):
    """(dataset, data_dir) to evaluate a checkpoint on: the given ones, else those it was trained on."""
    if data:
        return data, data_dir
    return meta["dataset"], data_dir or meta.get("data_dir")


def checkpoint_stats(meta: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """The normalisation (mean, std) the checkpoint's model was trained with."""
    return torch.tensor(meta["mean"]), torch.tensor(meta["std"])


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model a convzoo checkpoint (or run directory) was trained as and load its
    weights: (model, metadata)."""
    from ..registry import create_model
    from ..weights import load_weights

    path = resolve_checkpoint(path)
    try:
        meta = read_meta(path)
    except Exception as e:  # safetensors raises its own error types for non-safetensors files
        raise ValueError(f"{path}: not a convzoo checkpoint (expected a .safetensors file: {e})") from None
    if "model" not in meta:
        raise ValueError(f"{path}: no convzoo metadata; expected a checkpoint written by `convzoo train`")
    check_meta(meta, path)
    model = create_model(meta["model"], num_classes=meta["num_classes"], in_chans=meta["in_chans"])
    load_weights(model, path)
    return model.eval(), meta
