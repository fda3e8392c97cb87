"""IoU, Dice and pixel accuracy from the pixel confusion matrix agree with torchmetrics."""

from __future__ import annotations

import pytest
import torch

from convzoo.segmentation import SegmentationMeter

torchmetrics = pytest.importorskip("torchmetrics")


def test_scores_match_torchmetrics_with_ignored_pixels():
    from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score, MulticlassJaccardIndex

    g = torch.Generator().manual_seed(0)
    k = 4
    meter = SegmentationMeter(k)
    iou = MulticlassJaccardIndex(k, average=None, ignore_index=255)
    miou = MulticlassJaccardIndex(k, average="macro", ignore_index=255)
    dice = MulticlassF1Score(k, average=None, ignore_index=255, multidim_average="global")
    acc = MulticlassAccuracy(k, average="micro", ignore_index=255)
    for _ in range(3):  # accumulated over batches, as over a split
        logits = torch.randn(2, k, 8, 8, generator=g)
        target = torch.randint(0, k, (2, 8, 8), generator=g)
        target[:, :2] = 255  # VOC-style ignored border
        meter.update(logits, target)
        pred = logits.argmax(1)
        for metric in (iou, miou, dice, acc):
            metric.update(pred, target)
    scores = meter.compute()
    assert scores["iou"] == pytest.approx(iou.compute().tolist(), rel=1e-6)
    assert scores["miou"] == pytest.approx(float(miou.compute()), rel=1e-6)
    assert scores["dice_per_class"] == pytest.approx(dice.compute().tolist(), rel=1e-6)
    assert scores["pixel_acc"] == pytest.approx(float(acc.compute()), rel=1e-6)
    assert scores["count"] == 3 * 2 * 6 * 8  # the ignored rows are not counted


def test_a_perfect_prediction_scores_one_and_absent_classes_are_left_out_of_the_mean():
    target = torch.tensor([[[0, 0], [1, 1]]])
    logits = torch.nn.functional.one_hot(target, 3).permute(0, 3, 1, 2).float()
    meter = SegmentationMeter(3)
    meter.update(logits, target)
    scores = meter.compute()
    assert scores["miou"] == 1.0 and scores["dice"] == 1.0 and scores["pixel_acc"] == 1.0
    assert scores["iou"][:2] == [1.0, 1.0] and scores["iou"][2] != scores["iou"][2]  # NaN: class 2 absent
