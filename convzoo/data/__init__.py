"""Datasets from their original files, in memory or read from folders, with batched augmentation."""

from .augment import BatchAugment
from .catalog import DATASETS, DatasetSpec, convzoo_home
from .errors import DataError
from .folder import FolderSplit
from .idx import read_idx, write_idx
from .loading import Dataset, load_dataset
from .segmentation import SEG_AUGMENT_PRESETS, DenseTarget, SegAugment, SegSplit
from .shapes import SHAPE_CLASSES, Shapes, make_shapes
from .shapes_seg import SEG_CLASSES, ShapesSeg, make_shapes_seg
from .tensors import ArraySplit, fit_to_size, normalize

__all__ = [
    "DATASETS",
    "SEG_AUGMENT_PRESETS",
    "SEG_CLASSES",
    "SHAPE_CLASSES",
    "ArraySplit",
    "BatchAugment",
    "DataError",
    "Dataset",
    "DatasetSpec",
    "DenseTarget",
    "FolderSplit",
    "SegAugment",
    "SegSplit",
    "Shapes",
    "ShapesSeg",
    "convzoo_home",
    "fit_to_size",
    "load_dataset",
    "make_shapes",
    "make_shapes_seg",
    "normalize",
    "read_idx",
    "write_idx",
]
