"""`run_search`: one worker of a search, from a space and a strategy name to a finished study."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial

from ..data import load_dataset
from ..train import TrainConfig
from .engine import make_pruner, make_sampler, open_storage, open_study, run_worker, start_worker_offset
from .objective import PROXY_DEFAULTS, PROXY_SETTINGS, ProxyObjective
from .spaces import get_space
from .strategies import make_strategy


def strategy_defaults(strategy: str, trials: int) -> dict[str, Any]:
    """Evolution's population and sample fitted to a small budget (the paper's 100 and 25 need
    hundreds of trials to leave the random phase): P = min(100, max(4, trials // 3)), S = P // 4."""
    if strategy != "evolution":
        return {}
    population = min(100, max(4, trials // 3))
    return {"population": population, "sample": max(2, population // 4)}


def run_search(
    space: str,
    strategy: str,
    trials: int,
    *,
    settings: dict[str, Any] | None = None,
    seed: int = 0,
    storage: str | None = None,
    study_name: str | None = None,
    run_dir: str | Path = "runs/search",
    train: dict[str, Any] | None = None,
    pruner: str = "none",
    mu: float = 0.0,
    rho: float = 0.0,
    strategy_kwargs: dict[str, Any] | None = None,
    on_trial: Callable[[FrozenTrial], None] = lambda _t: None,
    max_trials: int | None = None,
    heartbeat_s: float | None = None,
    paper_settings: bool = False,
) -> optuna.Study:
    """Search `space` with `strategy` for `trials` trials (between all workers of the study).

    `train` overrides PROXY_DEFAULTS (any TrainConfig field: data, epochs, train_limit ...);
    `settings` override the space's PROXY_SETTINGS (or its paper settings, with paper_settings).
    """
    if trials < 1:
        raise ValueError(f"trials must be at least 1, got {trials}")
    base = {} if paper_settings else PROXY_SETTINGS.get(space, {})
    search_space = get_space(space, **{**base, **(settings or {})})
    cfg = TrainConfig(
        model="searched", **{**PROXY_DEFAULTS, **{k: v for k, v in (train or {}).items() if v is not None}}
    )
    dataset = load_dataset(cfg.data, cfg.data_dir, download=cfg.download, seed=cfg.seed)
    dataset = replace(
        dataset, train=dataset.train.subset(cfg.train_limit), test=dataset.test.subset(cfg.test_limit)
    )
    cfg = cfg.replace(train_limit=None, test_limit=None)
    name = study_name or f"{space}-{strategy}"
    kwargs = {**strategy_defaults(strategy, trials), **(strategy_kwargs or {})}
    sampler = make_sampler(strategy, search_space, seed, trials, **kwargs)
    study = open_study(open_storage(storage, run_dir), name, trials, sampler, make_pruner(pruner))
    offset = start_worker_offset(study)
    if offset:  # a worker joining a study: its own random stream, still reproducible from the seed
        sampler.strategy = make_strategy(strategy, search_space, seed + offset, trials, **kwargs)
    study.set_user_attr("space", space)
    objective = ProxyObjective(search_space, cfg, dataset, mu=mu, rho=rho)
    extra = {} if heartbeat_s is None else {"heartbeat_s": heartbeat_s, "grace_s": 4 * heartbeat_s}
    run_worker(study, objective, strategy_name=strategy, on_trial=on_trial, max_trials=max_trials, **extra)
    return study
