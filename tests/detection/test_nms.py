"""Non-maximum suppression on hand cases and against torchvision.ops.batched_nms (recorded fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from convzoo.detection.nms import batched_nms, nms

FIXTURE = Path(__file__).parent / "fixtures" / "batched_nms.json"


def test_nms_keeps_the_best_and_drops_what_overlaps_it_by_more_than_the_threshold():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60], [0, 0, 10, 5]], dtype=torch.float)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    # box 1 overlaps box 0 by 90/110; box 3 by exactly 0.5 (not more): kept
    assert nms(boxes, scores, 0.5).tolist() == [0, 2, 3]
    assert nms(boxes, scores, 0.49).tolist() == [0, 2]
    assert nms(boxes, scores, 0.9).tolist() == [0, 1, 2, 3]


def test_a_suppressed_box_does_not_suppress_others():
    boxes = torch.tensor([[0, 0, 10, 10], [5, 0, 15, 10], [10, 0, 20, 10]], dtype=torch.float)
    # 1 overlaps 0 and 2 by 1/3 each; 0 and 2 do not touch. At 0.3, 0 removes 1, and 2 survives.
    assert nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.3).tolist() == [0, 2]


def test_batched_nms_never_suppresses_across_classes():
    boxes = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], dtype=torch.float)
    scores = torch.tensor([0.5, 0.9, 0.7])
    assert batched_nms(boxes, scores, torch.tensor([0, 1, 0]), 0.5).tolist() == [1, 2]
    assert batched_nms(boxes[:0], scores[:0], torch.tensor([], dtype=torch.long), 0.5).numel() == 0


def test_batched_nms_agrees_with_torchvision():
    recorded = json.loads(FIXTURE.read_text())
    for case in recorded["cases"]:
        keep = batched_nms(
            torch.tensor(case["boxes"]),
            torch.tensor(case["scores"]),
            torch.tensor(case["labels"]),
            case["iou_threshold"],
        )
        assert keep.tolist() == case["keep"], case["iou_threshold"]
        assert 0 < len(case["keep"]) < len(case["boxes"])  # the cases suppress something
