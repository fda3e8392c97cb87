"""The strategies on a synthetic objective with a known optimum (no training): deterministic checks."""

import numpy as np
import pytest

from convzoo.search.spaces import get_space
from convzoo.search.strategies import STRATEGIES, make_strategy
from convzoo.search.strategies.qlearning import EPSILON_SCHEDULE, epsilon_at
from convzoo.search.synthetic import HiddenScore

BUDGET, SEEDS = 300, 10


def trials_to_reach(strategy, score, threshold, budget=BUDGET):
    """Trials until the strategy first proposes an architecture scoring >= threshold (budget + 1: never)."""
    for i in range(budget):
        choices = strategy.propose()
        value = score(choices)
        strategy.observe(choices, value)
        if value >= threshold:
            return i + 1
    return budget + 1


@pytest.fixture(scope="module")
def problem():
    space = get_space("blockqnn", max_layers=4)
    score = HiddenScore(space, seed=0)
    return space, score, score.quantile(0.99, samples=5000)


def test_hidden_score_knows_its_optimum(problem):
    space, score, top1pct = problem
    assert score(score.top_choices) == pytest.approx(1.0)
    rng = np.random.default_rng(5)
    assert max(score(space.complete((), rng)) for _ in range(2000)) <= 1.0 + 1e-12
    assert 0.5 < top1pct < 1.0


def test_qlearning_and_evolution_reach_the_top_percent_sooner_than_random(problem):
    space, score, top1pct = problem
    mean = {}
    for name, kwargs in (("random", {}), ("qlearning", {}), ("evolution", {"population": 20, "sample": 5})):
        hits = [
            trials_to_reach(make_strategy(name, space, s, BUDGET, **kwargs), score, top1pct)
            for s in range(SEEDS)
        ]
        mean[name] = float(np.mean(hits))
    assert mean["qlearning"] < mean["random"]
    assert mean["evolution"] < mean["random"]


def test_qlearning_explores_like_random_search_while_epsilon_is_one(problem):
    space, _, _ = problem
    q, r = make_strategy("qlearning", space, 3, BUDGET), make_strategy("random", space, 3, BUDGET)
    for _ in range(20):
        a, b = q.propose(), r.propose()
        assert a == b
        q.observe(a, 0.0)
        r.observe(b, 0.0)


def test_epsilon_schedule_of_table_2_stretched_over_the_budget():
    assert sum(n for _, n in EPSILON_SCHEDULE) == 178
    values = [epsilon_at(t, 178) for t in range(178)]
    assert values[:95] == [1.0] * 95 and values[95:102] == [0.9] * 7 and values[-12:] == [0.1] * 12
    stretched = [epsilon_at(t, 356) for t in range(356)]
    assert stretched.count(1.0) == 190 and stretched.count(0.1) == 24


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_seed_reproduces_the_proposals(name, problem):
    space, score, _ = problem

    def run(seed):
        strategy = make_strategy(name, space, seed, 30)
        out = []
        for _ in range(30 if name != "controller" else 8):
            c = strategy.propose()
            strategy.observe(c, score(c))
            out.append(c)
        return out

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_evolution_mutates_one_decision_of_the_best_sampled():
    space = get_space("resnet")
    evo = make_strategy("evolution", space, 0, 50, population=4, sample=4)
    for value, choices in enumerate([(0,) * 6, (1,) * 6, (2,) * 6, (3,) * 6]):
        evo.observe(choices, float(value))
    child = evo.propose()
    assert sum(a != b for a, b in zip(child, (3,) * 6, strict=True)) == 1


def test_controller_policy_gradient_moves_towards_rewarded_choices():
    space = get_space("resnet")  # 6 decisions of 5 or 6 options
    ctl = make_strategy("controller", space, 0, 100, learning_rate=0.05)
    target = (0,) * 6
    for _ in range(60):
        c = ctl.propose()
        ctl.observe(c, sum(a == b for a, b in zip(c, target, strict=True)) / 6)
    late = [ctl.propose() for _ in range(20)]
    assert np.mean([sum(a == 0 for a in c) for c in late]) > 6 / 5.5 * 1.5  # well above chance (~1.1 zeros)
