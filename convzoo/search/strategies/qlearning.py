"""BlockQNN's Q-learning agent (Zhong et al. 2018, Section 3.2-3.3, after Baker et al.'s MetaQNN).

The agent builds a block layer by layer: its state is the current layer's code, its action the
next layer's code. Settings of the paper, the defaults here:

- epsilon-greedy exploration with the schedule of Table 2: epsilon = 1.0 for 95 of 178 iterations,
  then 0.9, 0.8, 0.7 for 7 each, 0.6 ... 0.2 for 10 each and 0.1 for 12; convzoo stretches the
  schedule over the study's trial budget in the same proportions;
- the update Q(s_t, a_t) <- (1 - alpha) Q(s_t, a_t) + alpha [r_t + gamma max_a Q(s_{t+1}, a)]
  with learning rate alpha = 0.01 and discount gamma = 1, applied from the last layer backwards;
- reward shaping (Eq. 4): every step gets r_t = R / T of the block's reward R over its T layers,
  which speeds up convergence against a reward at the last step only;
- experience replay: after each trial, the new trajectory and a sample of earlier ones (MetaQNN
  replays 100) are updated again;
- Q-values start at 0.5, as in MetaQNN.

The early-stop reward with FLOPs and density penalties (Section 3.4) is computed by the engine
(`convzoo.search.objective.refined_accuracy`) and arrives here as the reward.
"""

from __future__ import annotations

import numpy as np

from ..spaces import Choices, SearchSpace
from .base import Strategy

# Table 2: (epsilon, iterations trained at it).
EPSILON_SCHEDULE = ((1.0, 95), (0.9, 7), (0.8, 7), (0.7, 7), (0.6, 10), (0.5, 10), (0.4, 10), (0.3, 10),
                    (0.2, 10), (0.1, 12))  # fmt: skip


def epsilon_at(trial: int, budget: int, schedule: tuple[tuple[float, int], ...] = EPSILON_SCHEDULE) -> float:
    """Epsilon for trial number `trial` (0-based) of `budget`, the schedule stretched over the budget."""
    total = sum(n for _, n in schedule)
    done = 0.0
    for eps, n in schedule:
        done += n * budget / total
        if trial < round(done):
            return eps
    return schedule[-1][0]


class QLearning(Strategy):
    """Tabular Q-learning over the space's decisions; see the module docstring for the settings."""

    name = "qlearning"

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        budget: int = 100,
        *,
        learning_rate: float = 0.01,
        discount: float = 1.0,
        replay: int = 100,
        q_init: float = 0.5,
        schedule: tuple[tuple[float, int], ...] = EPSILON_SCHEDULE,
    ) -> None:
        super().__init__(space, seed, budget)
        self.learning_rate, self.discount, self.replay = learning_rate, discount, replay
        self.schedule = schedule
        self.q: dict[object, np.ndarray] = {}
        self.q_init = q_init
        # Separate streams: the random layer draws follow the same sequence as RandomSearch's with the
        # same seed (so while epsilon is 1 both try the same blocks), the coin and replay their own.
        self.coin = np.random.default_rng([seed, 1])
        self.replay_rng = np.random.default_rng([seed, 2])

    def _values(self, prefix: Choices) -> np.ndarray:
        key = (len(prefix), self.space.state(prefix))
        if key not in self.q:
            self.q[key] = np.full(self.space.num_options(prefix), self.q_init)
        return self.q[key]

    @property
    def epsilon(self) -> float:
        return epsilon_at(len(self.history), self.budget, self.schedule)

    def propose(self) -> Choices:
        eps = self.epsilon
        choices: list[int] = []
        while (n := self.space.num_options(tuple(choices))) > 0:
            if self.coin.random() < eps:
                choices.append(int(self.rng.integers(n)))
            else:
                q = self._values(tuple(choices))
                best = np.flatnonzero(q == q.max())
                choices.append(int(self.coin.choice(best)))
        return tuple(choices)

    def learn(self, choices: Choices, reward: float) -> None:
        self._update(choices, reward)
        if self.replay and len(self.history) > 1:
            picks = self.replay_rng.integers(
                len(self.history) - 1, size=min(self.replay, len(self.history) - 1)
            )
            for i in picks:
                self._update(*self.history[int(i)])

    def _update(self, choices: Choices, reward: float) -> None:
        steps = len(choices)
        r = reward / max(steps, 1)  # Eq. 4: the block's reward spread over its layers
        for t in reversed(range(steps)):
            prefix = choices[:t]
            q = self._values(prefix)
            after = choices[: t + 1]
            future = 0.0 if t == steps - 1 else float(self._values(after).max())
            a = choices[t]
            q[a] = (1 - self.learning_rate) * q[a] + self.learning_rate * (r + self.discount * future)
