"""Blocks shared by several families."""

from .conv import TF_SAME, Conv2dTFSame, ConvNormAct, make_divisible
from .drop import DropPath
from .heads import ClassifierHead, MLPHead
from .lrn import LocalResponseNorm
from .se import SqueezeExcite

__all__ = [
    "TF_SAME",
    "ClassifierHead",
    "Conv2dTFSame",
    "ConvNormAct",
    "DropPath",
    "LocalResponseNorm",
    "MLPHead",
    "SqueezeExcite",
    "make_divisible",
]
