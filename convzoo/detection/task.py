"""The detection task of the trainer (see convzoo.train.tasks): a Detector's own loss and decoding,
VOC and COCO mAP per epoch, each loss term per epoch, PR curves and a grid of boxes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..contract import Detector
from ..data.tensors import normalize
from ..train.plots import plot_curves
from ..train.tasks import LossOutput, Task
from .boxes import box_iou, scale_boxes
from .evaluate import evaluate_detector
from .plots import plot_detection_grid, plot_loss_terms, plot_pr_curves

SHOW_THRESHOLD = 0.2  # the score above which a box is drawn (and counted by the training recall)
GRID_IMAGES = 8


class DetectionTask(Task):
    """Models of the Detector contract: forward -> raw prediction, model.loss, model.decode.

    Key metric: mAP@0.5 (all-point); also reported: the VOC 2007 11-point mAP@0.5 and COCO
    mAP@[.5:.95]. The running training metric is recall50: the fraction of objects matched by a
    drawn box (score >= 0.2) of their class with IoU > 0.5.
    """

    name = "detection"
    key_metric = "map50"
    checkpoint_keys = ("map50", "map50_voc07", "map")
    train_metric = "recall50"
    artifacts = (
        "config.yaml",
        "metrics.csv",
        "curves.png",
        "loss_terms.png",
        "pr_curves.png",
        "detections.png",
    )
    dataset_hint = (
        "a detection dataset: shapes-detect, a Pascal VOC directory, a COCO instances_*.json or a YOLO "
        "directory (images/, labels/)"
    )

    def __init__(self, model: nn.Module, cfg: Any, classes: Sequence[str] = ()) -> None:
        if not isinstance(model, Detector):
            raise ValueError(f"{cfg.model} is not a Detector (forward/decode/loss of convzoo.contract)")
        super().__init__(model, cfg, classes)
        self.terms = tuple(model.loss_terms)

    def input_size(self, dataset: Any, requested: int | None) -> int:
        side = int(self.model.default_input_size[-1])
        if requested and requested != side:
            raise ValueError(f"{self.cfg.model} takes {side}x{side} input, not --image-size {requested}")
        return side

    def augment(self, preset: str, size: int) -> Any:
        if preset in ("none", None):
            return None
        if preset != "yolo":
            raise ValueError(f"detection augmentation is 'yolo' (the paper's) or 'none', not {preset!r}")
        from ..data.detection import YoloAugment

        return YoloAugment()

    def loss(self, out: torch.Tensor, target: Any) -> LossOutput:
        terms = self.model.loss(out, target.targets)
        return LossOutput(terms["loss"], out, {k: terms[k].detach() for k in self.terms})

    def train_counts(self, prediction: torch.Tensor, target: Any) -> tuple[torch.Tensor, torch.Tensor]:
        h = w = int(self.model.default_input_size[-1])
        detections = self.model.decode(prediction.detach(), image_size=(h, w), score_threshold=SHOW_THRESHOLD)
        hits = total = 0
        for d, t in zip(detections, target.targets, strict=True):
            total += len(t)
            if len(t) and len(d.boxes):
                iou = box_iou(scale_boxes(t.boxes, w, h), d.boxes)
                same = t.labels.view(-1, 1) == d.labels.view(1, -1)
                hits += int(((iou > 0.5) & same).any(1).sum())
        return torch.tensor(hits), torch.tensor(total)

    def evaluate(self, model, batches, num_classes, dist, prepare) -> dict[str, Any]:
        return evaluate_detector(model, batches, self.classes, prepare)

    def metric_columns(self, classes: Sequence[str]) -> tuple[str, ...]:
        return (
            "epoch", "lr", "train_loss", *(f"train_loss_{t}" for t in self.terms), "train_recall50",
            "test_loss", *(f"test_loss_{t}" for t in self.terms), "test_map50", "test_map50_voc07",
            "test_map", "test_recall50", *(f"test_ap50_{c}" for c in classes),
            "train_seconds", "eval_seconds", "elapsed", "images_per_s",
        )  # fmt: skip

    def test_row(self, evaluation: dict[str, Any]) -> dict[str, Any]:
        return {
            "test_loss": evaluation["loss"],
            **{f"test_loss_{t}": evaluation[f"loss_{t}"] for t in self.terms},
            "test_map50": evaluation["map50"],
            "test_map50_voc07": evaluation["map50_voc07"],
            "test_map": evaluation["map"],
            "test_recall50": evaluation["recall50"],
            **{f"test_ap50_{r['class']}": r["ap50"] for r in evaluation["per_class"]},
        }

    def epoch_metrics(self, row: dict[str, Any]) -> str:
        terms = " ".join(f"{t} {row[f'train_loss_{t}']:.3f}" for t in self.terms)
        return (
            f" ({terms})  test mAP@0.5 {row['test_map50']:.4f} (VOC07 {row['test_map50_voc07']:.4f}, "
            f"[.5:.95] {row['test_map']:.4f})"
        )

    def summary_metrics(self, final: dict[str, Any]) -> dict[str, Any]:
        return {
            **{k: final.get(k) for k in ("map50", "map50_voc07", "map", "loss")},
            "per_class": final.get("per_class", []),
        }

    def headline(self, summary: dict[str, Any]) -> str:
        return (
            f"test mAP@0.5 {summary['map50']:.4f} (VOC 2007 11-point {summary['map50_voc07']:.4f}), "
            f"mAP@[.5:.95] {summary['map']:.4f}"
        )

    def write_pictures(self, root: Path, history, evaluation, model, dataset) -> None:
        plot_curves(
            history, root / "curves.png", metric="recall50", title="recall@0.5", extra=("test_map50",)
        )
        plot_loss_terms(history, self.terms, root / "loss_terms.png")
        if evaluation:
            plot_pr_curves(evaluation["per_class"], evaluation["curves"], root / "pr_curves.png")
        draw_validation_grid(model, dataset, root / "detections.png", GRID_IMAGES)


@torch.inference_mode()
def draw_validation_grid(
    model: Detector,
    dataset: Any,
    path: Path,
    count: int = GRID_IMAGES,
    score_threshold: float = SHOW_THRESHOLD,
) -> Path:
    """The first `count` test images with predicted boxes scoring at least `score_threshold` (solid)
    and the true boxes (dashed)."""
    mean, std = dataset.stats()
    device = next(model.parameters()).device
    x, batch = next(dataset.test.subset(count).raw_batches(count))
    out = model.eval()(normalize(x, mean, std).to(device))
    detections = model.decode(out, image_size=tuple(x.shape[-2:]), score_threshold=score_threshold)
    images = [im.permute(1, 2, 0).numpy() for im in x]
    detections = [type(d)(*(v.cpu() for v in d)) for d in detections]
    return plot_detection_grid(images, detections, batch.targets, dataset.classes, path)
