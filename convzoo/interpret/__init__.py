"""Why a network decides what it does: attribution maps (Captum) and visualisations."""

from .attribution import METHODS, AttributionResult, attribute, gradcam_layer
from .visualize import class_model, feature_maps, first_layer_filters

__all__ = [
    "METHODS",
    "AttributionResult",
    "attribute",
    "class_model",
    "feature_maps",
    "first_layer_filters",
    "gradcam_layer",
]
