"""The NASNet-style controller: an RNN policy trained by REINFORCE (Zoph & Le 2017; Zoph et al. 2018).

A one-layer LSTM (100 hidden units, as in Zoph et al. 2018) emits one softmax per decision; the
embedding of each choice is the next step's input. After each finished trial the policy takes a
gradient step on -(R - b) log p(choices), with b an exponential moving average of the rewards
(decay 0.95); Adam with learning rate 0.00035 (Zoph et al. 2018, Appendix A). Options a step does
not have are masked out of its softmax. Zoph et al. 2018 train the same controller with PPO;
REINFORCE with a baseline is Zoph & Le's original rule, chosen here for its single update per trial.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn

from ..spaces import Choices, SearchSpace
from .base import Strategy


@contextlib.contextmanager
def one_thread():
    """The policy's tensors are tiny: more threads only wait for each other (45x slower on a busy machine)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class Policy(nn.Module):
    """LSTM cell over decisions; one linear head shared by all steps, masked to each step's options."""

    def __init__(self, max_options: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(max_options + 1, hidden)  # the last row is the start token
        self.cell = nn.LSTMCell(hidden, hidden)
        self.step_embed = nn.Embedding(512, hidden)
        self.head = nn.Linear(hidden, max_options)
        self.start = max_options

    def logits(self, step: int, prev: int, state: tuple[torch.Tensor, torch.Tensor] | None, n: int):
        x = self.embed(torch.tensor([prev])) + self.step_embed(torch.tensor([min(step, 511)]))
        h, c = self.cell(x, state)
        out = self.head(h)[0]
        mask = torch.full_like(out, float("-inf"))
        mask[:n] = 0
        return out + mask, (h, c)


class Controller(Strategy):
    """REINFORCE with a moving-average baseline; see the module docstring for the paper's settings."""

    name = "controller"

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        budget: int = 100,
        *,
        hidden: int = 100,
        learning_rate: float = 0.00035,
        baseline_decay: float = 0.95,
        max_options: int | None = None,
    ) -> None:
        super().__init__(space, seed, budget)
        self.generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        self.max_options = max_options or self._max_options()
        self.policy = Policy(self.max_options, hidden)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=learning_rate)
        self.baseline: float | None = None
        self.baseline_decay = baseline_decay

    def _max_options(self) -> int:
        """The largest option count met along random architectures' decisions."""
        rng, most = np.random.default_rng(0), 1
        for _ in range(64):
            choices = self.space.complete((), rng)
            most = max([most] + [self.space.num_options(choices[:t]) for t in range(len(choices))])
        return most

    def _run(self, choices: Choices | None) -> tuple[Choices, torch.Tensor]:
        """Sample (choices=None) or score given choices; returns them with their summed log-probability."""
        made: list[int] = []
        logp = torch.zeros(())
        state, prev = None, self.policy.start
        while (n := self.space.num_options(tuple(made))) > 0:
            if n > self.max_options:
                raise ValueError(f"controller sized for {self.max_options} options, step has {n}")
            logits, state = self.policy.logits(len(made), prev, state, n)
            log_probs = torch.log_softmax(logits, dim=0)
            if choices is None:
                c = int(torch.multinomial(log_probs.exp(), 1, generator=self.generator))
            else:
                c = choices[len(made)]
            logp = logp + log_probs[c]
            made.append(c)
            prev = c
        return tuple(made), logp

    def propose(self) -> Choices:
        with torch.no_grad(), one_thread():
            return self._run(None)[0]

    def learn(self, choices: Choices, reward: float) -> None:
        if self.baseline is None:
            self.baseline = reward
        advantage = reward - self.baseline
        self.baseline = self.baseline_decay * self.baseline + (1 - self.baseline_decay) * reward
        with one_thread():
            _, logp = self._run(choices)
            loss = -advantage * logp
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
