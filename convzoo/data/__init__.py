"""Datasets from their original files, in memory or read from folders, with batched augmentation."""

from .augment import BatchAugment
from .catalog import DATASETS, DatasetSpec, convzoo_home
from .errors import DataError
from .folder import FolderSplit
from .idx import read_idx, write_idx
from .loading import Dataset, load_dataset
from .shapes import SHAPE_CLASSES, Shapes, make_shapes
from .tensors import ArraySplit, fit_to_size, normalize

__all__ = [
    "DATASETS",
    "SHAPE_CLASSES",
    "ArraySplit",
    "BatchAugment",
    "DataError",
    "Dataset",
    "DatasetSpec",
    "FolderSplit",
    "Shapes",
    "convzoo_home",
    "fit_to_size",
    "load_dataset",
    "make_shapes",
    "normalize",
    "read_idx",
    "write_idx",
]
