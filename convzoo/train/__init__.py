"""Training: one config dataclass, the loop, checkpoints, metrics, plots and DDP."""

from .checkpoint import load_checkpoint, read_meta
from .config import FAMILY_RECIPES, TrainConfig, read_config_file, recipe_for, resolve_config
from .trainer import NonFiniteLossError, Trainer, TrainResult

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


def __getattr__(name: str):
    """`train`, the composed run (convzoo.pipeline.train: the trainer told by convzoo.transfer how to
    prepare the model), imported on first use because convzoo.pipeline imports this package."""
    if name == "train":
        from ..pipeline import train

        return train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
