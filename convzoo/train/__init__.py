"""Training: one config dataclass, the loop, checkpoints, metrics, plots and DDP."""

from .checkpoint import load_checkpoint, read_meta
from .config import FAMILY_RECIPES, TrainConfig, read_config_file, recipe_for, resolve_config
from .trainer import NonFiniteLossError, Trainer, TrainResult, train

__all__ = [
    "FAMILY_RECIPES",
    "NonFiniteLossError",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "load_checkpoint",
    "read_config_file",
    "read_meta",
    "recipe_for",
    "resolve_config",
    "train",
]
