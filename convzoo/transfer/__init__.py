"""Reusing trained networks: pretrained loading with head/channel adaptation, fine-tuning modes,
layer copying (VGG's progressive initialisation) and feature extraction."""

from .finetune import FINETUNE_MODES, FinetunePlan, plan_finetune, stage_of_parameters
from .init_from import CopyReport, init_from, vgg_progressive_keys
from .pretrained import TransferReport, adapt_input_channels, load_pretrained

__all__ = [
    "FINETUNE_MODES",
    "CopyReport",
    "FinetunePlan",
    "TransferReport",
    "adapt_input_channels",
    "init_from",
    "load_pretrained",
    "plan_finetune",
    "stage_of_parameters",
    "vgg_progressive_keys",
]
