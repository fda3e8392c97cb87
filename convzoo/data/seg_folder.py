"""Segmentation datasets on disk: Pascal VOC's SegmentationClass and a plain images/ + masks/ folder.

Masks are index PNGs (mode L or P: the pixel value is the class; Pascal VOC's palette PNGs store
the class as the palette index) with 255 marking pixels to ignore. Every pair is checked as it is
read; a missing mask, a mask of another size than its image, an RGB mask or a label out of range
raises a DataError naming the file. Pairs are read into memory at size x size (images bilinear,
masks nearest-neighbour).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .errors import DataError
from .folder import IMAGE_SUFFIXES
from .segmentation import SegSplit

IGNORE_INDEX = 255
VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
    "tvmonitor",
)  # fmt: skip
DEFAULT_SIZE = 128


def is_voc(root: Path) -> bool:
    return (root / "SegmentationClass").is_dir() and (root / "JPEGImages").is_dir()


def is_mask_folder(root: Path) -> bool:
    """images/ + masks/ directly, or in train/ and val/."""
    return ((root / "images").is_dir() and (root / "masks").is_dir()) or (
        (root / "train" / "masks").is_dir() and (root / "val" / "masks").is_dir()
    )


def _open(path: Path) -> Image.Image:
    try:
        img = Image.open(path)
        img.load()
        return img
    except (UnidentifiedImageError, OSError) as e:
        raise DataError(f"{path}: not a readable image ({e})") from None


def read_pair(image_path: Path, mask_path: Path, num_classes: int | None, in_chans: int, size: int):
    """(image uint8 C x size x size, mask uint8 size x size) after checking the mask against its image."""
    if not mask_path.is_file():
        raise DataError(f"{image_path}: no mask {mask_path} for this image")
    image, mask = _open(image_path), _open(mask_path)
    if mask.mode not in ("L", "P", "I;16", "I"):
        raise DataError(
            f"{mask_path}: expected an index PNG (mode L or P, one class index per pixel), "
            f"got mode {mask.mode}"
        )
    if mask.size != image.size:
        raise DataError(
            f"{mask_path}: mask is {mask.size[0]}x{mask.size[1]} but its image {image_path.name} is "
            f"{image.size[0]}x{image.size[1]}"
        )
    labels = np.asarray(mask)
    if num_classes is not None:
        bad = (labels != IGNORE_INDEX) & (labels >= num_classes)
        if bad.any():
            raise DataError(
                f"{mask_path}: label {int(labels[bad].max())} out of range 0..{num_classes - 1} "
                f"({IGNORE_INDEX} = ignore)"
            )
    image = image.convert("L" if in_chans == 1 else "RGB").resize((size, size), Image.BILINEAR)
    mask_small = Image.fromarray(labels.astype(np.uint8)).resize((size, size), Image.NEAREST)
    array = np.asarray(image).reshape(size, size, -1)
    return torch.from_numpy(array.copy()).permute(2, 0, 1), torch.from_numpy(np.asarray(mask_small).copy())


def read_pairs(pairs: list[tuple[Path, Path]], num_classes: int | None, in_chans: int, size: int) -> SegSplit:
    if not pairs:
        raise DataError("no image/mask pairs found")
    read = [read_pair(i, m, num_classes, in_chans, size) for i, m in pairs]
    return SegSplit(torch.stack([r[0] for r in read]), torch.stack([r[1] for r in read]))


def _images_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


def _folder_pairs(root: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for image in _images_in(root / "images"):
        pairs.append((image, root / "masks" / f"{image.stem}.png"))
    if not pairs:
        raise DataError(f"{root / 'images'}: no images")
    return pairs


def _classes(root: Path, pairs: list[tuple[Path, Path]]) -> list[str]:
    """classes.txt (one name per line) when present, else 0..the largest label found."""
    listing = root / "classes.txt"
    if listing.is_file():
        return [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    top = 0
    for _, mask_path in pairs:
        if mask_path.is_file():
            labels = np.asarray(_open(mask_path))
            labels = labels[labels != IGNORE_INDEX]
            top = max(top, int(labels.max()) if labels.size else 0)
    return [str(i) for i in range(top + 1)]


def load_mask_folder(
    root: Path, in_chans: int = 3, size: int | None = None, seed: int = 0, val_fraction: float = 0.2
) -> tuple[SegSplit, SegSplit, list[str]]:
    """(train, val, classes) of an images/ + masks/ folder (train/ and val/ when present, else a
    seeded split)."""
    size = size or DEFAULT_SIZE
    if (root / "train" / "masks").is_dir():
        train_pairs, val_pairs = _folder_pairs(root / "train"), _folder_pairs(root / "val")
    else:
        pairs = _folder_pairs(root)
        random.Random(seed).shuffle(pairs)
        cut = max(1, round(len(pairs) * val_fraction)) if len(pairs) > 1 else 0
        val_pairs, train_pairs = pairs[:cut], pairs[cut:] or pairs
    classes = _classes(root, train_pairs + val_pairs)
    n = len(classes)
    return (
        read_pairs(train_pairs, n, in_chans, size),
        read_pairs(val_pairs or train_pairs, n, in_chans, size),
        classes,
    )


def load_voc(root: Path, in_chans: int = 3, size: int | None = None) -> tuple[SegSplit, SegSplit, list[str]]:
    """(train, val, classes) of a Pascal VOC folder (VOCdevkit/VOC2012), as listed in
    ImageSets/Segmentation/{train,val}.txt."""
    size = size or DEFAULT_SIZE
    splits = []
    for name in ("train", "val"):
        listing = root / "ImageSets" / "Segmentation" / f"{name}.txt"
        if not listing.is_file():
            raise DataError(
                f"{listing}: missing; a Pascal VOC folder lists its segmentation {name} images there"
            )
        ids = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
        pairs = [(root / "JPEGImages" / f"{i}.jpg", root / "SegmentationClass" / f"{i}.png") for i in ids]
        for image, _ in pairs:
            if not image.is_file():
                raise DataError(f"{listing}: lists {image.stem} but {image} is missing")
        splits.append(read_pairs(pairs, len(VOC_CLASSES), in_chans, size))
    return splits[0], splits[1], list(VOC_CLASSES)
