"""Fine-tuning modes: which parameters train, at which learning rate.

- linear: only the (new) final layer trains; the backbone is frozen, BatchNorm statistics kept.
- partial: the head and the last K stages (feature_info order; a ViT's blocks) train; the rest is frozen.
- full: everything trains; the learning rate is multiplied by `lr_decay` per stage (a ViT: per
  block, as timm's layer-wise decay) towards the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch import nn

from ..contract import Classifier, modules_matcher
from ..layers.frozen_norm import freeze_batchnorm

FINETUNE_MODES = ("linear", "partial", "full")


def group_modules(model: nn.Module) -> list[str]:
    """The modules that open the model's parameter groups (Classifier.group_modules): its
    feature_info stages, a ViT's blocks; a model without the method (a dense model's encoder)
    groups by its feature_info stages."""
    if hasattr(model, "group_modules"):
        return model.group_modules()
    return Classifier.group_modules(model)


def stage_of_parameters(model: nn.Module) -> dict[str, int]:
    """Depth of every parameter from the output: 0 head, 1 the last group, ..., S the first, S+1 the stem.

    The groups are those of the model's group_matcher() (timm's convention: "stem" and one
    "blocks" pattern per group module: each feature_info stage, each block of a ViT); what
    matches none is the head.
    """
    if hasattr(model, "group_matcher"):
        matcher = model.group_matcher()
    else:
        matcher = modules_matcher(model, group_modules(model))
    blocks = [re.compile(pattern) for pattern, _ in matcher["blocks"]]
    stem = re.compile(matcher["stem"])
    depth: dict[str, int] = {}
    for name, _ in model.named_parameters():
        owner = next((i for i, b in enumerate(blocks) if b.match(name)), None)
        if owner is not None:
            depth[name] = len(blocks) - owner
        else:
            depth[name] = len(blocks) + 1 if stem.match(name) else 0
    return depth


@dataclass
class FinetunePlan:
    """Parameter groups for the optimizer and a readable account of what is frozen."""

    param_groups: list[dict]
    frozen: list[str]
    trainable: list[str]

    def lines(self) -> list[str]:
        out = [f"frozen: {len(self.frozen)} tensors; trainable: {len(self.trainable)} tensors"]
        for g in self.param_groups:
            out.append(
                f"  lr {g['lr']:.3g} for {g['name']} ({sum(p.numel() for p in g['params']):,} parameters)"
            )
        return out


def plan_finetune(
    model: nn.Module, mode: str, lr: float, unfreeze: int = 1, lr_decay: float = 1.0
) -> FinetunePlan:
    """Freeze the model for `mode` and return the optimizer's parameter groups."""
    if mode not in FINETUNE_MODES:
        raise ValueError(f"unknown fine-tuning mode {mode!r}; choose one of {', '.join(FINETUNE_MODES)}")
    depth = stage_of_parameters(model)
    classifier_ids = {id(p) for p in model.get_classifier().parameters()}
    named = dict(model.named_parameters())
    if mode == "linear":
        trains = {n for n, p in named.items() if id(p) in classifier_ids}
    elif mode == "partial":
        if unfreeze < 0:
            raise ValueError(f"--unfreeze must be >= 0 stages, got {unfreeze}")
        trains = {n for n in named if depth[n] <= unfreeze}
    else:
        trains = set(named)
    if not trains:
        raise ValueError(
            f"fine-tuning mode {mode!r} leaves nothing to train in this model (its final layer has no "
            "trainable parameters); use --mode partial or full"
        )
    for n, p in named.items():
        p.requires_grad_(n in trains)
    freeze_batchnorm(model)  # frozen BatchNorm keeps the checkpoint's statistics
    groups: dict[int, list] = {}
    for n in named:
        if n in trains:
            groups.setdefault(depth[n] if mode == "full" else 0, []).append(named[n])
    stages = group_modules(model)
    labels = {0: "head", len(stages) + 1: "stem"} | {len(stages) - i: s for i, s in enumerate(stages)}
    param_groups = [
        {
            "params": params,
            "lr": lr * lr_decay**d,
            "name": labels[d] if mode == "full" else "trainable",
        }
        for d, params in sorted(groups.items())
    ]
    return FinetunePlan(param_groups, sorted(set(named) - trains), sorted(trains))
