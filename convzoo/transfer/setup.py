"""Apply a run's transfer settings (weights, fine-tuning mode, --init-from) to a freshly built model."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ..preprocessing import weights_data_config
from ..registry import model_card
from ..train.checkpoint import resolve_checkpoint
from ..weights import check_finite, read_state_dict
from .finetune import plan_finetune
from .init_from import init_from, vgg_progressive_keys
from .pretrained import load_pretrained


def is_vgg_state(state: dict) -> bool:
    return any(k.startswith("stages.") and ".conv." in k for k in state) and "head.fc6.weight" in state


def prepare_transfer(model: nn.Module, cfg, log: Callable[[str], None] = print) -> list[dict] | None:
    """Load cfg.weights / cfg.init_from into the model and freeze it for cfg.finetune.

    Returns the optimizer's learning-rate groups for fine-tuning, or None (train everything at cfg.lr).
    """
    if cfg.init_from:
        source = resolve_checkpoint(cfg.init_from)
        state = read_state_dict(source)
        check_finite(state, str(source))
        keys = None
        if model_card(cfg.model).family == "vgg" and is_vgg_state(state):
            keys = vgg_progressive_keys(state)
            log("init-from: VGG progressive initialisation (first four conv layers and fc6, fc7, fc)")
        report = init_from(model, state, keys)
        log(f"init-from {cfg.init_from}: " + report.lines()[0])
    if cfg.weights:
        report = load_pretrained(model, resolve_checkpoint(cfg.weights))
        for line in report.lines():
            log(f"weights {cfg.weights}: {line}")
        config = weights_data_config(cfg.model, report.layout)
        if config is not None:  # the trainer feeds the images as the release was fed
            model.data_config = config
            log(f"weights {cfg.weights}: preprocessing of {config.weights}: {config.line()}")
    if not cfg.finetune:
        return None
    if cfg.finetune == "linear" and cfg.weights:  # a new classifier, even for the same number of classes
        model.reset_classifier(model.num_classes)
        log(f"linear: a fresh {model.num_classes}-way final layer")
    plan = plan_finetune(model, cfg.finetune, cfg.lr, cfg.unfreeze, cfg.lr_decay)
    log(f"fine-tuning ({cfg.finetune}): " + "\n".join(plan.lines()))
    return plan.param_groups
