"""Registration helpers shared by the families (one way to turn a config row into a named builder)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from torch import nn

from ..cards import ModelCard
from ..registry import register_model


def register_on_backbones(
    card: ModelCard,
    rows: Iterable[tuple[str, str, int, tuple[int, int, int]]],
    build: Callable[[str, int, int], nn.Module],
    num_classes: int,
) -> None:
    """Register `build(backbone, num_classes, in_chans)` once per (name, backbone, params, input size).

    `card` is the template; "{backbone}" in its notes is filled in.
    """

    def builder_for(name: str, backbone: str, in_chans: int) -> Callable[..., nn.Module]:
        def builder(num_classes: int = num_classes, in_chans: int = in_chans) -> nn.Module:
            return build(backbone, num_classes, in_chans)

        builder.__name__ = builder.__qualname__ = name
        builder.__doc__ = f"{card.family} on a {backbone} backbone."
        return builder

    for name, backbone, params, input_size in rows:
        notes = card.notes.format(backbone=backbone)
        entry = card.variant(name=name, input_size=input_size, params=params, notes=notes)
        register_model(entry)(builder_for(name, backbone, input_size[0]))
