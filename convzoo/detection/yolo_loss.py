"""YOLO v1's output grid: its layout, the loss of Eq. 3 and decoding to boxes (Redmon et al. 2016).

Each of the S x S cells predicts B boxes (x, y, sqrt(w), sqrt(h), confidence) and C class
probabilities: a 5B + C vector, boxes first. x, y are the box centre's offset within the cell,
w, h the box size relative to the image (Section 2.2), and the network predicts their square roots
(Section 2.2: "to partially address this we predict the square root of the bounding box width and
height"). The final layer is linear, so nothing is squashed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..contract import Detections
from .boxes import BoxTargets, cxcywh_to_xyxy, paired_iou, scale_boxes
from .nms import batched_nms

LOSS_TERMS = ("coord", "obj", "noobj", "class")


@dataclass(frozen=True)
class YoloGrid:
    """S x S cells, B boxes per cell, C classes (the paper's PASCAL VOC setting: 7, 2, 20)."""

    S: int = 7
    B: int = 2
    C: int = 20

    @property
    def depth(self) -> int:
        """Values per cell: 5B + C (30 for the paper)."""
        return 5 * self.B + self.C

    def split(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """N x S x S x (5B + C) -> boxes N x S x S x B x 5 and class probabilities N x S x S x C."""
        n = out.shape[0]
        boxes = out[..., : 5 * self.B].reshape(n, self.S, self.S, self.B, 5)
        return boxes, out[..., 5 * self.B :]

    def corner_boxes(self, boxes: torch.Tensor) -> torch.Tensor:
        """Predicted (x, y, sqrt w, sqrt h) per cell -> normalised image corners, N x S x S x B x 4."""
        rows = torch.arange(self.S, device=boxes.device, dtype=boxes.dtype).view(1, self.S, 1, 1)
        cols = torch.arange(self.S, device=boxes.device, dtype=boxes.dtype).view(1, 1, self.S, 1)
        cx = (cols + boxes[..., 0]) / self.S
        cy = (rows + boxes[..., 1]) / self.S
        return cxcywh_to_xyxy(torch.stack([cx, cy, boxes[..., 2].square(), boxes[..., 3].square()], -1))


@dataclass(frozen=True)
class CellTargets:
    """The ground truth laid on the grid: which cells hold an object (N x S x S), and for those the
    object's (x, y, sqrt w, sqrt h) in the cell's terms, its normalised corners and its class."""

    has_object: torch.Tensor
    coords: torch.Tensor  # N x S x S x 4
    corners: torch.Tensor  # N x S x S x 4
    classes: torch.Tensor  # N x S x S (long)


def assign_cells(targets: list[BoxTargets], grid: YoloGrid, device: torch.device) -> CellTargets:
    """Each object goes to the cell its centre falls into (Section 2); the paper's cell holds one
    object, so of several centres in one cell the largest box is kept."""
    n, s = len(targets), grid.S
    has_object = torch.zeros(n, s, s, dtype=torch.bool)
    coords = torch.zeros(n, s, s, 4)
    corners = torch.zeros(n, s, s, 4)
    classes = torch.zeros(n, s, s, dtype=torch.int64)
    for i, t in enumerate(targets):
        if not len(t):
            continue
        boxes = t.boxes.float().cpu().clamp(0, 1)
        wh = boxes[:, 2:] - boxes[:, :2]
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2
        cell = (centre * s).floor().clamp(0, s - 1).long()  # (col, row)
        for k in torch.argsort(wh.prod(1), stable=True).tolist():  # largest last: it wins its cell
            col, row = cell[k].tolist()
            has_object[i, row, col] = True
            offset = centre[k] * s - cell[k]
            coords[i, row, col] = torch.cat([offset, wh[k].sqrt()])
            corners[i, row, col] = boxes[k]
            classes[i, row, col] = t.labels[k]
    return CellTargets(has_object.to(device), coords.to(device), corners.to(device), classes.to(device))


def yolo_loss(
    out: torch.Tensor,
    targets: list[BoxTargets],
    grid: YoloGrid,
    lambda_coord: float = 5.0,
    lambda_noobj: float = 0.5,
) -> dict[str, torch.Tensor]:
    """Eq. 3, summed over cells and averaged over the batch: {"loss", "coord", "obj", "noobj", "class"}.

    The predictor "responsible" for an object is the one of its cell whose box has the highest IoU
    with it; its confidence target is that IoU (Section 2: confidence = Pr(Object) * IOU). Every
    other predictor, in every cell, is pushed to confidence 0 with weight lambda_noobj; class
    probabilities are penalised only in cells that hold an object.
    """
    out = out.float()
    cells = assign_cells(targets, grid, out.device)
    boxes, class_probs = grid.split(out)
    with torch.no_grad():
        iou = paired_iou(grid.corner_boxes(boxes), cells.corners.unsqueeze(3))  # N x S x S x B
        best = iou.argmax(-1, keepdim=True)
        responsible = torch.zeros_like(iou, dtype=torch.bool).scatter_(-1, best, True)
        responsible &= cells.has_object.unsqueeze(-1)
    conf = boxes[..., 4]
    r = responsible.float()
    coord = (r.unsqueeze(-1) * (boxes[..., :4] - cells.coords.unsqueeze(3)).square()).sum()
    obj = (r * (conf - iou).square()).sum()
    noobj = ((1 - r) * conf.square()).sum()
    onehot = torch.nn.functional.one_hot(cells.classes, grid.C).float()
    cls = (cells.has_object.unsqueeze(-1).float() * (class_probs - onehot).square()).sum()
    n = max(1, out.shape[0])
    terms = {
        "coord": lambda_coord * coord / n,
        "obj": obj / n,
        "noobj": lambda_noobj * noobj / n,
        "class": cls / n,
    }
    return {"loss": sum(terms.values()), **terms}


def decode_grid(
    out: torch.Tensor,
    grid: YoloGrid,
    image_size: tuple[int, int],
    score_threshold: float = 0.2,
    iou_threshold: float = 0.5,
    max_detections: int = 100,
) -> list[Detections]:
    """Boxes in pixels of image_size (H, W) with class-specific confidence
    Pr(class | object) * Pr(object) * IOU = class probability * box confidence (Eq. 1), those above
    score_threshold, after non-maximum suppression within each class."""
    out = out.detach().float()
    boxes, class_probs = grid.split(out)
    corners = scale_boxes(grid.corner_boxes(boxes), image_size[1], image_size[0])
    scores = boxes[..., 4:5] * class_probs.unsqueeze(3)  # N x S x S x B x C
    results = []
    for i in range(out.shape[0]):
        flat = scores[i].reshape(-1, grid.C)
        box_index, label = torch.nonzero(flat > score_threshold, as_tuple=True)
        b = corners[i].reshape(-1, 4)[box_index]
        s = flat[box_index, label]
        keep = batched_nms(b, s, label, iou_threshold)[:max_detections]
        results.append(Detections(b[keep], s[keep], label[keep]))
    return results
