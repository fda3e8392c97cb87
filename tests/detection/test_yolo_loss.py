"""The loss of Eq. 3 term by term on a hand-computed grid, and decoding with class-specific confidence."""

from __future__ import annotations

import math

import pytest
import torch

from convzoo.detection.boxes import BoxTargets
from convzoo.detection.yolo_loss import YoloGrid, assign_cells, decode_grid, yolo_loss

GRID = YoloGrid(S=2, B=2, C=2)  # cells (row, col); per cell: box0 x y sw sh c, box1 x y sw sh c, p0 p1


def cell(box0, box1, probs):
    return torch.tensor([*box0, *box1, *probs], dtype=torch.float32)


def hand_example() -> tuple[torch.Tensor, list[BoxTargets]]:
    """One object (0.1, 0.1)-(0.4, 0.5): centre (0.25, 0.3) in cell (0, 0) at offset (0.5, 0.6),
    w = 0.3, h = 0.4, class 1."""
    out = torch.zeros(1, 2, 2, GRID.depth)
    # box0: centre x off by 0.1 (offset 0.6), exact sqrt w/h -> IoU 5/7; box1: a tiny box, IoU 1/75
    out[0, 0, 0] = cell(
        (0.6, 0.6, math.sqrt(0.3), math.sqrt(0.4), 0.8), (0.5, 0.6, 0.2, 0.2, 0.3), (0.2, 0.7)
    )
    out[0, 1, 1] = cell((0.5, 0.5, 0.3, 0.3, 0.4), (0, 0, 0, 0, 0), (0.9, 0.9))  # no object here
    return out, [BoxTargets([[0.1, 0.1, 0.4, 0.5]], [1])]


def test_each_term_of_eq3_matches_the_hand_computation():
    out, targets = hand_example()
    terms = yolo_loss(out, targets, GRID)
    # coordinates: lambda_coord * [(0.6 - 0.5)^2 + 0 + (sqrt w terms) 0 + 0]
    assert terms["coord"].item() == pytest.approx(5 * 0.01, abs=1e-6)
    # object: the responsible box0's confidence against its IoU 5/7
    assert terms["obj"].item() == pytest.approx((0.8 - 5 / 7) ** 2, abs=1e-6)
    # no object: lambda_noobj * (box1 in the object's cell: 0.3^2 + box0 of cell (1, 1): 0.4^2)
    assert terms["noobj"].item() == pytest.approx(0.5 * (0.09 + 0.16), abs=1e-6)
    # class: only the object's cell, (0.2 - 0)^2 + (0.7 - 1)^2; cell (1, 1)'s 0.9s cost nothing
    assert terms["class"].item() == pytest.approx(0.04 + 0.09, abs=1e-6)
    total = 0.05 + (0.8 - 5 / 7) ** 2 + 0.125 + 0.13
    assert terms["loss"].item() == pytest.approx(total, abs=1e-6)


def test_width_and_height_enter_as_square_roots():
    out, targets = hand_example()
    out[0, 0, 0, 2] = math.sqrt(0.3) + 0.1  # predicted sqrt(w) off by 0.1 (w itself by ~0.12)
    terms = yolo_loss(out, targets, GRID)
    assert terms["coord"].item() == pytest.approx(5 * (0.01 + 0.01), abs=1e-6)


def test_the_responsible_predictor_is_the_one_with_the_highest_iou():
    out, targets = hand_example()
    box0, box1 = out[0, 0, 0, :5].clone(), out[0, 0, 0, 5:10].clone()
    out[0, 0, 0, :5], out[0, 0, 0, 5:10] = box1, box0  # swap: box1 is now the better one
    terms = yolo_loss(out, targets, GRID)
    assert terms["obj"].item() == pytest.approx((0.8 - 5 / 7) ** 2, abs=1e-6)
    assert terms["noobj"].item() == pytest.approx(0.5 * (0.09 + 0.16), abs=1e-6)


def test_loss_is_averaged_over_the_batch_and_empty_images_cost_only_noobj():
    out, targets = hand_example()
    empty = torch.zeros_like(out)
    empty[0, 0, 1, 4] = 1.0
    terms = yolo_loss(torch.cat([out, empty]), [*targets, BoxTargets(torch.zeros(0, 4), [])], GRID)
    single = yolo_loss(out, targets, GRID)
    assert terms["noobj"].item() == pytest.approx((single["noobj"].item() + 0.5 * 1.0) / 2, abs=1e-6)
    assert terms["class"].item() == pytest.approx(single["class"].item() / 2, abs=1e-6)


def test_the_gradient_reaches_only_what_eq3_penalises():
    out, targets = hand_example()
    out.requires_grad_(True)
    yolo_loss(out, targets, GRID)["loss"].backward()
    assert out.grad[0, 1, 1, 10:].abs().sum() == 0  # class probabilities of a cell without object
    assert out.grad[0, 1, 1, :4].abs().sum() == 0  # coordinates of non-responsible predictors
    assert out.grad[0, 0, 0, 5:9].abs().sum() == 0
    assert out.grad[0, 0, 0, 0].item() == pytest.approx(2 * 5 * 0.1, abs=1e-5)  # d/dx of 5 (x - 0.5)^2


def test_one_object_per_cell_the_largest_wins():
    targets = [BoxTargets([[0.0, 0.0, 0.2, 0.2], [0.0, 0.0, 0.4, 0.4]], [0, 1])]
    cells = assign_cells(targets, GRID, torch.device("cpu"))
    assert cells.has_object.sum() == 1 and cells.classes[0, 0, 0] == 1


def test_decoding_scores_are_class_probability_times_confidence_then_per_class_nms():
    out = torch.zeros(1, 2, 2, GRID.depth)
    out[0, 0, 0] = cell((0.5, 0.5, 0.5, 0.5, 0.9), (0, 0, 0, 0, 0), (0.1, 0.8))
    out[0, 0, 1] = cell((-0.4, 0.5, 0.5, 0.5, 0.5), (0, 0, 0, 0, 0), (0.0, 1.0))  # IoU 2/3 with it
    out[0, 1, 1] = cell((0.5, 0.5, 0.5, 0.5, 0.5), (0, 0, 0, 0, 0), (0.6, 0.0))
    (det,) = decode_grid(out, GRID, image_size=(100, 200), score_threshold=0.2, iou_threshold=0.5)
    assert det.scores.tolist() == pytest.approx([0.72, 0.3])  # 0.9 * 0.8 and 0.5 * 0.6; 0.09 is below
    assert det.labels.tolist() == [1, 0]
    # cell (0, 0) centre (0.25, 0.25) of the image, w = h = 0.25: in pixels of 200 x 100
    assert det.boxes[0].tolist() == pytest.approx([25.0, 12.5, 75.0, 37.5])
    # the class-1 box of cell (0, 1) (score 0.5) overlaps the first by IoU 2/3 > 0.5: suppressed
    (loose,) = decode_grid(out, GRID, image_size=(100, 200), score_threshold=0.2, iou_threshold=0.95)
    assert sorted(loose.scores.tolist()) == pytest.approx([0.3, 0.5, 0.72])
