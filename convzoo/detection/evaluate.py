"""A detector over a split: mean loss terms, VOC and COCO metrics with the per-class table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch

from ..contract import Detections, Detector
from ..data.detection.records import DetectionBatch
from .boxes import scale_boxes
from .metrics import DetectionEvaluator

EVAL_SCORE_THRESHOLD = 0.005  # keep low-scoring boxes: AP integrates over the whole ranking


@torch.inference_mode()
def evaluate_detector(
    model: Detector,
    batches: Iterable[tuple[torch.Tensor, DetectionBatch]],
    classes: Sequence[str],
    prepare: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
) -> dict:
    """{"loss", "loss_<term>", "map50_voc07", "map50", "map", "map50_coco", "per_class", "curves"}
    over normalised batches. Metrics are computed at each image's own size: decoded boxes are
    scaled from the square input to the original image."""
    model.eval()
    evaluator = DetectionEvaluator(list(classes))
    sums: dict[str, float] = {}
    seen = 0
    for x, batch in batches:
        x = prepare(x)
        out = model(x)
        for k, v in model.loss(out, batch.targets).items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(x)
        h, w = x.shape[-2:]
        detections = model.decode(out, image_size=(h, w), score_threshold=EVAL_SCORE_THRESHOLD)
        originals = [
            Detections(scale_boxes(d.boxes.cpu(), ow / w, oh / h), d.scores.cpu(), d.labels.cpu())
            for d, (oh, ow) in zip(detections, batch.sizes, strict=True)
        ]
        evaluator.add(originals, [t.to("cpu") for t in batch.targets], batch.sizes)
        seen += len(x)
    metrics = {f"loss_{k}" if k != "loss" else "loss": v / max(1, seen) for k, v in sums.items()}
    metrics.update(evaluator.compute())
    metrics["count"] = seen
    return metrics
