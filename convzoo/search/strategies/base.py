"""The interface every search strategy has: propose an architecture, observe a finished trial.

A strategy works on decisions only (see convzoo.search.spaces.base), so one implementation serves
every space. The engine calls `observe` for every finished trial of the study in trial order
(also the ones other workers ran) before each `propose`; a seeded strategy that sees the same
trials makes the same proposals.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..spaces import Choices, SearchSpace


class Strategy(ABC):
    """Proposes choices for `space`; learns from (choices, reward) of finished trials."""

    name: str = ""

    def __init__(self, space: SearchSpace, seed: int = 0, budget: int = 100) -> None:
        self.space, self.seed, self.budget = space, seed, budget
        self.rng = np.random.default_rng(seed)
        self.history: list[tuple[Choices, float]] = []

    @abstractmethod
    def propose(self) -> Choices:
        """The next architecture to try, as the space's choices."""

    def observe(self, choices: Choices, reward: float) -> None:
        """A finished trial; strategies that learn override `learn`."""
        self.history.append((tuple(choices), float(reward)))
        self.learn(tuple(choices), float(reward))

    def learn(self, choices: Choices, reward: float) -> None:  # noqa: B027 - random search learns nothing
        """Update the strategy with one finished trial."""


class RandomSearch(Strategy):
    """Uniformly random decisions: the baseline every search is compared with (Bergstra & Bengio 2012;
    Li & Talwalkar 2019 show it is a strong one for architecture search)."""

    name = "random"

    def propose(self) -> Choices:
        return self.space.complete((), self.rng)
