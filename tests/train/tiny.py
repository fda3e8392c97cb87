"""The smallest training run worth checking: 64 mnist-mini images, batch 32, one thread."""

from __future__ import annotations

from typing import Any


def tiny_run(**changes: Any) -> dict[str, Any]:
    """Settings of a two-step-per-epoch lenet run on mnist-mini, with `changes` on top."""
    base = dict(data="mnist-mini", train_limit=64, test_limit=32, epochs=1, batch_size=32, threads=1)
    return {**base, **changes}
