"""COCO instances JSON (instances_*.json): images, annotations (bbox x, y, w, h), categories."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import DataError
from .records import DetectionRecord, check_box, make_record


def coco_image_dir(json_path: Path) -> Path:
    """Where COCO keeps the images of annotations/instances_<split>.json: <root>/<split>/, else
    the JSON's own folder."""
    split = json_path.stem.removeprefix("instances_")
    for candidate in (json_path.parent.parent / split, json_path.parent / split, json_path.parent / "images"):
        if candidate.is_dir():
            return candidate
    return json_path.parent


def read_coco(
    json_path: str | Path, image_dir: str | Path | None = None
) -> tuple[list[DetectionRecord], list[str]]:
    """Records and class names (categories by id). Crowd annotations are kept as `difficult`:
    ignored by the metrics, as COCOeval ignores crowds."""
    json_path = Path(json_path)
    try:
        data = json.loads(json_path.read_text())
    except FileNotFoundError:
        raise DataError(f"{json_path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{json_path}: malformed JSON ({e})") from None
    folder = Path(image_dir) if image_dir else coco_image_dir(json_path)
    try:
        categories = sorted(data["categories"], key=lambda c: c["id"])
        label_of = {c["id"]: i for i, c in enumerate(categories)}
        objects: dict[int, list[dict]] = {}
        for ann in data["annotations"]:
            objects.setdefault(ann["image_id"], []).append(ann)
        records = []
        for im in data["images"]:
            width, height = int(im["width"]), int(im["height"])
            boxes, labels, crowd = [], [], []
            for ann in objects.pop(im["id"], []):
                if ann["category_id"] not in label_of:
                    raise DataError(
                        f"{json_path}: annotation {ann.get('id')} has an unknown category_id "
                        f"{ann['category_id']}"
                    )
                x, y, w, h = (float(v) for v in ann["bbox"])
                box = (x, y, x + w, y + h)
                check_box(f"{json_path}: annotation {ann.get('id')}", box, width, height)
                boxes.append(box)
                labels.append(label_of[ann["category_id"]])
                crowd.append(bool(ann.get("iscrowd", 0)))
            path = folder / im["file_name"]
            if not path.is_file():
                raise DataError(f"{json_path}: image {im['file_name']} not found in {folder}")
            records.append(make_record(width, height, boxes, labels, crowd, path=path))
        if objects:
            raise DataError(
                f"{json_path}: annotations refer to image ids not in 'images': {sorted(objects)[:5]}"
            )
        names = [str(c["name"]) for c in categories]
    except KeyError as e:
        raise DataError(f"{json_path}: missing key {e} (expected COCO instances format)") from None
    except (TypeError, ValueError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"{json_path}: not COCO instances format ({e})") from None
    return records, names
