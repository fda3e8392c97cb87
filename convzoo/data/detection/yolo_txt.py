"""YOLO txt labels: images/<split>/*.jpg with labels/<split>/*.txt, one "class cx cy w h" line per
object (normalised), class names from classes.txt or data.yaml's `names`."""

from __future__ import annotations

from pathlib import Path

import yaml
from PIL import Image

from ..errors import DataError
from ..folder import IMAGE_SUFFIXES
from .records import DetectionRecord, check_box, make_record


def yolo_class_names(root: Path) -> list[str]:
    """Names from root/classes.txt (one a line) or root/data.yaml (`names`: a list or {id: name})."""
    if (root / "classes.txt").is_file():
        return [line.strip() for line in (root / "classes.txt").read_text().splitlines() if line.strip()]
    if (root / "data.yaml").is_file():
        try:
            names = yaml.safe_load((root / "data.yaml").read_text())["names"]
        except (yaml.YAMLError, KeyError, TypeError) as e:
            raise DataError(f"{root / 'data.yaml'}: expected a `names` list ({e})") from None
        return [str(names[k]) for k in sorted(names)] if isinstance(names, dict) else [str(n) for n in names]
    raise DataError(f"{root}: YOLO labels need classes.txt or data.yaml with `names`")


def is_yolo_dir(path: Path) -> bool:
    return (path / "images").is_dir() and (path / "labels").is_dir()


def read_yolo_labels(root: str | Path, split: str) -> tuple[list[DetectionRecord], list[str]]:
    """Records of images/<split>/ with labels/<split>/ (an image without a label file has no objects)."""
    root = Path(root)
    classes = yolo_class_names(root)
    image_dir, label_dir = root / "images" / split, root / "labels" / split
    if not image_dir.is_dir():
        raise DataError(f"{image_dir}: no such folder (expected images/{split}/ and labels/{split}/)")
    records = []
    for image in sorted(p for p in image_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        try:
            with Image.open(image) as im:
                width, height = im.size
        except OSError as e:
            raise DataError(f"{image}: unreadable image ({e})") from None
        label_file = label_dir / f"{image.stem}.txt"
        boxes, labels = [], []
        lines = label_file.read_text().splitlines() if label_file.is_file() else []
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{label_file}:{n}"
            try:
                c, cx, cy, w, h = line.split()
                c, cx, cy, w, h = int(c), float(cx), float(cy), float(w), float(h)
            except ValueError:
                raise DataError(f"{where}: expected 'class cx cy w h', got {line.strip()!r}") from None
            if not 0 <= c < len(classes):
                raise DataError(f"{where}: unknown class {c} (there are {len(classes)})")
            box = ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)
            check_box(where, box, width, height)
            boxes.append(box)
            labels.append(c)
        records.append(make_record(width, height, boxes, labels, path=image))
    return records, classes
