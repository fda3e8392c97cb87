"""Registration shared by the families: a config row and a card become one named, registered builder.

A family file holds its table (name -> config row, the name written out once) and calls
`register_builder(card, build, **row_arguments)` per row. The builder is a module attribute of the
family named like the model, so `convzoo.models.resnet.resnet50(num_classes=10)` works as
`create_model("resnet50", num_classes=10)` does (create_model also sets `model_name`).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from torch import nn

from ..cards import ModelCard
from ..registry import Converter, register_model


def register_builder(
    card: ModelCard,
    build: Callable[..., nn.Module],
    converters: Mapping[str, Converter] | None = None,
    doc: str | None = None,
    module: str | None = None,
    **bound: Any,
) -> Callable[..., nn.Module]:
    """Register `build(**bound, **kwargs)` as the model `card.name` and return that builder.

    `bound` holds the row's arguments and defaults (e.g. `cfg=...`, `num_classes=10`); a caller's
    keyword arguments override the defaults. The builder is named `card.name`, documented by `doc`
    (else the first sentence of the card's notes) and set as an attribute of `module` (default: the
    family module calling this).
    """
    module = module or sys._getframe(1).f_globals["__name__"]
    if hasattr(sys.modules[module], card.name):
        raise ValueError(f"{module}.{card.name} already exists: a builder cannot replace it")
    signature = inspect.signature(functools.partial(build, **bound))

    def builder(**kwargs: Any) -> nn.Module:
        return build(**{**bound, **kwargs})

    builder.__name__ = builder.__qualname__ = card.name
    builder.__module__ = module
    builder.__doc__ = doc if doc is not None else card.notes.split(". ")[0].rstrip(".") + "."
    builder.__signature__ = signature
    register_model(card, converters)(builder)
    setattr(sys.modules[module], card.name, builder)
    return builder


def register_on_backbones(
    card: ModelCard,
    rows: Iterable[tuple[str, str, int, tuple[int, int, int]]],
    build: Callable[..., nn.Module],
    num_classes: int,
) -> None:
    """Register `build(backbone=..., num_classes=..., in_chans=...)` once per (name, backbone, params,
    input size) row.

    `card` is the template; "{backbone}" in its notes is filled in.
    """
    module = sys._getframe(1).f_globals["__name__"]
    for name, backbone, params, input_size in rows:
        notes = card.notes.format(backbone=backbone)
        entry = card.variant(name=name, input_size=input_size, params=params, notes=notes)
        doc = f"{card.family} on a {backbone} backbone."
        register_builder(
            entry,
            build,
            doc=doc,
            module=module,
            backbone=backbone,
            num_classes=num_classes,
            in_chans=input_size[0],
        )
