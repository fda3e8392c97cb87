"""End to end: a small YOLO overfits a handful of shapes-detect images (loss, decoding, NMS, AP)."""

from __future__ import annotations

import pytest
import torch

from convzoo.data.detection import make_shapes_detect
from convzoo.data.detection.records import DetectionSplit
from convzoo.data.shapes import SHAPE_CLASSES
from convzoo.detection.evaluate import evaluate_detector
from convzoo.models.yolo import YoloV1


@pytest.fixture
def one_thread():
    """Tensors this small run faster on one thread (and far faster on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_a_small_yolo_overfits_six_images_to_ap50_above_09(one_thread):
    torch.manual_seed(0)
    split = DetectionSplit(make_shapes_detect(6, 64, seed=0, max_objects=2), size=64)
    layers = ("3x3-16", "M", "3x3-32", "M", "3x3-64", "M", "3x3-64", "M")  # stride 16: a 4x4 grid
    model = YoloV1(layers, num_classes=4, S=4, hidden=(256,), batch_norm=True, drop_rate=0.0)
    mean, std = torch.full((3,), 0.5), torch.full((3,), 0.25)
    x, batch = next(split.batches(6, mean, std))
    before = evaluate_detector(model, split.batches(6, mean, std), SHAPE_CLASSES)
    optimizer = torch.optim.Adam(model.parameters(), 2e-3)
    for _ in range(60):
        model.train()
        loss = model.loss(model(x), batch.targets)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = evaluate_detector(model, split.batches(6, mean, std), SHAPE_CLASSES)
    assert before["map50"] < 0.3
    assert after["map50"] > 0.9 and after["map50_voc07"] > 0.9
    assert after["loss"] < before["loss"] / 10
    assert after["loss_class"] < 0.05 < before["loss_class"]  # the class term fits too, not only the boxes
    assert set(after) >= {"loss_coord", "loss_obj", "loss_noobj", "loss_class", "map"}
