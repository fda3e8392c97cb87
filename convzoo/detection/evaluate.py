"""A detector over a split: mean loss terms, VOC and COCO metrics, and a few images to draw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..contract import Detections, Detector
from ..data.detection.records import DetectionSplit
from ..data.tensors import normalize
from .boxes import BoxTargets, scale_boxes
from .metrics import DetectionEvaluator

EVAL_SCORE_THRESHOLD = 0.005  # keep low-scoring boxes: AP integrates over the whole ranking


@dataclass
class DetectionReport:
    """Evaluation of a detector: metrics (with "loss_<term>" means and the per-class table), the
    precision-recall curves by class, drawn samples."""

    metrics: dict
    curves: dict
    samples: list[tuple[np.ndarray, Detections, BoxTargets]]


@torch.inference_mode()
def evaluate_detector(
    model: Detector,
    split: DetectionSplit,
    classes: list[str],
    size: int,
    mean: torch.Tensor,
    std: torch.Tensor,
    batch_size: int = 32,
    prepare: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    keep_samples: int = 8,
) -> DetectionReport:
    """Metrics at each image's own size: decoded boxes are scaled from the input to the original."""
    model.eval()
    evaluator = DetectionEvaluator(classes)
    sums: dict[str, float] = {}
    samples, seen, index = [], 0, 0
    for x, targets in split.batches(batch_size, size):
        out = model(prepare(normalize(x, mean, std)))
        terms = model.loss(out, targets)
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(x)
        records = split.records[index : index + len(x)]
        detections = model.decode(out, image_size=(size, size), score_threshold=EVAL_SCORE_THRESHOLD)
        originals = []
        for d, r in zip(detections, records, strict=True):
            boxes = scale_boxes(d.boxes.cpu() / size, r.width, r.height)
            originals.append(Detections(boxes, d.scores.cpu(), d.labels.cpu()))
        evaluator.add(originals, targets, [(r.height, r.width) for r in records])
        for i in range(len(x)):
            if len(samples) < keep_samples:
                shown = detections[i]
                strong = shown.scores >= 0.2
                samples.append(
                    (x[i].permute(1, 2, 0).numpy(), Detections(*(t[strong].cpu() for t in shown)), targets[i])
                )
        seen += len(x)
        index += len(x)
    metrics = {f"loss_{k}" if k != "loss" else "loss": v / max(1, seen) for k, v in sums.items()}
    result = evaluator.compute()
    curves = result.pop("curves")
    metrics.update(result)
    return DetectionReport(metrics, curves, samples)
