"""The trainer learns segmentation through the model's card: run directory, metrics, recipes, errors."""

from __future__ import annotations

import json

import pytest
import torch

from convzoo.data import SEG_CLASSES, Dataset, SegSplit, make_shapes_seg
from convzoo.models.unet import UNet, UNetConfig
from convzoo.train import Trainer, resolve_config, train
from convzoo.train.tasks import ClassificationTask, SegmentationTask, task_for


def tiny_seg_dataset(count: int = 8, size: int = 32, seed: int = 3) -> Dataset:
    s = make_shapes_seg(count, size, seed=seed)
    split = SegSplit(s.images, s.masks, s.instances)
    return Dataset(
        "shapes-seg", list(SEG_CLASSES), split, split, (0.286,) * 3, (0.245,) * 3, "none", 3, "segmentation"
    )


def tiny_unet(width: int = 8) -> UNet:
    torch.manual_seed(0)
    config = UNetConfig(widths=tuple(width * 2**i for i in range(5)), padding=1, batch_norm=True)
    return UNet(config, num_classes=5, in_chans=3, drop_rate=0.0)


def test_the_card_chooses_the_task():
    cfg = resolve_config("unet", {"data": "shapes-seg"})
    assert isinstance(task_for("segmentation", tiny_unet(), cfg), SegmentationTask)
    assert isinstance(task_for("classification", tiny_unet(), cfg), ClassificationTask)
    with pytest.raises(ValueError, match="cannot train keypoints models yet"):
        task_for("keypoints", tiny_unet(), cfg)
    with pytest.raises(ValueError, match="is not a Detector"):  # the detection task needs the contract
        task_for("detection", tiny_unet(), cfg)


def test_recipes_paper_for_the_family_and_a_fast_one_for_shapes_seg_on_a_cpu():
    paper = resolve_config("unet", {"data": "some/folder"})
    assert (paper.optimizer, paper.momentum, paper.batch_size, paper.nesterov) == ("sgd", 0.99, 1, False)
    fast = resolve_config("unet", {"data": "shapes-seg"})
    assert (fast.optimizer, fast.batch_size, fast.threads) == ("adamw", 8, 1)


def test_segmentation_run_writes_metrics_pictures_and_a_dense_checkpoint(tmp_path):
    cfg = resolve_config(
        "unet_small", {"data": "shapes-seg", "epochs": 2, "batch_size": 4, "augment": "elastic"}
    )
    result = train(cfg, tmp_path / "run", dataset=tiny_seg_dataset(), model=tiny_unet(), log=lambda m: None)
    run = tmp_path / "run"
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"train_pixel_acc", "test_miou", "test_dice", "test_pixel_acc", "test_iou_circle"} <= set(header)
    row = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert 0 <= row["test_miou"] <= 1 and row["test_iou_background"] > 0
    for png in ("curves.png", "confusion.png", "overlays.png"):
        assert (run / png).read_bytes()[:4] == b"\x89PNG"
    summary = result.summary()
    assert summary["best_miou"] == max(r["test_miou"] for r in result.history)
    assert set(summary["iou"]) == set(SEG_CLASSES) and result.final["confusion"].shape == (5, 5)


def test_weight_maps_are_those_of_the_training_split_only():
    cfg = resolve_config("unet_small", {"data": "shapes-seg", "epochs": 1})
    trainer = Trainer(cfg, dataset=tiny_seg_dataset(), model=tiny_unet())
    train_w = trainer.dataset.train.weights
    assert train_w is not None and train_w.shape == (8, 32, 32) and float(train_w.max()) > 5  # gaps: ~w0
    off = Trainer(cfg.replace(weight_map=False), dataset=tiny_seg_dataset(), model=tiny_unet())
    assert off.dataset.train.weights is None


def test_targets_larger_than_the_output_window_are_cropped_to_it():
    cfg = resolve_config("unet", {"data": "shapes-seg"})
    task = task_for("segmentation", tiny_unet(), cfg)
    from convzoo.data import DenseTarget

    logits = torch.randn(1, 5, 4, 4)
    mask = torch.zeros(1, 8, 8, dtype=torch.long)
    mask[:, 2:6, 2:6] = torch.randint(0, 5, (1, 4, 4))
    full = task.loss(logits, DenseTarget(mask)).loss
    inner = torch.nn.functional.cross_entropy(logits, mask[:, 2:6, 2:6])
    assert full.item() == pytest.approx(inner.item())


def test_a_classifier_on_segmentation_data_and_unet_on_mnist_are_refused():
    with pytest.raises(
        ValueError, match="unet_small is a segmentation model but mnist-mini is a classification"
    ):
        Trainer(resolve_config("unet_small", {"data": "mnist-mini"}))
    with pytest.raises(ValueError, match="lenet5 is a classification model but shapes-seg is a segmentation"):
        Trainer(resolve_config("lenet5", {"data": "shapes-seg"}), dataset=tiny_seg_dataset())


def test_a_small_unet_overfits_eight_shapes_seg_images():
    cfg = resolve_config(
        "unet_small",
        {
            "data": "shapes-seg",
            "epochs": 50,
            "lr": 1e-2,
            "batch_size": 2,
            "weight_map": False,
            "weight_decay": 0.0,
        },
    )
    result = train(cfg, dataset=tiny_seg_dataset(), model=tiny_unet(), log=lambda m: None)
    assert result.history[0]["test_miou"] < 0.2  # it starts from nothing
    assert result.final["miou"] > 0.95 and result.final["pixel_acc"] > 0.99
