"""Regularized (aging) evolution, Real et al. 2019, "Regularized Evolution for Image Classifier
Architecture Search" (Algorithm 1).

A population of the `population` most recent architectures (the paper: P = 100) starts random;
each cycle samples `sample` of them (S = 25), mutates the best of the sample once and adds the
child; the oldest member dies. Here the population is the study's most recent finished trials,
so the same rule holds when many workers share a study. One mutation changes one decision of
the parent to a different option; decisions that no longer fit are re-drawn (in the NASNet space
that is the paper's hidden-state or op mutation; in the BlockQNN space one layer's code).
"""

from __future__ import annotations

from ..spaces import Choices, SearchSpace
from .base import Strategy


class RegularizedEvolution(Strategy):
    """Aging evolution; `population` and `sample` default to the paper's 100 and 25."""

    name = "evolution"

    def __init__(
        self, space: SearchSpace, seed: int = 0, budget: int = 100, *, population: int = 100, sample: int = 25
    ) -> None:
        super().__init__(space, seed, budget)
        if not 2 <= sample <= population:
            raise ValueError(f"evolution needs 2 <= sample <= population, got {sample} and {population}")
        self.population, self.sample = population, sample

    def propose(self) -> Choices:
        if len(self.history) < self.population:
            return self.space.complete((), self.rng)
        alive = self.history[-self.population :]
        picks = self.rng.choice(len(alive), size=self.sample, replace=False)
        parent = max((alive[int(i)] for i in picks), key=lambda member: member[1])[0]
        return self.mutate(parent)

    def mutate(self, parent: Choices) -> Choices:
        """The parent with one decision changed to another option (a decision with one option is skipped)."""
        mutable = [i for i in range(len(parent)) if self.space.num_options(parent[:i]) > 1]
        if not mutable:
            return parent
        i = int(self.rng.choice(mutable))
        n = self.space.num_options(parent[:i])
        new = (parent[i] + 1 + int(self.rng.integers(n - 1))) % n
        return self.space.repair((*parent[:i], new, *parent[i + 1 :]), self.rng)
