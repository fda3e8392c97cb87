"""Class-per-folder image directories: train/ and val/ sub-folders, or one folder split with a seed.

The scan only lists file names (ImageNet's 1.28 million files take seconds); images are decoded when
they are read, by `workers` processes feeding a bounded queue of batches, and a file that turns out
unreadable is skipped then, with its name logged once.
"""

from __future__ import annotations

import logging
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .errors import DataError, unwrap_worker_error
from .pipelines import Pipeline, build_pipeline, item_seed
from .subsets import stratified_indices
from .tensors import Batches, Plan, Split, normalize

log = logging.getLogger("convzoo.data")
# As torchvision's ImageFolder: GIFs (often placeholders, like hymenoptera's imageNotFound.gif) are skipped.
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
# Batches each decoding process keeps ready (DataLoader's prefetch_factor): the queue's bound.
PREFETCH_BATCHES = 2


MAX_PIXELS = 40_000_000  # the largest image decoded (8000 x 5000): a decoded 40 M-pixel RGB is 120 MB


def _as_uint8(img: Image.Image) -> Image.Image:
    """8-bit pixels from any mode, scaled, never clipped: 16-bit integers by 255/65535, floats in
    [0, 1] by 255 (other float ranges by their own min..max); palette, alpha and CMYK as PIL converts."""
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        if img.mode == "F":
            low, high = (
                (0.0, 1.0) if values.min() >= 0 and values.max() <= 1 else (values.min(), values.max())
            )
        elif img.mode == "I" and (values.min() < 0 or values.max() > 65535):
            low, high = values.min(), values.max()
        else:
            low, high = 0.0, 65535.0
        scaled = (values - low) * (255.0 / max(high - low, 1e-12))
        return Image.fromarray(np.nan_to_num(scaled).clip(0, 255).round().astype(np.uint8), "L")
    return img


def decode_image(path: str | Path, in_chans: int) -> np.ndarray:
    """The image file as H x W x in_chans uint8 (grey for 1 channel, else RGB).

    The one place image files are decoded (folders, predict); 16-bit and float images are scaled to
    8 bits (not clipped). Raises DataError naming the file when it is missing, not a readable image,
    or larger than MAX_PIXELS (checked before decoding, from the header).
    """
    try:
        with Image.open(path) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise DataError(
                    f"{path}: {width}x{height} image ({width * height:,} pixels) is over the "
                    f"{MAX_PIXELS:,}-pixel bound; resize it first"
                )
            image = np.asarray(_as_uint8(img).convert("L" if in_chans == 1 else "RGB"))
    except (FileNotFoundError, IsADirectoryError):
        raise DataError(f"{path}: no such image file") from None
    except Image.DecompressionBombError as e:
        raise DataError(f"{path}: {e}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, MemoryError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"{path}: unreadable or truncated image ({e})") from None
    return image[..., None] if image.ndim == 2 else image


def list_images(folder: Path) -> list[Path]:
    """Image files under folder (recursively, sorted), by suffix only; other files are logged."""
    found = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                found.append(Path(parent, name))
            else:
                log.warning(
                    "skipping %s: not a supported image file (%s)",
                    Path(parent, name),
                    ", ".join(sorted(IMAGE_SUFFIXES)),
                )
    return sorted(found)


def scan_classes(root: Path) -> tuple[list[tuple[Path, int]], list[str]]:
    """(path, label) for every image file under root/<class>/, with the sorted class names.

    Nothing is decoded here (see decode_image: unreadable files are skipped when read); a class
    folder with no image file is an error.
    """
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected one sub-folder of images per class)")
    classes = sorted(d.name for d in os.scandir(root) if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataError(f"{root}: no class folders; expected one sub-folder of images per class")
    samples = []
    for label, name in enumerate(classes):
        paths = list_images(root / name)
        if not paths:
            raise DataError(
                f"{root / name}: class folder holds no image file ({', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        samples += [(path, label) for path in paths]
    return samples, classes


def collate_readable(
    items: list[tuple[torch.Tensor | None, int, str]],
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """(images, labels, unreadable paths) of a batch: the unreadable files' items left out."""
    good = [(x, y) for x, y, _ in items if x is not None]
    bad = [path for x, _, path in items if x is None]
    if not good:
        return torch.empty(0), torch.empty(0, dtype=torch.long), bad
    return torch.stack([x for x, _ in good]), torch.tensor([y for _, y in good]), bad


@dataclass
class FolderSplit(Split, torch.utils.data.Dataset):
    """Images read from files on demand through a per-image pipeline, at image_size x image_size."""

    samples: list[tuple[Path, int]]
    in_chans: int = 3
    image_size: int = 224
    train: bool = False
    workers: int = 0
    pipeline: Pipeline | None = field(default=None, repr=False)
    skipped: set[str] = field(default_factory=set, repr=False)  # unreadable files found so far
    augment_seed: int | None = None  # set by a seeded batches(): each image's pipeline draws follow it
    resize: int | None = None  # evaluation: shorter side before the centre crop (None: size * 8/7)
    interpolation: str = "bilinear"

    def with_preprocessing(self, resize: int | None, interpolation: str) -> FolderSplit:
        """The split resizing as a library release did (convzoo.preprocessing.DataConfig)."""
        pipeline = build_pipeline(self.image_size, self.train, resize, interpolation)
        return replace(self, resize=resize, interpolation=interpolation, pipeline=pipeline)

    def __len__(self) -> int:
        return len(self.samples)

    def subset(self, count: int | None, seed: int = 0) -> FolderSplit:
        """`count` images drawn with `seed`, each class in its share of the split (all when None):
        sorted folders put whole classes first, so the first `count` files would be one class."""
        if count is None:
            return self
        chosen = stratified_indices([label for _, label in self.samples], count, seed)
        return replace(self, samples=[self.samples[i] for i in chosen])

    def resized(self, size: int) -> FolderSplit:
        """The split producing size x size images."""
        pipeline = build_pipeline(size, self.train, self.resize, self.interpolation)
        return replace(self, image_size=size, pipeline=pipeline)

    def __getitem__(self, index: int) -> tuple[torch.Tensor | None, int, str]:
        """(C x H x W uint8 image, label, path); the image is None when the file is unreadable."""
        path, label = self.samples[index]
        try:
            image = decode_image(path, self.in_chans)
        except DataError:
            return None, label, str(path)
        pipeline = self.pipeline or build_pipeline(
            self.image_size, self.train, self.resize, self.interpolation
        )
        if self.augment_seed is None:
            out = pipeline(image)
        else:
            out = pipeline(image, seed=item_seed(self.augment_seed, index))
        return torch.from_numpy(np.ascontiguousarray(out)).permute(2, 0, 1), label, str(path)

    def batches(self, batch_size: int, mean: torch.Tensor, std: torch.Tensor, **options) -> Batches:
        """As Split.batches; the per-image pipeline's own randomness follows the run's generator."""
        generator = options.get("generator")
        if generator is not None:
            seed = int(torch.randint(0, 2**31, (1,), generator=generator))
            random.seed(seed)
            np.random.seed(seed)
            self.augment_seed = seed
        return super().batches(batch_size, mean, std, **{**options, "augment": None})

    def serve(self, plan: Plan, mean: torch.Tensor, std: torch.Tensor, augment: object = None) -> Batches:
        """Normalised (x, y) batches decoded by `workers` processes, at most PREFETCH_BATCHES per
        process waiting; an unreadable file is logged the first time and its item left out."""
        chunks = [idx.tolist() for idx, _ in plan]
        parallel = {"prefetch_factor": PREFETCH_BATCHES, "persistent_workers": False} if self.workers else {}
        loader = torch.utils.data.DataLoader(
            self, batch_sampler=chunks, num_workers=self.workers, collate_fn=collate_readable, **parallel
        )
        try:
            for images, labels, bad in loader:
                for path in bad:
                    if path not in self.skipped:
                        self.skipped.add(path)
                        log.warning("skipping %s: unreadable or truncated image", path)
                if len(labels):
                    yield normalize(images, mean, std), labels
        except Exception as e:  # a worker's error carries its whole traceback: keep the original line
            unwrapped = unwrap_worker_error(e)
            if unwrapped is e:
                raise
            raise unwrapped from None


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
        by_class: dict[int, list[tuple[Path, int]]] = defaultdict(list)
        for sample in samples:
            by_class[sample[1]].append(sample)
        rng = random.Random(seed)
        train, val = [], []
        for label in range(len(classes)):
            items = by_class[label]
            rng.shuffle(items)
            cut = max(1, round(len(items) * val_fraction)) if len(items) > 1 else 0
            val += items[:cut]
            train += items[cut:]
    return FolderSplit(train, in_chans, train=True), FolderSplit(val, in_chans), classes
