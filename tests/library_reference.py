"""Reference records of other libraries' models, and the weights and inputs they were computed on.

A record (tests/reference_records/NAME.json, or ../shared/reference/NAME.json) holds one torchvision
or timm model's state-dict manifest, a seed, a gain, the input shape and the logits that library
computed; it holds no weights. The weights and the input are derived from the seed here, by the
rule of the records' method (../shared/reference/seeded.py), so the repository's own records are
checked without ../shared. scripts/make_library_records.py makes the repository's records.

Each tensor's values come from numpy's PCG64 generator seeded with (seed, tensor index):
conv / linear weights uniform(-1, 1) * gain * sqrt(3 / fan_in); norm scales 1 + 0.1 u; biases and
running means 0.1 u; running variances 0.5 + (u + 1) / 2; counters 0; anything else (tokens,
position embeddings, layer scales) 0.02 sqrt(3) u. The input is sqrt(3) u from stream 2**32.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from tests.conftest import REFERENCE_DIR

RECORD_DIR = Path(__file__).resolve().parent / "reference_records"
INPUT_STREAM = 2**32


def record_paths() -> list[Path]:
    """The repository's records, then those of ../shared/reference (when it is there)."""
    shared = sorted(REFERENCE_DIR.glob("*.json")) if REFERENCE_DIR.is_dir() else []
    return sorted(RECORD_DIR.glob("*.json")) + shared


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def _uniform(seed: int, stream: int, n: int) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream])))
    return rng.random(n, dtype=np.float64) * 2.0 - 1.0


def tensor_values(key: str, shape: list[int], seed: int, index: int, gain: float) -> np.ndarray:
    """The values of one state-dict entry (float32; int64 for BatchNorm's counters)."""
    if key.endswith("num_batches_tracked"):
        return np.zeros(shape, dtype=np.int64)
    u = _uniform(seed, index, int(np.prod(shape)) if shape else 1)
    if key.endswith("running_var"):
        v = 0.5 + (u + 1.0) / 2.0
    elif key.endswith(("running_mean", "bias")):
        v = 0.1 * u
    elif key.endswith("weight") and len(shape) >= 2:
        v = u * gain * math.sqrt(3.0 / int(np.prod(shape[1:])))
    elif key.endswith("weight"):
        v = 1.0 + 0.1 * u
    else:
        v = 0.02 * math.sqrt(3.0) * u
    return v.astype(np.float32).reshape(shape)


def state_dict(ref: dict) -> dict[str, torch.Tensor]:
    """The record's weights in the library's own layout."""
    return {
        key: torch.from_numpy(tensor_values(key, list(shape), ref["seed"], index, ref["gain"]))
        for index, (key, shape) in enumerate(ref["keys"])
    }


def input_batch(ref: dict) -> torch.Tensor:
    """The input the record's logits were computed on."""
    shape = ref["input_shape"]
    u = _uniform(ref["seed"], INPUT_STREAM, int(np.prod(shape)))
    return torch.from_numpy((u * math.sqrt(3.0)).astype(np.float32).reshape(shape))


def max_error(output: torch.Tensor, ref: dict) -> float:
    """The largest absolute difference from the record's logits (shapes must agree)."""
    expected = torch.tensor(ref["logits"], dtype=torch.float32)
    assert tuple(output.shape) == tuple(expected.shape), (tuple(output.shape), tuple(expected.shape))
    return (output.detach().float() - expected).abs().max().item()
