"""Blocks shared by several families."""

from .conv import ConvNormAct, make_divisible
from .drop import DropPath
from .heads import ClassifierHead, MLPHead
from .lrn import LocalResponseNorm
from .se import SqueezeExcite

__all__ = [
    "ClassifierHead",
    "ConvNormAct",
    "DropPath",
    "LocalResponseNorm",
    "MLPHead",
    "SqueezeExcite",
    "make_divisible",
]
