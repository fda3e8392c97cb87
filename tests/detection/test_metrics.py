"""VOC AP (11-point and all-point) and COCO mAP on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convzoo.contract import Detections
from convzoo.detection.boxes import BoxTargets
from convzoo.detection.metrics import DetectionEvaluator, average_precision

SIZE = (100, 100)  # H, W: targets are normalised by it


def dets(boxes, scores, labels=None):
    boxes = torch.tensor(boxes, dtype=torch.float).reshape(-1, 4)
    labels = torch.zeros(len(boxes), dtype=torch.long) if labels is None else torch.tensor(labels)
    return Detections(boxes, torch.tensor(scores, dtype=torch.float), labels)


def truth(boxes, labels=None, difficult=None):
    boxes = torch.tensor(boxes, dtype=torch.float).reshape(-1, 4) / 100
    return BoxTargets(boxes, [0] * len(boxes) if labels is None else labels, difficult)


def two_images(difficult: bool) -> DetectionEvaluator:
    """Image A: one object; image B: one object and one (maybe difficult) object.
    By score: TP (A), hit on B's second object, FP, TP (B), duplicate on A (FP)."""
    ev = DetectionEvaluator(["thing"])
    a = truth([[0, 0, 10, 10]])
    b = truth([[0, 0, 10, 10], [20, 20, 30, 30]], difficult=[False, difficult])
    ev.add(
        [dets([[0, 0, 10, 10], [0, 0, 10, 10]], [0.9, 0.5]),
         dets([[20, 20, 30, 30], [50, 50, 60, 60], [0, 0, 10, 10]], [0.8, 0.7, 0.6])],
        [a, b],
        [SIZE, SIZE],
    )  # fmt: skip
    return ev


def test_difficult_objects_are_neither_positives_nor_errors():
    voc = two_images(difficult=True).voc()
    row = voc["per_class"][0]
    assert row["positives"] == 2
    recall, precision = voc["curves"]["thing"]  # TP, FP, TP, FP: the difficult hit is left out
    assert recall.tolist() == pytest.approx([0.5, 0.5, 1.0, 1.0])
    assert precision.tolist() == pytest.approx([1.0, 0.5, 2 / 3, 0.5])
    # all-point: 0.5 * 1 + 0.5 * 2/3; 11-point: six recall levels <= 0.5 at 1, five at 2/3
    assert row["ap50"] == pytest.approx(0.5 + 1 / 3)
    assert row["ap50_voc07"] == pytest.approx((6 + 5 * 2 / 3) / 11)


def test_without_the_flag_the_same_detections_score_differently():
    row = two_images(difficult=False).voc()["per_class"][0]
    assert row["positives"] == 3
    # TP, TP, FP, TP, FP: recall 1/3, 2/3, 2/3, 1, 1; precision 1, 1, 2/3, 3/4, 3/5
    assert row["ap50"] == pytest.approx(2 / 3 + 1 / 3 * 3 / 4)


def test_coco_map_from_pycocotools_treats_difficult_as_crowd():
    pytest.importorskip("pycocotools")
    coco = two_images(difficult=True).coco()
    # exact boxes: the same matches at every IoU threshold; 101 recall points, 51 at precision 1
    # (recall <= 0.5) and 50 at 2/3
    assert coco["map"] == pytest.approx((51 + 50 * 2 / 3) / 101, abs=1e-6)
    assert coco["map50_coco"] == pytest.approx(coco["map"], abs=1e-9)


def test_coco_map_falls_with_the_iou_threshold_and_voc_does_not():
    pytest.importorskip("pycocotools")
    ev = DetectionEvaluator(["thing"])
    # IoU of (0, 0, 10, 10) with (0, 0, 10, 8.2) is 0.82: a hit at 0.5 ... 0.8, a miss at 0.85 ... 0.95
    ev.add([dets([[0, 0, 10, 8.2]], [0.9])], [truth([[0, 0, 10, 10]])], [SIZE])
    result = ev.compute()
    assert result["map50"] == pytest.approx(1.0) and result["map50_voc07"] == pytest.approx(1.0)
    assert result["map"] == pytest.approx(7 / 10, abs=1e-6)  # 7 of the 10 thresholds .50:.05:.95


def test_map_averages_the_classes_that_have_objects():
    ev = DetectionEvaluator(["a", "b", "c"])
    ev.add(
        [dets([[0, 0, 10, 10], [50, 50, 60, 60]], [0.9, 0.8], [0, 2])],
        [truth([[0, 0, 10, 10], [20, 20, 40, 40]], labels=[0, 1])],
        [SIZE],
    )
    voc = ev.voc()
    rows = {r["class"]: r for r in voc["per_class"]}
    assert rows["a"]["ap50"] == pytest.approx(1.0)
    assert rows["b"]["ap50"] == 0.0  # missed
    assert rows["c"]["ap50"] is None  # no objects of class c: not in the mean
    assert voc["map50"] == pytest.approx(0.5)


def test_average_precision_of_known_curves():
    assert average_precision(np.array([1.0]), np.array([1.0]), "voc07") == pytest.approx(1.0)
    assert average_precision(np.array([0.5]), np.array([1.0]), "all") == pytest.approx(0.5)
    assert average_precision(np.array([0.5]), np.array([1.0]), "voc07") == pytest.approx(6 / 11)
    with pytest.raises(ValueError, match="voc07"):
        average_precision(np.array([0.5]), np.array([1.0]), "coco")
