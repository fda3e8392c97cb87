"""Detection data: VOC, COCO and YOLO-txt readers on small files written here, their one-line errors,
generated shapes-detect, and the paper's augmentation with boxes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from convzoo.data import DataError
from convzoo.data.detection import (
    YoloAugment,
    load_detection,
    make_shapes_detect,
    read_coco,
    read_voc,
    read_yolo_labels,
)
from convzoo.data.detection.records import DetectionSplit, make_record


def write_image(path: Path, width: int = 64, height: int = 48) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((height, width, 3), dtype=np.uint8)).save(path)


def voc_xml(filename: str, objects: list[tuple[str, int, tuple[int, int, int, int]]], size=(64, 48)) -> str:
    objs = "".join(
        f"<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
        f"<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for n, d, b in objects
    )
    return (
        f"<annotation><filename>{filename}</filename><size><width>{size[0]}</width>"
        f"<height>{size[1]}</height><depth>3</depth></size>{objs}</annotation>"
    )


def make_voc(root: Path, objects=None) -> Path:
    objects = objects or [("dog", 0, (1, 1, 20, 30)), ("person", 1, (30, 10, 64, 48))]
    for image_id in ("000001", "000002"):
        write_image(root / "JPEGImages" / f"{image_id}.jpg")
        (root / "Annotations").mkdir(parents=True, exist_ok=True)
        (root / "Annotations" / f"{image_id}.xml").write_text(voc_xml(f"{image_id}.jpg", objects))
    (root / "ImageSets" / "Main").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets" / "Main" / "trainval.txt").write_text("000001\n")
    (root / "ImageSets" / "Main" / "test.txt").write_text("000002\n")
    return root


def test_voc_reader_gives_continuous_boxes_classes_and_difficult_flags(tmp_path):
    (record,) = read_voc(make_voc(tmp_path), "trainval")
    assert (record.width, record.height) == (64, 48)
    assert record.boxes.tolist() == [[0, 0, 20, 30], [29, 9, 64, 48]]  # 1-based inclusive -> continuous
    assert record.labels.tolist() == [11, 14]  # dog, person among the 20 VOC classes
    assert record.difficult.tolist() == [False, True]
    ds = load_detection(str(tmp_path))
    assert (len(ds.train), len(ds.test), ds.num_classes) == (1, 1, 20)
    assert ds.test.records[0].targets().difficult.tolist() == [False, True]


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([("dog", 0, (1, 1, 90, 30))], r"000001\.xml: box .* not inside the 64x48 image"),
        ([("unicorn", 0, (1, 1, 20, 30))], r"000001\.xml: unknown class 'unicorn'"),
    ],
)
def test_voc_bad_objects_name_the_file(tmp_path, objects, message):
    make_voc(tmp_path, objects)
    with pytest.raises(DataError, match=message) as e:
        read_voc(tmp_path, "trainval")
    assert "\n" not in str(e.value)


def test_voc_malformed_xml_and_missing_image_name_the_file(tmp_path):
    make_voc(tmp_path)
    (tmp_path / "JPEGImages" / "000002.jpg").unlink()
    with pytest.raises(DataError, match=r"000002\.xml: its image .*000002\.jpg does not exist"):
        read_voc(tmp_path, "test")
    (tmp_path / "Annotations" / "000001.xml").write_text("<annotation><size>")
    with pytest.raises(DataError, match=r"000001\.xml: malformed XML"):
        read_voc(tmp_path, "trainval")


def coco_json(tmp_path: Path, annotations=None, images=None) -> Path:
    write_image(tmp_path / "val2017" / "a.jpg")
    data = {
        "images": images or [{"id": 7, "file_name": "a.jpg", "width": 64, "height": 48}],
        "annotations": annotations
        or [
            {"id": 1, "image_id": 7, "category_id": 18, "bbox": [2, 3, 10, 20], "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 1, "bbox": [30, 0, 34, 48], "iscrowd": 1},
        ],
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
    }
    path = tmp_path / "annotations" / "instances_val2017.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_coco_reader_maps_categories_by_id_and_crowds_to_difficult(tmp_path):
    (record,), classes = read_coco(coco_json(tmp_path))
    assert classes == ["person", "dog"]
    assert record.path == tmp_path / "val2017" / "a.jpg"
    assert record.boxes.tolist() == [[2, 3, 12, 23], [30, 0, 64, 48]]
    assert record.labels.tolist() == [1, 0]
    assert record.difficult.tolist() == [False, True]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"annotations": [{"id": 1, "image_id": 7, "category_id": 5, "bbox": [0, 0, 1, 1]}]},
            "unknown category_id 5",
        ),
        (
            {"annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [60, 0, 10, 10]}]},
            "not inside",
        ),
        ({"images": [{"id": 7, "file_name": "b.jpg", "width": 64, "height": 48}]}, "image b.jpg not found"),
        ({"annotations": [{"id": 1, "image_id": 7, "category_id": 1}]}, "missing key 'bbox'"),
    ],
)
def test_coco_bad_annotations_name_the_file(tmp_path, change, message):
    path = coco_json(tmp_path, **change)
    with pytest.raises(DataError, match=message) as e:
        read_coco(path)
    assert str(e.value).startswith(str(path)) and "\n" not in str(e.value)


def test_coco_malformed_json_names_the_file(tmp_path):
    path = tmp_path / "instances_x.json"
    path.write_text("{not json")
    with pytest.raises(DataError, match=r"instances_x\.json: malformed JSON"):
        read_coco(path)


def test_yolo_txt_labels_are_read_and_checked(tmp_path):
    (tmp_path / "classes.txt").write_text("cat\ndog\n")
    write_image(tmp_path / "images" / "train" / "a.png")
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "a.txt").write_text("1 0.5 0.5 0.25 0.5\n")
    (record,), classes = read_yolo_labels(tmp_path, "train")
    assert classes == ["cat", "dog"]
    assert record.boxes.tolist() == [[24, 12, 40, 36]] and record.labels.tolist() == [1]
    (tmp_path / "labels" / "train" / "a.txt").write_text("2 0.5 0.5 0.25 0.5\n")
    with pytest.raises(DataError, match=r"a\.txt:1: unknown class 2"):
        read_yolo_labels(tmp_path, "train")
    (tmp_path / "labels" / "train" / "a.txt").write_text("1 0.5 0.5\n")
    with pytest.raises(DataError, match=r"a\.txt:1: expected 'class cx cy w h'"):
        read_yolo_labels(tmp_path, "train")


def test_unknown_data_says_what_is_expected(tmp_path):
    with pytest.raises(DataError, match="Pascal VOC directory"):
        load_detection(str(tmp_path))


def test_shapes_detect_is_seeded_and_its_boxes_hold_the_shapes():
    a, b = make_shapes_detect(6, 64, seed=3), make_shapes_detect(6, 64, seed=3)
    assert all(
        np.array_equal(x.pixels, y.pixels) and np.array_equal(x.boxes, y.boxes)
        for x, y in zip(a, b, strict=True)
    )
    assert not np.array_equal(a[0].pixels, make_shapes_detect(1, 64, seed=4)[0].pixels)
    assert make_shapes_detect(1, 448)[0].pixels.shape == (448, 448, 3)
    for r in a:
        assert 1 <= len(r.boxes) <= 3
        bright = r.pixels.max(-1) >= 128  # shapes are bright, the noise is dark
        covered = np.zeros_like(bright)
        for x0, y0, x1, y1 in r.boxes.astype(int):
            covered[y0:y1, x0:x1] = True
        assert bright.any() and not (bright & ~covered).any()


def square_record(size: int = 64):
    pixels = np.zeros((size, size, 3), dtype=np.uint8)
    pixels[16:32, 20:44] = (200, 80, 40)
    return make_record(size, size, [[20, 16, 44, 32]], [0], pixels=pixels)


def test_augmentation_moves_boxes_with_the_image_and_is_seeded():
    record = square_record()
    augment = YoloAugment()
    image, t = augment(record.pixels, record, seed=5)
    again, t2 = augment(record.pixels, record, seed=5)
    assert np.array_equal(image, again) and torch.equal(t.boxes, t2.boxes)
    other, _ = augment(record.pixels, record, seed=6)
    assert not np.array_equal(image, other)
    ys, xs = np.nonzero(image.max(-1) > 20)
    x0, y0, x1, y1 = (t.boxes[0] * 64).tolist()
    assert abs(xs.min() - x0) <= 1.5 and abs(xs.max() + 1 - x1) <= 1.5
    assert abs(ys.min() - y0) <= 1.5 and abs(ys.max() + 1 - y1) <= 1.5
    w, h = x1 - x0, y1 - y0
    assert 24 * 0.8 - 1 <= w <= 24 * 1.2 + 1 and 16 * 0.8 - 1 <= h <= 16 * 1.2 + 1  # scaled by up to 20%


def test_exposure_and_saturation_change_by_at_most_a_factor_of_1_5():
    record = square_record()
    augment = YoloAugment(scale=0.0, translate=0.0)
    import cv2

    v0 = cv2.cvtColor(record.pixels, cv2.COLOR_RGB2HSV)[24, 30].astype(float)
    ratios = []
    for seed in range(20):
        image, t = augment(record.pixels, record, seed)
        assert t.boxes[0].mul(64).tolist() == pytest.approx([20, 16, 44, 32], abs=1e-3)
        v = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[24, 30].astype(float)
        ratios.append(v[1:] / v0[1:])
    ratios = np.array(ratios)
    assert ratios.min() >= 1 / 1.5 - 0.03 and ratios.max() <= 1.5 + 0.03
    assert ratios.max() > 1.2 and ratios.min() < 0.85  # both directions are drawn


def test_shards_of_a_global_batch_are_what_one_process_sees():
    split = DetectionSplit(make_shapes_detect(5, 32, seed=1), size=32)
    whole = [b for _, b in split.raw_batches(4, torch.Generator().manual_seed(0))]
    parts = [
        [b for _, b in split.raw_batches(4, torch.Generator().manual_seed(0), rank=r, world=2)]
        for r in (0, 1)
    ]
    for k, batch in enumerate(whole):
        shards = [parts[0][k], *(parts[1][k : k + 1])]
        merged = [t.boxes.tolist() for pair in zip(*(s.targets for s in shards), strict=False) for t in pair]
        assert sorted(merged) == sorted(t.boxes.tolist() for t in batch.targets)


def test_batches_resize_to_the_input_and_keep_normalised_boxes():
    split = DetectionSplit([square_record(64), square_record(64)], size=32)
    x, batch = next(split.raw_batches(2))
    assert x.shape == (2, 3, 32, 32) and x.dtype == torch.uint8
    assert batch.sizes == [(64, 64), (64, 64)]
    targets = batch.targets
    assert targets[0].boxes[0].tolist() == pytest.approx([20 / 64, 16 / 64, 44 / 64, 32 / 64])
