"""Search strategies by name: random, qlearning (BlockQNN), controller (NASNet), evolution (Real et al.)."""

from __future__ import annotations

from typing import Any

from ..spaces import SearchSpace
from .base import RandomSearch, Strategy
from .controller import Controller
from .evolution import RegularizedEvolution
from .qlearning import QLearning

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (RandomSearch, QLearning, Controller, RegularizedEvolution)
}


def make_strategy(name: str, space: SearchSpace, seed: int = 0, budget: int = 100, **kwargs: Any) -> Strategy:
    """The strategy `name` over `space`, seeded."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}")
    return STRATEGIES[name](space, seed, budget, **kwargs)


__all__ = ["STRATEGIES", "Strategy", "make_strategy"]
