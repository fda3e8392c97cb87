"""Optimizers (with weight-decay exclusions) and learning-rate schedules (warmup + step/cosine/onecycle)."""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import TrainConfig


def param_groups(model: nn.Module, weight_decay: float, decay_norm_and_bias: bool) -> list[dict]:
    """Two groups: weights (decayed) and biases / norm parameters / other 1-D tensors and the
    parameters the model's no_weight_decay() names (not decayed, unless decay_norm_and_bias)."""
    skip = getattr(getattr(model, "module", model), "no_weight_decay", set)()  # DDP wraps the model
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            plain = p.ndim > 1 and name.removeprefix("module.") not in skip
            (decay if plain or decay_norm_and_bias else no_decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def build_optimizer(
    model: nn.Module, cfg: TrainConfig, lr_groups: list[dict] | None = None
) -> torch.optim.Optimizer:
    """SGD (momentum, Nesterov) or AdamW over param_groups().

    `lr_groups` ({"params", "lr", "name"}, from fine-tuning) are each split the same way.
    """
    if lr_groups is None:
        groups = param_groups(model, cfg.weight_decay, cfg.decay_norm_and_bias)
    else:
        groups = []
        for group in lr_groups:
            wanted = {id(p) for p in group["params"]}
            for split in param_groups(model, cfg.weight_decay, cfg.decay_norm_and_bias):
                params = [p for p in split["params"] if id(p) in wanted]
                if params:
                    groups.append({**split, "params": params, "lr": group["lr"], "name": group["name"]})
    fused = use_fused_step(model, cfg)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            groups,
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.nesterov and cfg.momentum > 0,
            fused=fused,
        )
    return torch.optim.AdamW(groups, lr=cfg.lr, fused=fused)


# Devices whose tensors PyTorch's fused SGD and AdamW kernels update.
FUSED_DEVICES = ("cpu", "cuda")


def use_fused_step(model: nn.Module, cfg: TrainConfig) -> bool | None:
    """Whether the optimizer updates all tensors in one fused kernel (True) or tensor by tensor.

    Fused steps are 2-9x faster on a CPU (an AdamW step of vgg11's 129M parameters: 0.25 s against
    2.1 s, benchmarks/RESULTS-optimizer-step.md), which is most of a step of the fully connected
    families. They round in another order than the per-tensor loop, so a run on the portable
    kernels, whose numbers are quoted and repeat across machines, keeps the loop (None: PyTorch's
    default).
    """
    if cfg.portable_kernels:
        return None
    params = list(model.parameters())
    fits = all(p.device.type in FUSED_DEVICES and p.is_floating_point() for p in params)
    return True if params and fits else None


def lr_factor(cfg: TrainConfig, step: int, steps_per_epoch: int) -> float:
    """The learning rate at optimizer step `step`, as a fraction of cfg.lr."""
    total = max(1, cfg.epochs * steps_per_epoch)
    if cfg.schedule == "onecycle":  # Smith & Topor 2018, as torch's OneCycleLR: cosine up then down
        peak, start, end = 0.25 * total, 1 / 25, 1 / 25e4
        if step < peak:
            return start + (1 - start) * (1 - math.cos(math.pi * step / peak)) / 2
        t = min(1.0, (step - peak) / max(1, total - peak))
        return end + (1 - end) * (1 + math.cos(math.pi * t)) / 2
    warmup = round(cfg.warmup_epochs * steps_per_epoch)
    if step < warmup:
        return (step + 1) / (warmup + 1)
    if cfg.schedule == "cosine":
        t = min(1.0, (step - warmup) / max(1, total - warmup))
        return (1 + math.cos(math.pi * t)) / 2
    if cfg.schedule == "step":
        every = cfg.step_epochs or max(1, cfg.epochs // 3)
        return cfg.step_gamma ** ((step // steps_per_epoch) // every)
    return 1.0


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step LambdaLR following lr_factor()."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(cfg, step, steps_per_epoch))
