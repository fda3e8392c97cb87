"""bfloat16 autocast where the hardware computes it (`bf16: auto`).

bfloat16 halves the bytes every activation moves, but it only pays where the processor multiplies
bfloat16 natively: on a CPU with AMX tiles a LeNet-5 epoch on MNIST (batch 128, two threads) runs
at 1.21x float32's images/s (benchmarks/RESULTS-train.md against RESULTS-train-fp32.md), while
without bfloat16 instructions oneDNN converts back and forth and the step gets slower. So "auto"
turns autocast on only where the device has the instructions, and never with the portable kernels
(their point is the same last digits on every x86-64 machine).
"""

from __future__ import annotations

import argparse

import torch

from .threads import AUTO


def parse_bf16(value: str) -> bool | str:
    """argparse type of --bf16 VALUE: on / off / auto (a bare --bf16 means on)."""
    words = {"on": True, "true": True, "off": False, "false": False, AUTO: AUTO}
    if value.lower() not in words:
        raise argparse.ArgumentTypeError(f"--bf16 takes on, off or auto, got {value!r}")
    return words[value.lower()]


def native_bf16(device: torch.device) -> bool:
    """Whether `device` multiplies bfloat16 in hardware (CUDA: Ampere on; CPU: AMX or AVX-512 BF16)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def resolve_bf16(setting: bool | str, device: torch.device, portable_kernels: bool = False) -> bool:
    """The run's autocast: the setting itself, or for "auto" whether the device computes bf16 natively
    (off with the portable kernels)."""
    if setting != AUTO:
        return bool(setting)
    return not portable_kernels and native_bf16(device)
