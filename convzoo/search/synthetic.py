"""A synthetic objective with a known optimum: strategies are checked without training a network.

Each decision earns a hidden value that depends on the decision, its step and the space's state
before it (for the BlockQNN space: the previous layer's code), drawn once from a seeded uniform
distribution. An architecture scores the sum of its decisions' values, scaled to [0, 1] by the
optimum, which dynamic programming over (step, state) finds exactly.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable

import numpy as np

from .spaces import Choices, SearchSpace


class HiddenScore:
    """score(choices) in [0, 1], 1 at the optimum; `quantile(q)` estimates the score distribution."""

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        self.space, self.seed = space, seed
        self._values: dict[tuple[int, Hashable], np.ndarray] = {}
        self.optimum = self._best(())
        self.top_choices = self._argbest()

    def _table(self, prefix: Choices) -> np.ndarray:
        key = (len(prefix), self.space.state(prefix))
        if key not in self._values:
            rng = np.random.default_rng([self.seed, zlib.crc32(repr(key).encode())])
            self._values[key] = rng.random(self.space.num_options(prefix))
        return self._values[key]

    def raw(self, choices: Choices) -> float:
        return float(sum(self._table(choices[:t])[c] for t, c in enumerate(choices)))

    def __call__(self, choices: Choices) -> float:
        return self.raw(choices) / self.optimum

    def _best(self, prefix: Choices, memo: dict | None = None) -> float:
        memo = {} if memo is None else memo
        if self.space.num_options(prefix) == 0:
            return 0.0
        key = (len(prefix), self.space.state(prefix))
        if key not in memo:
            table = self._table(prefix)
            memo[key] = max(table[a] + self._best((*prefix, a), memo) for a in range(len(table)))
        return memo[key]

    def _argbest(self) -> Choices:
        prefix: Choices = ()
        memo: dict = {}
        while (n := self.space.num_options(prefix)) > 0:
            table = self._table(prefix)
            prefix = (*prefix, max(range(n), key=lambda a: table[a] + self._best((*prefix, a), memo)))
        return prefix

    def quantile(self, q: float, samples: int = 20_000) -> float:
        """The q-quantile of the score of uniformly random architectures (what random search draws)."""
        rng = np.random.default_rng(self.seed + 1)
        return float(np.quantile([self(self.space.complete((), rng)) for _ in range(samples)], q))


class SyntheticObjective:
    """An Optuna objective scoring a trial's architecture with a HiddenScore (no training).

    `delay` seconds of sleep stand in for training; `fail_on` makes trials with those numbers
    raise, to exercise the engine's failure handling.
    """

    def __init__(
        self, space: SearchSpace, seed: int = 0, delay: float = 0.0, fail_on: tuple[int, ...] = ()
    ) -> None:
        self.space, self.score = space, HiddenScore(space, seed)
        self.delay, self.fail_on = delay, fail_on

    def __call__(self, trial) -> float:
        import time

        from .objective import suggest_choices

        choices = suggest_choices(trial, self.space)
        trial.set_user_attr("choices", list(choices))
        if trial.number in self.fail_on:
            raise RuntimeError(f"synthetic failure of trial {trial.number}")
        time.sleep(self.delay)
        value = self.score(choices)
        trial.set_user_attr("reward", value)
        return value
