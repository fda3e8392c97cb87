"""Detection metrics: PASCAL VOC AP@0.5 (11-point VOC 2007 and all-point) and COCO mAP@[.5:.95].

VOC follows the devkit's `voc_eval` rules: detections of a class, over all images, by decreasing
score; each is a true positive if its best-overlapping ground truth (IoU > 0.5) is not yet taken,
a false positive otherwise, and is ignored if that ground truth is `difficult`; difficult objects
do not count as positives. Boxes are continuous coordinates (no +1 pixel as in the devkit's
integer boxes). COCO numbers come from pycocotools' COCOeval, with difficult objects passed as
crowd regions (matches to them are ignored).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..contract import Detections
from ..data.errors import DataError
from .boxes import BoxTargets, box_iou, scale_boxes


def average_precision(recall: np.ndarray, precision: np.ndarray, method: str = "all") -> float:
    """Area under a precision-recall curve: "voc07" the mean of the best precision at recall >= 0,
    0.1, ..., 1 (11 points, the metric YOLO reports), "all" the area under its precision envelope."""
    recall, precision = np.asarray(recall, float), np.asarray(precision, float)
    if method == "voc07":
        return float(
            np.mean(
                [precision[recall >= t].max() if (recall >= t).any() else 0.0 for t in np.linspace(0, 1, 11)]
            )
        )
    if method != "all":
        raise ValueError(f"method must be 'voc07' or 'all', got {method!r}")
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    changes = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[changes + 1] - r[changes]) * p[changes + 1]))


@dataclass
class ClassMatches:
    """One class's detections matched to its ground truth at one IoU threshold."""

    scores: np.ndarray
    true_positive: np.ndarray  # bool, by decreasing score (ignored detections left out)
    positives: int  # non-difficult ground-truth objects

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(recall, precision) after each detection."""
        tp = np.cumsum(self.true_positive)
        fp = np.cumsum(~self.true_positive)
        recall = tp / max(self.positives, 1)
        precision = tp / np.maximum(tp + fp, np.finfo(float).eps)
        return recall, precision


def match_class(
    detections: Sequence[tuple[np.ndarray, np.ndarray]],
    truths: Sequence[tuple[np.ndarray, np.ndarray]],
    iou_threshold: float = 0.5,
) -> ClassMatches:
    """VOC matching. detections[i] = (boxes K x 4, scores K), truths[i] = (boxes M x 4, difficult M)
    for image i, all of one class, in one coordinate frame."""
    entries = [(s, i, k) for i, (_, scores) in enumerate(detections) for k, s in enumerate(scores)]
    entries.sort(key=lambda e: -e[0])
    taken = [np.zeros(len(t[0]), dtype=bool) for t in truths]
    kept_scores, tps = [], []
    for score, i, k in entries:
        gt_boxes, difficult = truths[i]
        is_tp = False
        if len(gt_boxes):
            iou = box_iou(torch.as_tensor(detections[i][0][k : k + 1]), torch.as_tensor(gt_boxes))[0].numpy()
            j = int(iou.argmax())
            if iou[j] > iou_threshold:
                if difficult[j]:
                    continue  # neither right nor wrong
                if not taken[i][j]:
                    taken[i][j] = is_tp = True
        kept_scores.append(score)
        tps.append(is_tp)
    positives = int(sum((~t[1].astype(bool)).sum() for t in truths))
    return ClassMatches(np.asarray(kept_scores, float), np.asarray(tps, bool), positives)


@dataclass
class DetectionEvaluator:
    """Accumulates per-image detections and ground truth (in each image's pixels), then computes
    VOC and COCO metrics with a per-class table."""

    classes: Sequence[str]
    images: list[dict] = field(default_factory=list)

    def add(
        self,
        detections: Sequence[Detections],
        targets: Sequence[BoxTargets],
        sizes: Sequence[tuple[int, int]],
    ) -> None:
        """detections in pixels of each image's (H, W) size; targets normalised (BoxTargets)."""
        for det, t, (h, w) in zip(detections, targets, sizes, strict=True):
            self.images.append(
                {
                    "size": (int(h), int(w)),
                    "boxes": det.boxes.detach().cpu().double().numpy().reshape(-1, 4),
                    "scores": det.scores.detach().cpu().double().numpy(),
                    "labels": det.labels.detach().cpu().numpy(),
                    "gt_boxes": scale_boxes(t.boxes.cpu().double(), w, h).numpy(),
                    "gt_labels": t.labels.cpu().numpy(),
                    "difficult": t.difficult.cpu().numpy(),
                }
            )

    def matches(self, c: int, iou_threshold: float = 0.5) -> ClassMatches:
        dets = [(im["boxes"][im["labels"] == c], im["scores"][im["labels"] == c]) for im in self.images]
        gts = [
            (im["gt_boxes"][im["gt_labels"] == c], im["difficult"][im["gt_labels"] == c])
            for im in self.images
        ]
        return match_class(dets, gts, iou_threshold)

    def voc(self, recall_score: float = 0.2) -> dict:
        """Per-class AP@0.5 (voc07 and all-point) and PR curves; mAP over classes with positives;
        recall50: the fraction of objects found by detections scoring at least `recall_score`."""
        rows, curves, found, positives = [], {}, 0, 0
        for c, name in enumerate(self.classes):
            m = self.matches(c)
            found += int(m.true_positive[m.scores >= recall_score].sum())
            positives += m.positives
            recall, precision = m.curve()
            curves[name] = (recall, precision)
            rows.append(
                {
                    "class": name,
                    "positives": m.positives,
                    "ap50_voc07": average_precision(recall, precision, "voc07") if m.positives else None,
                    "ap50": average_precision(recall, precision, "all") if m.positives else None,
                }
            )
        present = [r for r in rows if r["positives"]]
        return {
            "map50_voc07": float(np.mean([r["ap50_voc07"] for r in present])) if present else 0.0,
            "map50": float(np.mean([r["ap50"] for r in present])) if present else 0.0,
            "recall50": found / max(1, positives),
            "per_class": rows,
            "curves": curves,
        }

    def coco(self) -> dict:
        """pycocotools' mAP@[.5:.95], mAP@0.5 (101-point) and per-class AP@[.5:.95]."""
        try:
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
        except ImportError as e:
            raise DataError("COCO mAP needs pycocotools: pip install 'convzoo[detect]'") from e
        gt, results = _coco_dicts(self.images, len(self.classes))
        if not results or not gt["annotations"]:
            return {"map": 0.0, "map50_coco": 0.0, "per_class_map": [0.0] * len(self.classes)}
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO()
            coco_gt.dataset = gt
            coco_gt.createIndex()
            coco_dt = coco_gt.loadRes(results)
            evaluator = COCOeval(coco_gt, coco_dt, "bbox")
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
        precision = evaluator.eval["precision"][:, :, :, 0, -1]  # T x R x K, all areas, 100 detections
        per_class = []
        for k in range(len(self.classes)):
            p = precision[:, :, k]
            per_class.append(float(p[p > -1].mean()) if (p > -1).any() else None)
        return {
            "map": max(0.0, float(evaluator.stats[0])),
            "map50_coco": max(0.0, float(evaluator.stats[1])),
            "per_class_map": per_class,
        }

    def compute(self) -> dict:
        """{"map50_voc07", "map50", "map", "map50_coco", "per_class": [...], "curves": {...}}."""
        voc, coco = self.voc(), self.coco()
        for row, value in zip(voc["per_class"], coco["per_class_map"], strict=True):
            row["ap"] = value if row["positives"] else None
        return {**voc, "map": coco["map"], "map50_coco": coco["map50_coco"]}


def _coco_dicts(images: list[dict], num_classes: int) -> tuple[dict, list[dict]]:
    gt = {
        "images": [],
        "annotations": [],
        "categories": [{"id": c + 1, "name": str(c)} for c in range(num_classes)],
    }
    results = []
    for image_id, im in enumerate(images, start=1):
        h, w = im["size"]
        gt["images"].append({"id": image_id, "width": w, "height": h})
        for box, label, difficult in zip(im["gt_boxes"], im["gt_labels"], im["difficult"], strict=True):
            x0, y0, x1, y1 = (float(v) for v in box)
            gt["annotations"].append(
                {
                    "id": len(gt["annotations"]) + 1,
                    "image_id": image_id,
                    "category_id": int(label) + 1,
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "area": (x1 - x0) * (y1 - y0),
                    "iscrowd": int(bool(difficult)),
                }
            )
        for box, score, label in zip(im["boxes"], im["scores"], im["labels"], strict=True):
            x0, y0, x1, y1 = (float(v) for v in box)
            results.append(
                {"image_id": image_id, "category_id": int(label) + 1, "bbox": [x0, y0, x1 - x0, y1 - y0],
                 "score": float(score)}
            )  # fmt: skip
    return gt, results
