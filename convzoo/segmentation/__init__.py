"""Semantic segmentation: U-Net's weight map and loss, pixel metrics, overlap-tile prediction, overlays."""

from .loss import weighted_cross_entropy
from .metrics import SegmentationMeter, segmentation_scores
from .tiling import fit_to_output, mirror_pad, predict_tiled
from .weight_map import border_weights, class_weights, unet_weight_map

__all__ = [
    "SegmentationMeter",
    "border_weights",
    "class_weights",
    "fit_to_output",
    "mirror_pad",
    "predict_tiled",
    "segmentation_scores",
    "unet_weight_map",
    "weighted_cross_entropy",
]
