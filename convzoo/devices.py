"""Devices checked at the door: a name that is not usable here is refused in one line naming the
devices that are (before any data loads or any file is written)."""

from __future__ import annotations

import torch


def available_devices() -> list[str]:
    """The devices this torch build can train on here: cpu, then cuda:0 ... and mps when present."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def resolve_device(name: str) -> torch.device:
    """'auto' -> cuda when available, else cpu; any other name must be a device available here.

    Raises ValueError naming the available devices ('cuda' on a CPU build, 'cuda:7' on a one-GPU
    machine, 'tpu9', 'meta' are refused)."""
    if not isinstance(name, str):
        raise ValueError(f"device must be a name such as cpu or cuda:0, got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    available = available_devices()
    hint = f"available here: {', '.join(['auto', *available])}"
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ValueError(f"unknown device {name!r}; {hint}") from None
    if device.type == "cpu" or (
        device.type == "cuda" and device.index is None and any(d.startswith("cuda") for d in available)
    ):
        return device
    if str(device) not in available and not (device.type == "mps" and "mps" in available):
        why = ""
        if device.type == "cuda" and not torch.backends.cuda.is_built():
            why = " (this torch build has no CUDA)"
        elif device.type == "cuda":
            why = f" ({torch.cuda.device_count()} CUDA device(s) visible)"
        raise ValueError(f"device {name!r} is not available{why}; {hint}")
    return device
