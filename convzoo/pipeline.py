"""One training run composed from its parts: the trainer (convzoo.train) told how to prepare the
model by convzoo.transfer (checkpoint weights, --init-from, a fine-tuning plan). Neither package
imports the other's loop; this module is the one place that joins them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .train.config import TrainConfig
from .train.trainer import PrepareModel, Trainer, TrainResult
from .transfer.setup import prepare_transfer


def transfer_step(cfg: TrainConfig) -> PrepareModel:
    """The prepare step of cfg's transfer settings (weights, init_from, finetune), for a caller that
    builds its own Trainer."""
    return lambda model, log: prepare_transfer(model, cfg, log)


def train(
    cfg: TrainConfig, out: str | Path | None = None, *, resume: bool = False, **kwargs: Any
) -> TrainResult:
    """Train a model as configured (cfg.weights, cfg.init_from and cfg.finetune applied to the built
    model before its optimizer exists); see Trainer for the keyword arguments."""
    trainer = Trainer(cfg, out, prepare=transfer_step(cfg), **kwargs)
    try:
        return trainer.fit(resume=resume)
    finally:
        trainer.dist.close()
