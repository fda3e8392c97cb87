"""Why a network decides what it does: attribution maps (Captum) and visualisations."""

from .attribution import METHODS, AttributionResult, attribute, gradcam_layer
from .dataset import checkpoint_images
from .neighbours import Neighbours, nearest_neighbours, save_neighbours
from .patches import UnitPatches, save_top_patches, top_patches
from .visualize import class_model, feature_maps, first_layer_filters, layer_output

__all__ = [
    "METHODS",
    "AttributionResult",
    "Neighbours",
    "UnitPatches",
    "attribute",
    "checkpoint_images",
    "class_model",
    "feature_maps",
    "first_layer_filters",
    "gradcam_layer",
    "layer_output",
    "nearest_neighbours",
    "save_neighbours",
    "save_top_patches",
    "top_patches",
]
