"""Pascal VOC: JPEGImages/, Annotations/*.xml, ImageSets/Main/<split>.txt, with `difficult` flags."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from ..errors import DataError
from .records import DetectionRecord, check_box, make_record

VOC_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
    "tvmonitor",
)  # fmt: skip


def is_voc_dir(path: Path) -> bool:
    return (path / "Annotations").is_dir() and (path / "JPEGImages").is_dir()


def voc_split_ids(root: Path, split: str) -> list[str]:
    """The image ids of ImageSets/Main/<split>.txt."""
    listing = root / "ImageSets" / "Main" / f"{split}.txt"
    if not listing.is_file():
        raise DataError(f"{listing}: no such image set (expected ImageSets/Main/{split}.txt)")
    return [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]


def _text(node: ET.Element, tag: str, where: Path) -> str:
    found = node.find(tag)
    if found is None or found.text is None:
        raise DataError(f"{where}: missing <{tag}>")
    return found.text.strip()


def read_voc_annotation(xml_path: Path, image_dir: Path, classes: Sequence[str]) -> DetectionRecord:
    """One Annotations/*.xml: size, objects (name, difficult, bndbox). VOC's 1-based inclusive pixel
    boxes become continuous (xmin - 1, ymin - 1, xmax, ymax)."""
    try:
        root = ET.parse(xml_path).getroot()
    except FileNotFoundError:
        raise DataError(f"{xml_path}: no such annotation file") from None
    except ET.ParseError as e:
        raise DataError(f"{xml_path}: malformed XML ({e})") from None
    try:
        size = root.find("size")
        if size is None:
            raise DataError(f"{xml_path}: missing <size>")
        width, height = int(_text(size, "width", xml_path)), int(_text(size, "height", xml_path))
        image = image_dir / _text(root, "filename", xml_path)
        boxes, labels, difficult = [], [], []
        for obj in root.iter("object"):
            name = _text(obj, "name", xml_path)
            if name not in classes:
                raise DataError(f"{xml_path}: unknown class {name!r} (expected one of {', '.join(classes)})")
            bb = obj.find("bndbox")
            if bb is None:
                raise DataError(f"{xml_path}: object {name!r} has no <bndbox>")
            x0, y0, x1, y1 = (float(_text(bb, k, xml_path)) for k in ("xmin", "ymin", "xmax", "ymax"))
            box = (x0 - 1, y0 - 1, x1, y1)
            check_box(str(xml_path), box, width, height)
            flag = obj.find("difficult")
            boxes.append(box)
            labels.append(classes.index(name))
            difficult.append(flag is not None and (flag.text or "0").strip() == "1")
    except ValueError as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"{xml_path}: not a number where VOC expects one ({e})") from None
    if not image.is_file():
        raise DataError(f"{xml_path}: its image {image} does not exist")
    return make_record(width, height, boxes, labels, difficult, path=image)


def read_voc(root: str | Path, split: str, classes: Sequence[str] = VOC_CLASSES) -> list[DetectionRecord]:
    """The records of one image set of a VOC directory (VOCdevkit/VOC2007 and the like)."""
    root = Path(root)
    return [
        read_voc_annotation(root / "Annotations" / f"{i}.xml", root / "JPEGImages", classes)
        for i in voc_split_ids(root, split)
    ]


def voc_splits(root: Path) -> tuple[str, str]:
    """(train, test) image sets present: trainval/test (VOC 2007), else train/val."""
    main = root / "ImageSets" / "Main"
    for train, test in (("trainval", "test"), ("train", "val")):
        if (main / f"{train}.txt").is_file() and (main / f"{test}.txt").is_file():
            return train, test
    raise DataError(f"{main}: expected trainval.txt and test.txt, or train.txt and val.txt")
