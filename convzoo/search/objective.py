"""One trial: decode the sampled architecture, train it with convzoo's trainer on the proxy task.

The value Optuna records is the proxy's test top-1 accuracy; the strategies learn from the reward,
BlockQNN's refined accuracy (Section 3.4): reward = accuracy - mu log(FLOPs) - rho log(Density),
FLOPs counted in GFLOPs (multiply-adds) and Density = edges / nodes of the searched block; with
mu = rho = 0 (the default) the reward is the accuracy. Each epoch is reported to the pruner, and a
pruned trial keeps the accuracy it had reached as its early-stop accuracy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import optuna

from ..analysis import summary
from ..data import Dataset
from ..registry import register_spec
from ..train import TrainConfig
from ..train.trainer import Trainer
from .spaces import Choices, SearchSpace
from .spec import make_spec, spec_hash

# The proxy task's recipe: a few seconds per trial on a CPU (train's flags override every field).
PROXY_DEFAULTS: dict[str, Any] = dict(
    data="mnist-mini",
    epochs=2,
    train_limit=1000,
    test_limit=500,
    batch_size=32,
    optimizer="adamw",
    lr=1e-2,
    weight_decay=1e-4,
    schedule="onecycle",
    warmup_epochs=0.0,
    label_smoothing=0.0,
    threads=1,
)

# The spaces at proxy size (a searched unit is the paper's; the network around it is small):
# `run_search(..., paper_settings=True)` / `convzoo search --paper` searches at the paper's settings.
PROXY_SETTINGS: dict[str, dict[str, Any]] = {
    "blockqnn": dict(stages=2, repeats=1, filters=8, max_layers=5, input_size=28),
    "nasnet": dict(repeats=1, penultimate_filters=192, stem_filters=8, drop_path_rate=0.0, input_size=28),
    "resnet": dict(input_size=28),
    "mbconv": dict(width=0.25, input_size=28),
}


def refined_accuracy(accuracy: float, macs: int, density: float | None, mu: float, rho: float) -> float:
    """BlockQNN's early-stop reward: accuracy - mu log(GFLOPs) - rho log(Density)."""
    reward = accuracy
    if mu:
        reward -= mu * math.log(max(macs, 1) / 1e9)
    if rho and density:
        reward -= rho * math.log(density)
    return reward


def suggest_choices(trial: optuna.Trial, space: SearchSpace) -> Choices:
    """The trial's decisions as Optuna parameters d0, d1, ... (integers, ranges from the space)."""
    choices: list[int] = []
    while (n := space.num_options(tuple(choices))) > 0:
        choices.append(trial.suggest_int(f"d{len(choices)}", 0, n - 1))
    return tuple(choices)


class ProxyObjective:
    """Trains each trial's network on `dataset` with `config` (TrainConfig without a model)."""

    def __init__(
        self,
        space: SearchSpace,
        config: TrainConfig,
        dataset: Dataset,
        *,
        mu: float = 0.0,
        rho: float = 0.0,
        log: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.space, self.config, self.dataset = space, config, dataset
        self.mu, self.rho, self.log = mu, rho, log

    def describe(self, trial: optuna.Trial) -> tuple[str, int, float | None]:
        """Sample the architecture, record its spec and costs on the trial: (model name, MACs, density)."""
        choices = suggest_choices(trial, self.space)
        arch = self.space.decode(choices)
        spec = make_spec(self.space, arch, in_chans=self.dataset.in_chans)
        name = register_spec(spec)
        size = self.config.image_size or self.dataset.image_size or self.space.default_input_size()
        model = self.space.build(arch, self.dataset.num_classes, self.dataset.in_chans)
        stats = summary(model, (self.dataset.in_chans, size, size), device="meta")
        graph = self.space.graph(arch)
        density = len(graph[1]) / len(graph[0]) if graph else None
        for key, value in dict(
            choices=list(choices),
            spec=spec,
            spec_hash=spec_hash(spec),
            macs=int(stats.total_macs),
            params=int(stats.trainable_params),
            density=density,
        ).items():
            trial.set_user_attr(key, value)
        return name, int(stats.total_macs), density

    def __call__(self, trial: optuna.Trial) -> float:
        start = time.perf_counter()
        name, macs, density = self.describe(trial)

        def report(row: dict[str, Any], _model) -> None:
            accuracy = float(row["test_top1"])
            trial.report(accuracy, step=int(row["epoch"]))
            if trial.should_prune():
                trial.set_user_attr("reward", refined_accuracy(accuracy, macs, density, self.mu, self.rho))
                trial.set_user_attr("seconds", time.perf_counter() - start)
                raise optuna.TrialPruned(f"pruned after epoch {row['epoch']} at {accuracy:.2%}")

        trainer = Trainer(
            self.config.replace(model=name), None, dataset=self.dataset, callbacks=[report], log=self.log
        )
        result = trainer.fit()
        accuracy = float(result.final["top1"])
        trial.set_user_attr("reward", refined_accuracy(accuracy, macs, density, self.mu, self.rho))
        trial.set_user_attr("seconds", time.perf_counter() - start)
        return accuracy
