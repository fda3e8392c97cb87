"""Class-per-folder image directories: train/ and val/ sub-folders, or one folder split with a seed."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .errors import DataError
from .pipelines import Pipeline, build_pipeline
from .tensors import Batches, Plan, Split, normalize

log = logging.getLogger("convzoo.data")
# As torchvision's ImageFolder: GIFs (often placeholders, like hymenoptera's imageNotFound.gif) are skipped.
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


def readable_image(path: Path) -> bool:
    """Decode the image (at reduced size where the format allows) to catch unreadable or truncated files."""
    try:
        with Image.open(path) as img:
            img.draft("RGB", (64, 64))
            img.load()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        log.warning("skipping %s: unreadable or truncated image (%s)", path, e)
        return False


def scan_classes(root: Path) -> tuple[list[tuple[Path, int]], list[str]]:
    """(path, label) for every readable image under root/<class>/, with the sorted class names.

    Non-image and unreadable files are skipped with a logged warning naming them; a class folder
    left with no image is an error.
    """
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected one sub-folder of images per class)")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataError(f"{root}: no class folders; expected one sub-folder of images per class")
    samples = []
    for label, name in enumerate(classes):
        found = 0
        for path in sorted(p for p in (root / name).rglob("*") if p.is_file() and not p.name.startswith(".")):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                log.warning(
                    "skipping %s: not a supported image file (%s)", path, ", ".join(sorted(IMAGE_SUFFIXES))
                )
            elif readable_image(path):
                samples.append((path, label))
                found += 1
        if not found:
            raise DataError(f"{root / name}: class folder holds no readable image")
    return samples, classes


@dataclass
class FolderSplit(Split, torch.utils.data.Dataset):
    """Images read from files on demand through a per-image pipeline, at image_size x image_size."""

    samples: list[tuple[Path, int]]
    in_chans: int = 3
    image_size: int = 224
    train: bool = False
    workers: int = 0
    pipeline: Pipeline | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.samples)

    def subset(self, count: int | None) -> FolderSplit:
        """The first `count` images (all when None)."""
        return self if count is None else replace(self, samples=self.samples[:count])

    def resized(self, size: int) -> FolderSplit:
        """The split producing size x size images."""
        return replace(self, image_size=size, pipeline=build_pipeline(size, self.train))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        try:
            with Image.open(path) as img:
                image = np.asarray(img.convert("L" if self.in_chans == 1 else "RGB"))
        except (OSError, ValueError) as e:
            raise DataError(f"{path}: unreadable image ({e})") from None
        if image.ndim == 2:
            image = image[..., None]
        pipeline = self.pipeline or build_pipeline(self.image_size, self.train)
        out = pipeline(image)
        return torch.from_numpy(np.ascontiguousarray(out)).permute(2, 0, 1), label

    def batches(self, batch_size: int, mean: torch.Tensor, std: torch.Tensor, **options) -> Batches:
        """As Split.batches; the per-image pipeline's own randomness follows the run's generator."""
        generator = options.get("generator")
        if generator is not None:
            seed = int(torch.randint(0, 2**31, (1,), generator=generator))
            random.seed(seed)
            np.random.seed(seed)
        return super().batches(batch_size, mean, std, **{**options, "augment": None})

    def serve(self, plan: Plan, mean: torch.Tensor, std: torch.Tensor, augment: object = None) -> Batches:
        """Normalised (x, y) batches decoded by `workers` processes (augmented by the pipeline)."""
        chunks = [idx.tolist() for idx, _ in plan]
        loader = torch.utils.data.DataLoader(self, batch_sampler=chunks, num_workers=self.workers)
        for images, labels in loader:
            yield normalize(images, mean, std), labels


def split_folder(
    root: Path, in_chans: int = 3, val_fraction: float = 0.2, seed: int = 0
) -> tuple[FolderSplit, FolderSplit, list[str]]:
    """(train, val, classes): root/train and root/val when present, else a seeded per-class split of root."""
    if (root / "train").is_dir() and (root / "val").is_dir():
        train, classes = scan_classes(root / "train")
        val, val_classes = scan_classes(root / "val")
        if val_classes != classes:
            raise DataError(f"{root}: train/ has classes {classes} but val/ has {val_classes}")
    else:
        samples, classes = scan_classes(root)
        rng = random.Random(seed)
        train, val = [], []
        for label in range(len(classes)):
            items = [s for s in samples if s[1] == label]
            rng.shuffle(items)
            cut = max(1, round(len(items) * val_fraction)) if len(items) > 1 else 0
            val += items[:cut]
            train += items[cut:]
    return FolderSplit(train, in_chans, train=True), FolderSplit(val, in_chans), classes
