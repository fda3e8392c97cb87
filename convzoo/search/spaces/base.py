"""What every search space is: a sequence of categorical decisions that decodes to an architecture.

A strategy sees only decisions: at each step the space says how many options there are (given the
choices so far) and when the architecture is complete. Q-learning reads `state(prefix)` as its
state, the controller reads the step, evolution mutates one decision and lets the space re-draw
the ones that no longer fit. An architecture is plain data (`arch`, JSON-ready) that the space
builds into a model with its `settings` (template, widths ...).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from torch import nn

from ...cards import Paper

Choices = tuple[int, ...]


class SearchSpace(ABC):
    """A typed space of architectures; `settings` are the fixed parts (template, filters, input size)."""

    name: str = ""
    paper: Paper | None = None  # where the space comes from (the card of a searched network cites it)

    def __init__(self, **settings: Any) -> None:
        unknown = sorted(set(settings) - set(self.defaults()))
        if unknown:
            raise ValueError(
                f"search space {self.name}: unknown setting(s) {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(self.defaults()))}"
            )
        self.settings = {**self.defaults(), **settings}

    @classmethod
    @abstractmethod
    def defaults(cls) -> dict[str, Any]:
        """The settings of the space as its paper uses it."""

    @abstractmethod
    def num_options(self, prefix: Choices) -> int:
        """How many options the next decision has after `prefix`; 0 when the architecture is complete."""

    @abstractmethod
    def decode(self, choices: Choices) -> dict[str, Any]:
        """The architecture (JSON-ready) that a complete list of choices describes."""

    @abstractmethod
    def encode(self, arch: dict[str, Any]) -> Choices:
        """The choices of an architecture of this space (the inverse of decode)."""

    @abstractmethod
    def build(self, arch: dict[str, Any], num_classes: int, in_chans: int) -> nn.Module:
        """The network of an architecture, at this space's settings."""

    def state(self, prefix: Choices) -> Hashable:
        """The Q-learning state before the next decision: the step and the previous choice."""
        return (len(prefix), prefix[-1] if prefix else -1)

    def default_input_size(self) -> int:
        return int(self.settings.get("input_size", 32))

    def graph(self, arch: dict[str, Any]) -> tuple[list[str], list[tuple[int, int]]] | None:
        """Node labels and edges to draw the searched unit as a graph (None: not a graph space)."""
        return None

    def complete(self, prefix: Choices, rng: np.random.Generator) -> Choices:
        """`prefix` completed by uniformly random decisions."""
        choices = list(prefix)
        while (n := self.num_options(tuple(choices))) > 0:
            choices.append(int(rng.integers(n)))
        return tuple(choices)

    def repair(self, choices: Sequence[int], rng: np.random.Generator) -> Choices:
        """Choices made valid: any decision out of its range is re-drawn, extra ones dropped."""
        fixed: list[int] = []
        for c in choices:
            n = self.num_options(tuple(fixed))
            if n == 0:
                break
            fixed.append(int(c) if 0 <= c < n else int(rng.integers(n)))
        return self.complete(tuple(fixed), rng)
