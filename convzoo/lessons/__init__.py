"""The lectures' worked examples, computed with torch and checked: `convzoo lesson TOPIC`.

Each topic is one module with a `run(out=None, **options) -> Lesson` function: it computes the
numbers the lecture works out by hand with real torch ops, checks them against the lecture's, and
draws the lecture's picture to `out` when given.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from .base import Check, Lesson, Observation

# topic -> (module, one line on what it shows)
TOPICS: dict[str, tuple[str, str]] = {
    "convolution": ("convolution", "weighted sums (198), the vertical-edge map, parameters, output sizes"),
    "pooling": ("pooling", "max and average pooling, AlexNet's overlapping 3x3/2, receptive-field growth"),
    "activations": (
        "activations",
        "sigmoid, tanh, ReLU, Leaky ReLU, Maxout, ELU: values, gradients, saturation",
    ),
    "dropout": ("dropout", "inverted dropout: training vs inference, numerically"),
    "batchnorm": ("batchnorm", "Algorithm 1 written out == nn.BatchNorm2d; running statistics at inference"),
    "separable": ("separable", "normal, depthwise, pointwise, depthwise-separable: formulas vs real counts"),
    "transposed": (
        "transposed",
        "transposed convolution: output size, stride-2 checkerboard, = conv gradient",
    ),
    "residual": ("residual", "plain vs residual nets of equal depth, short runs (He et al. Fig. 1, small)"),
}


def list_lessons() -> dict[str, str]:
    """Topic -> what its lesson shows."""
    return {topic: about for topic, (_, about) in TOPICS.items()}


def lesson(topic: str, out: str | Path | None = None, **options: Any) -> Lesson:
    """Run the lesson `topic` (see TOPICS), drawing its picture to `out` when given."""
    if topic not in TOPICS:
        raise ValueError(f"unknown lesson {topic!r}; choose from {', '.join(TOPICS)}")
    module = importlib.import_module(f"{__name__}.{TOPICS[topic][0]}")
    return module.run(out, **options)


__all__ = ["TOPICS", "Check", "Lesson", "Observation", "lesson", "list_lessons"]
