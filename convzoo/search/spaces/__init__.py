"""Search spaces by name: `blockqnn`, `nasnet`, and the row spaces `resnet` and `mbconv`."""

from __future__ import annotations

from typing import Any

from .base import Choices, SearchSpace
from .blockqnn import BlockQNNSpace
from .nasnet import NASNetSpace
from .rows import MBConvRowSpace, ResNetRowSpace

SPACES: dict[str, type[SearchSpace]] = {
    cls.name: cls for cls in (BlockQNNSpace, NASNetSpace, ResNetRowSpace, MBConvRowSpace)
}


def get_space(name: str, **settings: Any) -> SearchSpace:
    """The search space `name` with some settings changed."""
    if name not in SPACES:
        raise ValueError(f"unknown search space {name!r}; expected one of {', '.join(SPACES)}")
    return SPACES[name](**settings)


__all__ = ["SPACES", "Choices", "SearchSpace", "get_space"]
