"""load_dataset: a named dataset or an image folder, as train and test splits with classes and statistics."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch

from .catalog import DATASETS, FOLDER_MEAN, FOLDER_STD, IDX_FILES, DatasetSpec, default_data_dir
from .cifar import load_cifar
from .errors import DataError
from .folder import FolderSplit, split_folder
from .idx import IMAGES_MAGIC, LABELS_MAGIC, check_md5, read_idx
from .segmentation import SegSplit
from .shapes import make_shapes
from .shapes_seg import make_shapes_seg
from .tensors import ArraySplit

Split = ArraySplit | FolderSplit | SegSplit
SHAPES_SEG_SIZES = (400, 100, 64)  # train images, test images, side


@dataclass
class Dataset:
    """Train and test splits of one dataset, with its class names and normalisation statistics."""

    name: str
    classes: list[str]
    train: Split
    test: Split
    mean: tuple[float, ...]
    std: tuple[float, ...]
    augment: str = "none"  # batched augmentation preset for in-memory training data
    in_chans: int = 1
    task: str = "classification"  # or "segmentation": the splits hold masks (SegSplit)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_size(self) -> int | None:
        """Native size of in-memory images (None for image folders, read at any size)."""
        return self.train.image_size if isinstance(self.train, (ArraySplit, SegSplit)) else None

    def resized(self, size: int) -> Dataset:
        """Both splits at size x size (zero-padding a few pixels, else resizing)."""
        return replace(self, train=self.train.resized(size), test=self.test.resized(size))

    def require_images(self, *splits: str) -> None:
        """Raise DataError when one of the named splits ("train", "test") holds no image."""
        for name in splits:
            if len(getattr(self, name)) == 0:
                hint = (
                    " (an image folder needs 2 or more images per class to set a test split aside, "
                    "or train/ and val/ sub-folders)"
                    if isinstance(self.train, FolderSplit)
                    else ""
                )
                raise DataError(f"{self.name}: the {name} split holds no image{hint}")

    def stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std) as tensors for normalisation."""
        return torch.tensor(self.mean), torch.tensor(self.std)


def _load_idx(spec: DatasetSpec, root: Path, verify: bool) -> tuple[ArraySplit, ArraySplit]:
    paths = [root / f for f in IDX_FILES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise DataError(
            f"{spec.name}: {', '.join(missing)} not found in {root}; pass --data-dir pointing at the folder "
            f"with the four IDX files ({', '.join(IDX_FILES)}), or --download"
        )
    if verify:
        for path in paths:
            check_md5(path, spec.files.get(path.name))
    splits = []
    for images_path, labels_path in (paths[:2], paths[2:]):
        images = read_idx(images_path, IMAGES_MAGIC)
        labels = read_idx(labels_path, LABELS_MAGIC, count=len(images))
        split = ArraySplit(
            torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype("int64"))
        )
        split.check_labels(len(spec.classes), str(labels_path))
        splits.append(split)
    return splits[0], splits[1]


def load_dataset(
    name: str,
    data_dir: str | Path | None = None,
    *,
    download: bool = False,
    verify: bool = True,
    seed: int = 0,
    in_chans: int = 3,
    image_size: int | None = None,
    task: str = "classification",
) -> Dataset:
    """A dataset by name (see DATASETS) or by the path of a class-per-folder image directory.

    `data_dir` is the folder with the dataset's original files (default: $CONVZOO_HOME/datasets/NAME;
    mnist-mini ships with convzoo). `download` fetches missing files first; `verify` checks published
    checksums. Image folders are read as `in_chans` channels and split with `seed` when they have no
    train/ and val/ sub-folders. Segmentation folders (Pascal VOC, images/ + masks/) are read at
    image_size (default 128). `task="detection"` reads detection data (convzoo.data.detection).
    """
    if task == "detection":  # shapes-detect, a VOC directory, a COCO JSON or YOLO labels
        from .detection import load_detection

        return load_detection(str(data_dir or name), seed=seed, image_size=image_size or 112)
    spec = DATASETS.get(name)
    if spec is None:
        path = Path(data_dir or name)
        segmentation = _segmentation_folder(path, in_chans, image_size, seed)
        if segmentation is not None:
            return segmentation
        if path.is_dir():
            train, test, classes = split_folder(path, in_chans=in_chans, seed=seed)
            mean, std = (FOLDER_MEAN, FOLDER_STD) if in_chans == 3 else ((0.5,), (0.25,))
            return Dataset(path.name, classes, train, test, mean, std, "none", in_chans)
        raise DataError(
            f"unknown dataset {name!r}: expected one of {', '.join(DATASETS)} or the path of a folder "
            "with one sub-folder of images per class"
        )
    if spec.kind == "shapes-seg":
        n_train, n_test, side = SHAPES_SEG_SIZES
        splits = [make_shapes_seg(n, side, seed=seed + k) for k, n in enumerate((n_train, n_test))]
        train, test = (SegSplit(s.images, s.masks, s.instances) for s in splits)
        return Dataset(
            name, list(spec.classes), train, test, spec.mean, spec.std, spec.augment, 3, "segmentation"
        )
    if spec.kind == "shapes":
        train_shapes, test_shapes = make_shapes(2000, 32, seed=seed), make_shapes(500, 32, seed=seed + 1)
        train = ArraySplit(train_shapes.images, train_shapes.labels)
        test = ArraySplit(test_shapes.images, test_shapes.labels)
        return Dataset(name, list(spec.classes), train, test, spec.mean, spec.std, spec.augment, 3)
    root = Path(data_dir) if data_dir else default_data_dir(name)
    if download:
        from .download import fetch_dataset

        fetch_dataset(spec, root)
    if spec.kind == "idx":
        train, test = _load_idx(spec, root, verify)
        classes = list(spec.classes)
    else:
        train, test, classes = load_cifar(name, root)
    return Dataset(name, classes, train, test, spec.mean, spec.std, spec.augment, train.images.shape[1])


def _segmentation_folder(path: Path, in_chans: int, size: int | None, seed: int) -> Dataset | None:
    """A Pascal VOC or images/ + masks/ folder as a segmentation Dataset; None for other paths."""
    from .seg_folder import is_mask_folder, is_voc, load_mask_folder, load_voc

    if not path.is_dir():
        return None
    if is_voc(path):
        train, test, classes = load_voc(path, in_chans, size)
    elif is_mask_folder(path):
        train, test, classes = load_mask_folder(path, in_chans, size, seed)
    else:
        return None
    mean, std = (FOLDER_MEAN, FOLDER_STD) if in_chans == 3 else ((0.5,), (0.25,))
    return Dataset(path.name, classes, train, test, mean, std, "elastic", in_chans, "segmentation")
