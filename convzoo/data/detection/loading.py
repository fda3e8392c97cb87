"""load_detection: shapes-detect, a Pascal VOC directory, a COCO instances JSON or a YOLO-labels
directory, as a DetectionDataset."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from .coco import read_coco
from .records import DetectionDataset, DetectionSplit, split_records
from .shapes_detect import make_shapes_detect
from .voc import VOC_CLASSES, is_voc_dir, read_voc, voc_splits
from .yolo_txt import is_yolo_dir, read_yolo_labels

SHAPES_DETECT = "shapes-detect"
SHAPES_DETECT_SIZES = {"train": 512, "test": 128}


def shapes_detect(size: int, seed: int = 0) -> DetectionDataset:
    """shapes-detect at size x size: 512 training and 128 test images, each split from its own seed."""
    from ..shapes import SHAPE_CLASSES

    train = make_shapes_detect(SHAPES_DETECT_SIZES["train"], size, seed)
    test = make_shapes_detect(SHAPES_DETECT_SIZES["test"], size, seed + 1_000_003)
    return DetectionDataset(
        SHAPES_DETECT, list(SHAPE_CLASSES), DetectionSplit(train, size), DetectionSplit(test, size),
        regenerate=lambda s: shapes_detect(s, seed),
    )  # fmt: skip


def load_detection(
    data: str, seed: int = 0, image_size: int = 112, test_fraction: float = 0.1
) -> DetectionDataset:
    """`data` is "shapes-detect" (generated at image_size from `seed`), a VOC directory
    (Annotations/, JPEGImages/, ImageSets/Main/), a COCO instances_*.json (with a sibling
    instances_val*.json as its test split, else a seeded hold-out), or a YOLO directory
    (images/, labels/ with train and val splits)."""
    if data == SHAPES_DETECT:
        return shapes_detect(image_size, seed)
    path = Path(data)
    if path.suffix == ".json":
        records, classes = read_coco(path)
        val = sorted(path.parent.glob("instances_val*.json"))
        if val and val[0] != path:
            test, _ = read_coco(val[0])
            return DetectionDataset(str(path), classes, DetectionSplit(records), DetectionSplit(test))
        train, test = split_records(records, test_fraction, seed)
        return DetectionDataset(str(path), classes, DetectionSplit(train), DetectionSplit(test))
    if path.is_dir() and is_voc_dir(path):
        train_set, test_set = voc_splits(path)
        return DetectionDataset(
            str(path),
            list(VOC_CLASSES),
            DetectionSplit(read_voc(path, train_set)),
            DetectionSplit(read_voc(path, test_set)),
        )
    if path.is_dir() and is_yolo_dir(path):
        train, classes = read_yolo_labels(path, "train")
        test, _ = read_yolo_labels(path, "val")
        return DetectionDataset(str(path), classes, DetectionSplit(train), DetectionSplit(test))
    raise DataError(
        f"{data}: expected {SHAPES_DETECT!r}, a Pascal VOC directory (Annotations/, JPEGImages/, "
        "ImageSets/Main/), a COCO instances_*.json or a YOLO directory (images/, labels/)"
    )
