"""Training tasks: what the trainer needs to know about a kind of model, chosen by its card's `task`.

The trainer itself knows no task. It builds the model, then `task_for(card.task, model, cfg)`,
and asks the task for everything that differs between classification, segmentation and detection:

    check_dataset(dataset)                 refuse data of another task, in one line
    input_size(dataset, requested) -> int  the side the data is served at
    prepare_data(dataset) -> Dataset       once, after resizing (segmentation: U-Net's weight maps)
    augment(preset, size)                  the split's augmentation object ("auto" = dataset.augment)
    forward(net, x) -> out                 the training forward (`net` may be a DDP wrapper of model)
    loss(out, target) -> LossOutput        the loss to minimise, the prediction the running training
                                           metric is counted on, and named loss terms (averaged per
                                           epoch into train_loss_<term>: a multi-term loss, such as
                                           YOLO's, reports each term)
    train_counts(prediction, target)       (hits, total) tensors of the running metric train_<train_metric>
    evaluate(model, batches, dist, prepare) -> dict   test metrics: "loss", key_metric, ...
    test_row(evaluation) -> dict           the test_* columns of an epoch's history row
    epoch_line(row) -> str                 the epoch's log line
    checkpoint_metrics(evaluation) -> dict saved in every checkpoint's metadata
    summary_metrics(final) -> dict         the run summary's (and --json's) metrics
    headline(summary) -> str               "test top-1 97.10% (top-5 99.90%)", "test mIoU 0.91 ..."
    write_pictures(root, history, evaluation, model, dataset)   curves, confusion, overlays...

and the attributes `name`, `key_metric` (the best checkpoint is the epoch with the highest
test_<key_metric>), `train_metric`, `metric_columns(classes)` (metrics.csv) and `artifacts` (the
pictures a run directory gets). A batch is (x, target): whatever the dataset's split yields as the
target, moved to the device by its `.to(device, non_blocking=...)` (a tensor of labels, a
DenseTarget of masks and weight maps, ...). A new task subclasses Task and is added with
`register_task(name, cls)`; a model says it is one through its card (`ModelCard.task`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..contract import ClassifierOutput
from .distributed import DistContext
from .metrics import accuracy_text
from .metrics import evaluate as evaluate_classifier
from .plots import plot_confusion, plot_curves
from .rundir import METRIC_COLUMNS


class LossOutput(NamedTuple):
    """A training step's loss, the prediction its running metric counts, and named loss terms."""

    loss: torch.Tensor
    prediction: torch.Tensor
    terms: dict[str, torch.Tensor] = {}  # noqa: RUF012 (a NamedTuple default, never mutated)


class Task:
    """Base class: the hooks above. Subclasses set name, key_metric, train_metric, artifacts."""

    name = "task"
    key_metric = "top1"
    checkpoint_keys: tuple[str, ...] = ("top1",)
    speed_decimals = 1  # images/s on the epoch line
    train_metric = "top1"
    artifacts: tuple[str, ...] = ("config.yaml", "metrics.csv", "curves.png")
    dataset_hint = ""

    def __init__(self, model: nn.Module, cfg: Any, classes: Sequence[str] = ()) -> None:
        self.model, self.cfg = model, cfg
        self.classes = list(classes) or [str(i) for i in range(getattr(model, "num_classes", 0))]

    def check_dataset(self, dataset: Any) -> None:
        kind = getattr(dataset, "task", "classification")
        if kind != self.name:
            raise ValueError(
                f"{self.cfg.model} is a {self.name} model but {self.cfg.data} is a {kind} dataset; "
                f"use {self.dataset_hint}"
            )

    def input_size(self, dataset: Any, requested: int | None) -> int:
        raise NotImplementedError

    def prepare_data(self, dataset: Any) -> Any:
        return dataset

    def augment(self, preset: str, size: int) -> Any:
        raise NotImplementedError

    def forward(self, net: nn.Module, x: torch.Tensor) -> Any:
        return net(x)

    def loss(self, out: Any, target: Any) -> LossOutput:
        raise NotImplementedError

    def train_counts(self, prediction: torch.Tensor, target: Any) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def evaluate(
        self,
        model: nn.Module,
        batches: Iterable,
        num_classes: int,
        dist: DistContext | None,
        prepare: Callable[[torch.Tensor], torch.Tensor],
    ) -> dict[str, Any]:
        raise NotImplementedError

    def test_row(self, evaluation: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def epoch_line(self, row: dict[str, Any]) -> str:
        """One epoch's line: epoch, loss, the task's own metrics, learning rate, time and speed."""
        return (
            f"epoch {row['epoch']:>3}/{self.cfg.epochs}  loss {row['train_loss']:.4f}"
            f"{self.epoch_metrics(row)}  lr {row['lr']:.2e}  {row['train_seconds']:.1f}s  "
            f"{row['images_per_s']:,.{self.speed_decimals}f} img/s"
        )

    def epoch_metrics(self, row: dict[str, Any]) -> str:
        """The task's part of the epoch line, after the loss (with its leading separator)."""
        raise NotImplementedError

    def metric_columns(self, classes: Sequence[str]) -> tuple[str, ...]:
        return METRIC_COLUMNS

    def checkpoint_metrics(self, evaluation: dict[str, Any]) -> dict[str, Any]:
        """The test metrics a checkpoint's metadata records."""
        return {k: evaluation.get(k) for k in self.checkpoint_keys}

    def summary_metrics(self, final: dict[str, Any]) -> dict[str, Any]:
        return {self.key_metric: final.get(self.key_metric), "loss": final.get("loss")}

    def headline(self, summary: dict[str, Any]) -> str:
        raise NotImplementedError

    def write_pictures(
        self, root: Path, history: list[dict], evaluation: dict[str, Any], model: nn.Module, dataset: Any
    ) -> None:
        plot_curves(history, root / "curves.png")


class ClassificationTask(Task):
    """Image-level labels: cross-entropy (with the model's weighted auxiliary classifiers), top-1/top-5."""

    name = "classification"
    checkpoint_keys = ("top1", "top5")
    speed_decimals = 0
    artifacts = ("config.yaml", "metrics.csv", "curves.png", "confusion.png")
    dataset_hint = (
        "a classification dataset (mnist-mini, cifar10, shapes, ...) or a class-per-folder directory"
    )

    def input_size(self, dataset: Any, requested: int | None) -> int:
        """requested, else the dataset's side brought up to the model's minimum (its default for folders)."""
        if requested:
            return requested
        if dataset.image_size is None:
            return int(self.model.default_input_size[-1])
        return max(dataset.image_size, int(getattr(self.model, "min_input_size", 1)))

    def augment(self, preset: str, size: int) -> Any:
        from ..data import BatchAugment

        return BatchAugment.preset(preset, size)

    def loss(self, out: torch.Tensor | ClassifierOutput, target: torch.Tensor) -> LossOutput:
        """Cross-entropy of the logits plus the model's weighted auxiliary-classifier losses."""
        smoothing = self.cfg.label_smoothing
        if isinstance(out, ClassifierOutput):
            loss = F.cross_entropy(out.logits.float(), target, label_smoothing=smoothing)
            for weight, aux in zip(self.model.aux_loss_weights, out.aux_logits, strict=True):
                loss = loss + weight * F.cross_entropy(aux.float(), target, label_smoothing=smoothing)
            return LossOutput(loss, out.logits)
        return LossOutput(F.cross_entropy(out.float(), target, label_smoothing=smoothing), out)

    def train_counts(
        self, prediction: torch.Tensor, target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return (prediction.detach().argmax(1) == target).sum(), torch.tensor(
            len(target), device=target.device
        )

    def evaluate(self, model, batches, num_classes, dist, prepare) -> dict[str, Any]:
        return evaluate_classifier(model, batches, num_classes, dist=dist, prepare=prepare)

    def test_row(self, evaluation: dict[str, Any]) -> dict[str, Any]:
        return {
            "test_loss": evaluation["loss"],
            "test_top1": evaluation["top1"],
            "test_top5": evaluation["top5"],
        }

    def epoch_metrics(self, row: dict[str, Any]) -> str:
        test = accuracy_text(row["test_top1"], row["test_top5"], len(self.classes))
        return f"  train {row['train_top1']:.2%}  test {test}"

    def summary_metrics(self, final: dict[str, Any]) -> dict[str, Any]:
        return {"top1": final.get("top1"), "top5": final.get("top5"), "loss": final.get("loss")}

    def headline(self, summary: dict[str, Any]) -> str:
        return f"test top-1 {accuracy_text(summary['top1'], summary['top5'], len(self.classes))}"

    def write_pictures(self, root, history, evaluation, model, dataset) -> None:
        plot_curves(history, root / "curves.png")
        if evaluation:
            plot_confusion(evaluation["confusion"], dataset.classes, root / "confusion.png")


class SegmentationTask(Task):
    """Per-pixel classes (dense models: forward -> N x K x H' x W'); see convzoo.segmentation.

    Training follows U-Net's Sec. 3: the image is mirror-extended to the input whose output window
    covers it (for the unpadded U-Net; other dense models need no margin), the logits are cropped to
    the target's pixels (a target larger than the output window, such as a raw tile's, is cropped
    to the window instead), and the loss is the pixel-wise softmax cross-entropy weighted by the
    weight map when cfg.weight_map (w0 = cfg.w0, sigma = cfg.sigma; plain cross-entropy
    otherwise). Metrics: mIoU (the key), per-class IoU, Dice and pixel accuracy.
    """

    name = "segmentation"
    key_metric = "miou"
    checkpoint_keys = ("miou", "dice", "pixel_acc")
    train_metric = "pixel_acc"
    artifacts = ("config.yaml", "metrics.csv", "curves.png", "confusion.png", "overlays.png")
    dataset_hint = (
        "a segmentation dataset: shapes-seg, a Pascal VOC folder, or a folder with images/ and masks/"
    )
    overlay_count = 6

    def input_size(self, dataset: Any, requested: int | None) -> int:
        """The data's own side (or requested): any side works, the borders are mirrored as needed."""
        return requested or int(dataset.image_size)

    def prepare_data(self, dataset: Any) -> Any:
        """The training split with its weight maps (w_c from its class frequencies), when cfg.weight_map."""
        if not self.cfg.weight_map:
            return dataset
        from ..segmentation.weight_map import class_weights, unet_weight_map

        train = dataset.train
        masks = train.masks.numpy()
        class_w = class_weights(masks, dataset.num_classes)
        instances = train.instances.numpy() if train.instances is not None else None
        weights = [
            unet_weight_map(
                masks[i], None if instances is None else instances[i], class_w, self.cfg.w0, self.cfg.sigma
            )
            for i in range(len(masks))
        ]
        return replace(dataset, train=train.with_weights(torch.from_numpy(np.stack(weights))))

    def augment(self, preset: str, size: int) -> Any:
        from ..data.segmentation import SegAugment

        return SegAugment.preset(preset, size)

    def forward(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        from ..segmentation.tiling import fit_to_output

        return fit_to_output(self.model, x, forward=net)

    def loss(self, out: torch.Tensor, target: Any) -> LossOutput:
        from ..layers.decoder import center_crop
        from ..segmentation.loss import weighted_cross_entropy

        mask, weight = target.mask, target.weight
        if mask.shape[-2:] != out.shape[-2:]:  # a target larger than the output window: its centre
            mask = center_crop(mask, tuple(out.shape[-2:]))
            weight = None if weight is None else center_crop(weight, tuple(out.shape[-2:]))
        return LossOutput(weighted_cross_entropy(out, mask, weight), out)

    def train_counts(self, prediction: torch.Tensor, target: Any) -> tuple[torch.Tensor, torch.Tensor]:
        from ..layers.decoder import center_crop

        mask = center_crop(target.mask, tuple(prediction.shape[-2:]))
        labelled = mask != 255
        return ((prediction.detach().argmax(1) == mask) & labelled).sum(), labelled.sum()

    def evaluate(self, model, batches, num_classes, dist, prepare) -> dict[str, Any]:
        from ..segmentation.inference import evaluate_segmentation

        meter = evaluate_segmentation(model, batches, num_classes, prepare)
        if dist is not None and dist.world > 1:
            meter.confusion = dist.all_reduce(meter.confusion)
            totals = dist.all_reduce(
                torch.tensor([float(meter.loss_sum), float(meter.images)], dtype=torch.float64)
            )
            meter.loss_sum, meter.images = totals[0], int(totals[1])
        return meter.compute()

    def metric_columns(self, classes: Sequence[str]) -> tuple[str, ...]:
        return (
            "epoch", "lr", "train_loss", "train_pixel_acc", "test_loss", "test_miou", "test_dice",
            "test_pixel_acc", *(f"test_iou_{c}" for c in classes),
            "train_seconds", "eval_seconds", "elapsed", "images_per_s",
        )  # fmt: skip

    def test_row(self, evaluation: dict[str, Any]) -> dict[str, Any]:
        classes = self.classes
        return {
            "test_loss": evaluation["loss"],
            "test_miou": evaluation["miou"],
            "test_dice": evaluation["dice"],
            "test_pixel_acc": evaluation["pixel_acc"],
            **{f"test_iou_{c}": v for c, v in zip(classes, evaluation["iou"], strict=True)},
        }

    def epoch_metrics(self, row: dict[str, Any]) -> str:
        return (
            f"  train pixels {row['train_pixel_acc']:.2%}  test mIoU {row['test_miou']:.4f} "
            f"(Dice {row['test_dice']:.4f}, pixels {row['test_pixel_acc']:.2%})"
        )

    def summary_metrics(self, final: dict[str, Any]) -> dict[str, Any]:
        return {
            "miou": final.get("miou"),
            "dice": final.get("dice"),
            "pixel_acc": final.get("pixel_acc"),
            "iou": dict(zip(self.classes, final.get("iou", []), strict=False)),
            "loss": final.get("loss"),
        }

    def headline(self, summary: dict[str, Any]) -> str:
        return (
            f"test mIoU {summary['miou']:.4f} (Dice {summary['dice']:.4f}, "
            f"pixel accuracy {summary['pixel_acc']:.2%})"
        )

    def write_pictures(self, root, history, evaluation, model, dataset) -> None:
        from ..segmentation.plots import plot_overlays

        plot_curves(
            history, root / "curves.png", metric="pixel_acc", title="pixel accuracy", extra=("test_miou",)
        )
        if evaluation:
            plot_confusion(evaluation["confusion"], dataset.classes, root / "confusion.png")
        plot_overlays(model, dataset, root / "overlays.png", count=self.overlay_count)


# A task may be named by "module:Class", imported when first used (its module may import this one).
TASKS: dict[str, type[Task] | str] = {
    "classification": ClassificationTask,
    "segmentation": SegmentationTask,
    "detection": "convzoo.detection.task:DetectionTask",
}


def register_task(name: str, cls: type[Task]) -> None:
    """Make `cls` the task of every model whose card says `task=name`."""
    TASKS[name] = cls


def task_for(name: str, model: nn.Module, cfg: Any, classes: Sequence[str] = ()) -> Task:
    """The task object for a run of `model` (card task `name`) with config `cfg`."""
    if name not in TASKS:
        raise ValueError(f"convzoo cannot train {name} models yet (tasks: {', '.join(TASKS)})")
    cls = TASKS[name]
    if isinstance(cls, str):
        import importlib

        module, _, attr = cls.partition(":")
        cls = TASKS[name] = getattr(importlib.import_module(module), attr)
    return cls(model, cfg, classes)
