"""Preprocessing that travels with weights: the data config each library release expects.

A torchvision or timm checkpoint was trained on images resized, cropped and normalised its own way
(torchvision's weight transforms, timm's pretrained_cfg as `timm.data.resolve_data_config` reads
it); fed otherwise its accuracy drops. The configs of the releases convzoo's cards claim are in
`library_data_configs.json` (written by `scripts/library_data_configs.py` from those libraries).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("library_data_configs.json")


@dataclass(frozen=True)
class DataConfig:
    """How a release's images were prepared: resize the shorter side to `resize` (`interpolation`),
    centre-crop `input_size` (crop_pct = crop / resize), scale to [0, 1], then (x - mean) / std."""

    library: str
    name: str
    weights: str  # the release: torchvision's weight enum, timm's name.tag
    mean: tuple[float, ...]
    std: tuple[float, ...]
    input_size: tuple[int, int, int]
    resize: int
    crop_pct: float
    interpolation: str

    @property
    def input_range(self) -> tuple[float, float]:
        """The range the normalised input spans ([-1, 1] for the Inception releases' 0.5 / 0.5)."""
        lows = [(0 - m) / s for m, s in zip(self.mean, self.std, strict=True)]
        highs = [(1 - m) / s for m, s in zip(self.mean, self.std, strict=True)]
        return round(min(lows), 4), round(max(highs), 4)

    def to_dict(self) -> dict:
        return {**asdict(self), "input_range": list(self.input_range)}

    @classmethod
    def from_dict(cls, data: dict) -> DataConfig:
        """The inverse of to_dict (a checkpoint's recorded `preprocessing`)."""
        names = cls.__dataclass_fields__
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})

    def resize_for(self, size: int) -> int:
        """The shorter side before a centre crop of `size`: the release's own at its crop size, else
        floor(size / crop_pct) as timm's transforms compute it."""
        return self.resize if size == self.input_size[-1] else math.floor(size / self.crop_pct)

    def line(self) -> str:
        """'resize 256 (bilinear), centre crop 224 (0.875), mean ..., std ..., input [-2.12, 2.64]'."""
        low, high = self.input_range
        return (
            f"resize {self.resize} ({self.interpolation}), centre crop {self.input_size[-1]} "
            f"(crop_pct {self.crop_pct:g}), mean {_floats(self.mean)}, std {_floats(self.std)}, "
            f"input range [{low:g}, {high:g}]"
        )


def _floats(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"


@cache
def _table() -> dict:
    return json.loads(TABLE.read_text())


def library_data_config(library: str, name: str) -> DataConfig | None:
    """The data config of `library`'s `name` release (None when the table has no such model)."""
    row = _table().get(library, {}).get(name)
    if row is None:
        return None
    return DataConfig(
        library, name, row["weights"], tuple(row["mean"]), tuple(row["std"]), tuple(row["input_size"]),
        row["resize"], row["crop_pct"], row["interpolation"],
    )  # fmt: skip


def data_configs(model_name: str) -> dict[str, DataConfig]:
    """The data config of every library layout the model's card claims: {library: DataConfig}."""
    from .registry import model_card

    card = model_card(model_name)
    found = {lib: library_data_config(lib, other) for lib, other in card.compatible.items()}
    return {lib: config for lib, config in found.items() if config is not None}


def weights_data_config(model_name: str, layout: str) -> DataConfig | None:
    """The data config to feed weights read in `layout` (None for convzoo's own or unknown)."""
    return data_configs(model_name).get(layout)


def apply_data_config(dataset, config: DataConfig | None):
    """The dataset normalised (and its image folders resized) as `config`'s release expects; the
    dataset itself when there is no config or its images are not RGB (the release's statistics
    are of RGB images)."""
    from dataclasses import replace

    from .data.folder import FolderSplit

    if config is None or dataset.in_chans != len(config.mean):
        return dataset

    def split(s):
        if not isinstance(s, FolderSplit):
            return s
        return s.with_preprocessing(config.resize_for(s.image_size), config.interpolation)

    return replace(
        dataset, mean=config.mean, std=config.std, train=split(dataset.train), test=split(dataset.test)
    )


def checkpoint_split(split, meta: dict, size: int):
    """A split for a checkpoint's model: `size` x `size`, resized as the release its weights came
    from was when its metadata records one (`preprocessing`, written by the trainer)."""
    from .data.folder import FolderSplit

    recorded = meta.get("preprocessing")
    if recorded and isinstance(split, FolderSplit):
        config = DataConfig.from_dict(recorded)
        split = split.with_preprocessing(config.resize_for(size), config.interpolation)
    return split.resized(size)
