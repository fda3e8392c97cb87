"""Every hyperparameter of a run in one dataclass, the per-family default recipes, and YAML I/O."""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from .recipes import FAMILY_RECIPES

OPTIMIZERS = ("sgd", "adamw")
SAVE_MODES = ("last", "best", "all")  # which weights a run keeps (see Trainer.save)
RECIPES = ("auto", "paper", "small")
SCHEDULES = ("constant", "step", "cosine", "onecycle")


@dataclass
class TrainConfig:
    """The hyperparameters of a training run (saved in the run directory's config.yaml)."""

    model: str = "lenet5"
    data: str = "mnist-mini"
    data_dir: str | None = None
    download: bool = False
    epochs: int = 30
    batch_size: int = 128
    lr: float = 0.05
    optimizer: str = "sgd"
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    decay_norm_and_bias: bool = False  # by default norms' weights and all biases get no weight decay
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    step_epochs: int = 0  # step schedule: multiply by step_gamma every step_epochs (0: a third of the run)
    step_gamma: float = 0.1
    label_smoothing: float = 0.1
    grad_clip: float = 0.0  # max global gradient norm (0: off)
    ema_decay: float = 0.0  # exponential moving average of the weights, evaluated and saved (0: off)
    bf16: bool | str = False  # bfloat16 autocast (auto: where the device computes it natively)
    channels_last: bool = False
    compile: bool = False  # torch.compile the model for training and evaluation
    grad_checkpointing: bool = False  # recompute each stage's activations in backward (less memory)
    augment: str = "auto"  # batched preset for in-memory data: auto (the dataset's), none, translate, ...
    image_size: int | None = None  # default: the dataset's size, brought up to the model's minimum
    train_limit: int | None = None  # use only N training images (folders: seeded, stratified)
    test_limit: int | None = None
    eval_batch_size: int = 1000
    workers: int = 0  # decoding processes for image folders
    threads: int | str = 0  # torch intra-op threads (0: leave torch's setting; auto: by measurement)
    seed: int = 0
    device: str = "auto"
    portable_kernels: bool = False  # baseline CPU kernels: the same numbers across most x86-64 machines
    recipe: str = "auto"  # the family's recipe: paper | small (auto: small for in-memory datasets)
    save: str = "last"  # weights kept: last | best (the epoch of highest test top-1) | all (both)
    keep_resume: bool = False  # keep the resume tensors (weights + optimizer) once the run has finished
    # transfer learning (convzoo finetune / --init-from); see convzoo.transfer
    weights: str | None = None  # checkpoint (convzoo run or torchvision/timm file) to start from
    finetune: str | None = None  # linear | partial | full
    unfreeze: int = 1  # partial: the last K stages train with the head
    lr_decay: float = 1.0  # full: learning-rate factor per stage towards the input
    init_from: str | None = None  # copy the layers it shares (VGG: Sec. 3.1's progressive initialisation)
    # segmentation: U-Net's weight map (Sec. 3), w(x) = w_c(x) + w0 * exp(-(d1 + d2)^2 / 2 sigma^2)
    weight_map: bool = True
    w0: float = 10.0
    sigma: float = 5.0

    def __post_init__(self) -> None:
        check_values(self)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.finetune is not None and self.finetune not in ("linear", "partial", "full"):
            raise ValueError(f"finetune must be linear, partial or full, got {self.finetune!r}")
        if self.finetune is not None and not self.weights:
            raise ValueError("fine-tuning needs the weights to start from (weights / --weights)")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.recipe not in RECIPES:
            raise ValueError(f"recipe must be one of {', '.join(RECIPES)}, got {self.recipe!r}")
        if self.save not in SAVE_MODES:
            raise ValueError(f"save must be one of {', '.join(SAVE_MODES)}, got {self.save!r}")

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)


# The range of every numeric field: (low, high, whether low itself is allowed); None: unbounded.
FIELD_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "epochs": (1, 100_000, True),
    "batch_size": (1, 1 << 20, True),
    "eval_batch_size": (1, 1 << 20, True),
    "lr": (0, 10, False),
    "momentum": (0, 1, True),
    "weight_decay": (0, 1, True),
    "warmup_epochs": (0, 100_000, True),
    "step_epochs": (0, 100_000, True),
    "step_gamma": (0, 1, False),
    "label_smoothing": (0, 1, True),
    "grad_clip": (0, None, True),
    "ema_decay": (0, 1, True),
    "image_size": (1, 4096, True),
    "train_limit": (1, None, True),
    "test_limit": (1, None, True),
    "workers": (0, 256, True),
    "threads": (0, 4096, True),
    "seed": (0, 2**63 - 1, True),
    "unfreeze": (0, 10_000, True),
    "lr_decay": (0, 1, False),
    "w0": (0, 1000, True),
    "sigma": (0, 1000, False),
}
_UPPER_OPEN = {"momentum", "label_smoothing", "ema_decay"}  # 1 itself would never move


def _typed(name: str, value: Any, kind: Any) -> Any:
    """The value as its field's type: YAML's '1e-3' (read as a string), '32' or 32.0 become numbers;
    32.5 for an integer, a word for a number or a number for a flag raise ValueError."""
    import typing

    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if args:  # X | None
        if value is None:
            return None
        kind = args[0]
    expected = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}[kind]
    bad = ValueError(f"{name} must be {expected}, got {value!r}")
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise bad
    if kind is str:
        if isinstance(value, str):
            return value
        raise bad
    if isinstance(value, bool):
        raise bad
    if isinstance(value, str):
        try:
            value = float(value.strip().replace("_", ""))
        except ValueError:
            raise bad from None
    if not isinstance(value, (int, float)):
        raise bad
    if kind is int:
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise bad
        return int(value)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def check_values(cfg: TrainConfig) -> None:
    """Convert every field to its dataclass type and check its range, in place (ValueError naming
    the field, what it must be and what it got)."""
    import typing

    hints = typing.get_type_hints(type(cfg))
    for f in fields(cfg):
        if f.name in ("threads", "bf16") and getattr(cfg, f.name) == "auto":  # or the word for "chosen here"
            continue
        value = _typed(f.name, getattr(cfg, f.name), hints[f.name])
        setattr(cfg, f.name, value)
        if value is None or f.name not in FIELD_RANGES:
            continue
        low, high, low_ok = FIELD_RANGES[f.name]
        too_low = low is not None and (value < low or (value == low and not low_ok))
        high_ok = f.name not in _UPPER_OPEN
        too_high = high is not None and (value > high or (value == high and not high_ok))
        if too_low or too_high:
            left = "[" if low_ok else "("
            right = "]" if high_ok else ")"
            span = f"in {left}{low}, {high}{right}" if high is not None else f"at least {low}"
            if high is None and not low_ok:
                span = f"above {low}"
            raise ValueError(f"{f.name} must be {span}, got {value}")
    if cfg.data == "" or cfg.model == "":
        raise ValueError("model and data must be names, got an empty string")
    from ..data.augment import AUGMENT_PRESETS
    from ..data.segmentation import SEG_AUGMENT_PRESETS
    from ..devices import resolve_device

    presets = ("auto", *dict.fromkeys((*AUGMENT_PRESETS, *SEG_AUGMENT_PRESETS)))
    if cfg.augment not in presets:
        raise ValueError(f"augment must be one of {', '.join(presets)}, got {cfg.augment!r}")
    resolve_device(cfg.device)


# Adjustments of a recipe for one dataset, keyed by (family or model name, dataset). The LeNet
# recipe is tuned on mnist-mini (6,000 images), where the README's main job quotes its numbers and
# so keeps one thread, float32 and the portable kernels. The 60,000-image MNIST-likes are the speed
# benchmark: batch 128 for 8 epochs on the CPU's own kernels, threads chosen by timed steps and
# bfloat16 autocast where the CPU computes it natively (convzoo.train.precision). On full MNIST with
# seed 0, two AMX cores, that reached 99.0% after 5 epochs (13.8 s) and ended at 99.39%
# (benchmarks/RESULTS-train.md, with seeds 1-4); in float32 the same recipe trained at 0.83x the
# images/s and needed 6 epochs (20.0 s) to 99.0% (RESULTS-train-fp32.md). The paper's lenet5
# (scaled tanh, RBF output) gets a lower peak rate there, where 6e-3 makes it unstable.
MNIST_LIKE = ("mnist", "fashion-mnist", "kmnist")
DATASET_RECIPES: dict[tuple[str, str], dict[str, Any]] = {
    **{
        ("lenet", name): dict(batch_size=128, epochs=8, threads="auto", bf16="auto", portable_kernels=False)
        for name in MNIST_LIKE
    },
    **{("lenet5", name): dict(lr=2e-3) for name in MNIST_LIKE},
    # U-Nets on the small generated shapes-seg, on a CPU: AdamW at batch 8 with a one-cycle schedule
    # converges in minutes, where the paper's batch of one at momentum 0.99 takes hours.
    # One thread: these small maps gain nothing from a second one on a shared machine.
    # YOLO from scratch on shapes-detect, on a CPU: AdamW at batch 32 with a one-cycle schedule
    # (the paper's SGD recipe assumes ImageNet-pretrained convolutions).
    ("yolo", "shapes-detect"): dict(
        optimizer="adamw", lr=1e-3, weight_decay=5e-4, batch_size=32, schedule="onecycle", epochs=30
    ),
    # Section 2.2's classification pretraining of yolo_v1_mini's convolutions, on shapes: 100% test
    # top-1 in under a minute (`convzoo train yolo_v1_mini --init-from RUN` then starts from them).
    ("yolo_v1_mini_classifier", "shapes"): dict(
        optimizer="adamw", lr=3e-3, weight_decay=5e-4, batch_size=32, schedule="onecycle", epochs=4, threads=1
    ),
    ("unet", "shapes-seg"): dict(
        optimizer="adamw",
        lr=3e-3,
        weight_decay=1e-4,
        batch_size=8,
        schedule="onecycle",
        epochs=8,
        threads=1,
    ),
}


def default_recipe(data: str) -> str:
    """'small' for the in-memory datasets (mnist-mini, the MNIST-likes, CIFAR, shapes), 'paper' for
    image folders, the ImageNet-like data the papers trained on."""
    from ..data import DATASETS

    return "small" if data in DATASETS else "paper"


def recipe_for(model: str, data: str = "mnist-mini", recipe: str = "auto") -> dict[str, Any]:
    """The default recipe's overrides for a model on a dataset: its family's paper or small-data
    recipe (see convzoo.train.recipes), then the dataset rows."""
    from ..registry import model_card

    family = model_card(model).family
    which = default_recipe(data) if recipe == "auto" else recipe
    found = FAMILY_RECIPES.get(family)
    return {
        **(found.settings(which, data) if found else {}),
        **DATASET_RECIPES.get((family, data), {}),
        **DATASET_RECIPES.get((model, data), {}),
    }


def resolve_config(model: str, *layers: dict[str, Any]) -> TrainConfig:
    """TrainConfig for `model`: defaults, then its recipe for the chosen dataset, then each layer
    (a config file, then flags)."""
    chosen: dict[str, Any] = {}
    for layer in layers:
        chosen.update({k: v for k, v in layer.items() if v is not None})
    check_keys(chosen)
    data, recipe = chosen.get("data", TrainConfig.data), chosen.get("recipe", TrainConfig.recipe)
    values = {"model": model, **recipe_for(model, data, recipe), **chosen}
    return TrainConfig(**values)


def check_keys(values: dict[str, Any], source: str = "config") -> None:
    """Raise ValueError naming unknown keys and the valid ones."""
    valid = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(values) - valid)
    if unknown:
        raise ValueError(
            f"{source}: unknown setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}"
        )


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Settings from a YAML file: a flat mapping of TrainConfig fields, or a run's config.yaml."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ValueError(f"cannot read config file {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ValueError(f"{path}: not valid YAML{where} ({problem})") from None
    if isinstance(data, dict) and isinstance(data.get("config"), dict):
        data = data["config"]
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: expected a mapping of settings (e.g. 'epochs: 10'), got {type(data).__name__}"
        )
    check_keys(data, str(path))
    return data


def environment() -> dict[str, Any]:
    """Versions and machine description saved with every run."""
    import numpy
    import torch

    from .. import __version__

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "versions": {
            "convzoo": __version__,
            "python": sys.version.split()[0],
            "torch": str(torch.__version__),
            "numpy": str(numpy.__version__),
        },
        "machine": {
            "platform": platform.platform(),
            "cpu": cpu,
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
    }


def write_config(path: Path, cfg: TrainConfig, extra: dict[str, Any]) -> None:
    """config.yaml: the hyperparameters, seed, versions and machine of a run."""
    from ..io import atomic_write_bytes

    doc = {"config": asdict(cfg), "seed": cfg.seed, **environment(), **extra}
    atomic_write_bytes(path, yaml.safe_dump(doc, sort_keys=False).encode())
