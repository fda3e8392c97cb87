"""Object detection: boxes, non-maximum suppression, YOLO's grid and loss, VOC and COCO metrics."""

from .boxes import BoxTargets, box_iou
from .metrics import DetectionEvaluator, average_precision
from .nms import batched_nms, nms

__all__ = ["BoxTargets", "DetectionEvaluator", "average_precision", "batched_nms", "box_iou", "nms"]
