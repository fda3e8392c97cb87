"""Detection data in memory: per-image records (an image file or array, pixel boxes, labels,
difficult flags), splits of them, and batches resized to a detector's square input."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...detection.boxes import BoxTargets
from ..errors import DataError
from ..folder import decode_image
from ..tensors import normalize


@dataclass
class DetectionRecord:
    """One image and its objects: boxes K x 4 (x0, y0, x1, y1) in pixels of the width x height image."""

    width: int
    height: int
    boxes: np.ndarray
    labels: np.ndarray
    difficult: np.ndarray
    path: Path | None = None
    pixels: np.ndarray | None = None  # H x W x 3 uint8, for generated images

    def image(self) -> np.ndarray:
        """The H x W x 3 uint8 image (decoded from `path` when not in memory)."""
        if self.pixels is not None:
            return self.pixels
        return decode_image(self.path, 3)

    def targets(self) -> BoxTargets:
        scale = np.array([self.width, self.height, self.width, self.height], dtype=np.float64)
        return BoxTargets(torch.from_numpy(self.boxes / scale).float(), self.labels, self.difficult)


def check_box(where: str, box: Sequence[float], width: int, height: int, tolerance: float = 1.0) -> None:
    """Raise DataError naming `where` unless 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    (within `tolerance` pixels: annotation tools round)."""
    x0, y0, x1, y1 = box
    t = tolerance
    if not (-t <= x0 < x1 <= width + t and -t <= y0 < y1 <= height + t):
        raise DataError(
            f"{where}: box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) is not inside the {width}x{height} image"
        )


def make_record(
    width: int,
    height: int,
    boxes: Sequence[Sequence[float]],
    labels: Sequence[int],
    difficult: Sequence[bool] | None = None,
    path: Path | None = None,
    pixels: np.ndarray | None = None,
) -> DetectionRecord:
    """A record with boxes clipped to the image (after check_box has allowed their rounding)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    b = np.clip(b, 0, [width, height, width, height])
    d = np.zeros(len(b), dtype=bool) if difficult is None else np.asarray(difficult, dtype=bool)
    return DetectionRecord(width, height, b, np.asarray(labels, dtype=np.int64), d, path, pixels)


BatchTransform = Callable[[np.ndarray, DetectionRecord, int], tuple[np.ndarray, BoxTargets]]


@dataclass
class DetectionBatch:
    """A batch's targets: one BoxTargets per image, and each image's original (H, W)."""

    targets: list[BoxTargets]
    sizes: list[tuple[int, int]]

    def __len__(self) -> int:
        return len(self.targets)

    def __iter__(self):
        return iter(self.targets)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> DetectionBatch:
        return DetectionBatch([t.to(device) for t in self.targets], self.sizes)


@dataclass
class DetectionSplit:
    """A list of records served as (normalised N x 3 x size x size, DetectionBatch) batches, each
    image resized to the square input as YOLO does ("we resize the input image to 448x448")."""

    records: list[DetectionRecord]
    size: int = 112
    cache: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.records)

    def subset(self, limit: int | None, seed: int = 0) -> DetectionSplit:
        """The first `limit` records (`seed` for the interface the trainer calls)."""
        return self if not limit or limit >= len(self) else DetectionSplit(self.records[:limit], self.size)

    def resized(self, size: int) -> DetectionSplit:
        return DetectionSplit(self.records, size)

    def resized_image(self, index: int) -> np.ndarray:
        """Image `index` at size x size (kept in memory for in-memory records)."""
        if index in self.cache:
            return self.cache[index]
        record = self.records[index]
        image = record.image()
        if image.shape[:2] != (self.size, self.size):
            image = np.asarray(Image.fromarray(image).resize((self.size, self.size), Image.BILINEAR))
        if record.pixels is not None:
            self.cache[index] = image
        return image

    def raw_batches(
        self,
        batch_size: int,
        generator: torch.Generator | None = None,
        augment: BatchTransform | None = None,
        rank: int = 0,
        world: int = 1,
    ):
        """uint8 (N x 3 x size x size, DetectionBatch) batches: shuffled when a generator is given,
        `augment(image, record, seed)` applied to each image with its boxes; rank r of `world` takes
        items r, r + world, ... of each global batch."""
        n = len(self.records)
        order = torch.randperm(n, generator=generator).tolist() if generator is not None else list(range(n))
        for start in range(0, n, batch_size):
            chunk = order[start : start + batch_size]
            seeds = (
                torch.randint(0, 2**31 - 1, (len(chunk),), generator=generator).tolist()
                if generator
                else chunk
            )
            images, targets, sizes = [], [], []
            for i, seed in list(zip(chunk, seeds, strict=True))[rank::world]:
                image, record = self.resized_image(i), self.records[i]
                if augment is not None:
                    image, t = augment(image, record, seed)
                else:
                    t = record.targets()
                images.append(torch.from_numpy(np.array(image, copy=True)).permute(2, 0, 1))
                targets.append(t)
                sizes.append((record.height, record.width))
            if images:
                yield torch.stack(images), DetectionBatch(targets, sizes)

    def batches(
        self,
        batch_size: int,
        mean: torch.Tensor,
        std: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        augment: BatchTransform | None = None,
        rank: int = 0,
        world: int = 1,
    ):
        """Normalised batches: what the trainer iterates (see raw_batches)."""
        for x, batch in self.raw_batches(batch_size, generator, augment, rank, world):
            yield normalize(x, mean, std), batch


@dataclass
class DetectionDataset:
    """Train and test splits of a detection dataset and its class names (the trainer's Dataset
    interface: `task`, `augment` preset, `image_size`, `resized`, `stats`)."""

    name: str
    classes: list[str]
    train: DetectionSplit
    test: DetectionSplit
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = (0.25, 0.25, 0.25)
    in_chans: int = 3
    augment: str = "yolo"
    task: str = "detection"
    # generated data is made again at the size asked for, not resized
    regenerate: Callable[[int], DetectionDataset] | None = field(default=None, repr=False)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_size(self) -> int | None:
        """Side of generated images; None for files (any size, resized when served)."""
        return self.train.size if self.regenerate is not None else None

    def resized(self, size: int) -> DetectionDataset:
        if self.regenerate is not None:
            return self.regenerate(size)
        return replace(self, train=self.train.resized(size), test=self.test.resized(size))

    def require_images(self, *splits: str) -> None:
        """Raise DataError when one of the named splits ("train", "test") holds no image."""
        for name in splits:
            if len(getattr(self, name)) == 0:
                raise DataError(f"{self.name}: the {name} split holds no image")

    def stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.tensor(self.mean), torch.tensor(self.std)


def split_records(records: list[DetectionRecord], test_fraction: float, seed: int) -> tuple[list, list]:
    """A seeded hold-out split (for datasets that come as one list)."""
    order = np.random.default_rng(seed).permutation(len(records))
    n_test = max(1, round(len(records) * test_fraction)) if len(records) > 1 else 0
    test = sorted(order[:n_test].tolist())
    train = sorted(order[n_test:].tolist())
    return [records[i] for i in train], [records[i] for i in test]
