"""The model registry: name -> builder, card and checkpoint converters."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from .cards import ModelCard

StateDict = dict[str, Any]
Converter = Callable[[StateDict], StateDict]


@dataclass(frozen=True)
class RegistryEntry:
    """A registered model: how to build it, its card, and its converters by library."""

    builder: Callable[..., nn.Module]
    card: ModelCard
    converters: Mapping[str, Converter] = field(default_factory=dict)


_REGISTRY: dict[str, RegistryEntry] = {}
_LOADED = False


class UnknownModelError(KeyError):
    """An unregistered model name; the message lists the closest registered names."""

    def __init__(self, name: str, suggestions: list[str] | None = None) -> None:
        """UnknownModelError(name, suggestions), or UnknownModelError(message) for a whole message."""
        self.name, self.suggestions = name, suggestions
        super().__init__(self.message("see convzoo.list_models()"))

    def message(self, listing: str) -> str:
        """The message, pointing at `listing` (the Python call or the CLI command) when nothing is close."""
        if self.suggestions is None:
            return self.name
        hint = f"did you mean {', '.join(self.suggestions)}?" if self.suggestions else listing
        return f"unknown model {self.name!r}; {hint}"

    def __reduce__(self):  # picklable across processes despite the two-argument constructor
        return (type(self), (self.name, self.suggestions))

    @property
    def cli_message(self) -> str:
        return self.message("see `convzoo list`")

    def __str__(self) -> str:  # KeyError quotes its argument; show the message as written
        return str(self.args[0])


def close_names(name: str, names: list[str], n: int = 5) -> list[str]:
    """Registered names close to `name`: the same ignoring case, else difflib's closest (ignoring
    case), then the names containing it or contained in it."""
    lower = name.lower()
    by_lower = {}
    for candidate in names:
        by_lower.setdefault(candidate.lower(), candidate)
    if lower in by_lower:
        return [by_lower[lower]]
    close = [by_lower[c] for c in difflib.get_close_matches(lower, list(by_lower), n=n, cutoff=0.5)]
    if len(lower) >= 3:
        close += [c for c in names if (lower in c.lower() or c.lower() in lower) and c not in close]
    return close[:n]


def register_model(
    card: ModelCard, converters: Mapping[str, Converter] | None = None
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering a builder under `card.name`.

    Every library named in `card.compatible` needs a converter from its key layout.
    """
    converters = dict(converters or {})
    missing = set(card.compatible) - set(converters)
    if missing:
        raise ValueError(f"{card.name}: card lists {sorted(missing)} as compatible but has no converter")

    def decorator(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if card.name in _REGISTRY:
            raise ValueError(f"model {card.name!r} is registered twice")
        _REGISTRY[card.name] = RegistryEntry(builder, card, converters)
        return builder

    return decorator


def _ensure_loaded() -> None:
    global _LOADED
    if not _LOADED:
        from . import models  # noqa: F401 - importing the families registers them

        _LOADED = True


# Architecture specs (convzoo.search.spec) by file path or by the name register_spec gave them;
# kept apart from _REGISTRY so that list_models() lists the zoo only.
_SPECS: dict[str, RegistryEntry] = {}


def register_spec(spec: dict[str, Any], name: str | None = None) -> str:
    """Make an architecture spec buildable by name (default: arch-<hash>); returns the name."""
    from .search.spec import spec_builder, spec_card, spec_hash

    name = name or f"arch-{spec_hash(spec)}"
    if name not in _SPECS:
        _SPECS[name] = RegistryEntry(spec_builder(spec), spec_card(spec, name))
    return name


def _spec_entry(name: str) -> RegistryEntry | None:
    """The entry of a spec file path (read once per path), or None when `name` is no spec path."""
    from .search.spec import is_spec_path, read_spec

    if name in _SPECS:
        return _SPECS[name]
    if not is_spec_path(name):
        return None
    if not Path(name).is_file():
        raise UnknownModelError(f"no architecture spec at {name!r} (expected a .json or .yaml file)")
    register_spec(read_spec(name), name)
    return _SPECS[name]


def _entry(name: str) -> RegistryEntry:
    _ensure_loaded()
    if name not in _REGISTRY and (spec := _spec_entry(name)) is not None:
        return spec
    if name not in _REGISTRY:
        raise UnknownModelError(name, close_names(name, list(_REGISTRY)))
    return _REGISTRY[name]


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching an fnmatch pattern (e.g. "vgg1?_bn"), sorted."""
    _ensure_loaded()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatchcase(n, pattern))


def pattern_suggestion(pattern: str) -> str | None:
    """A pattern that matches where `pattern` matched nothing: it in lower case, else as a prefix
    ('resnet' -> 'resnet*'), else as a substring ('net50' -> '*net50*'); None when none does."""
    lower = pattern.lower()
    candidates = [lower] if lower != pattern else []
    if not any(c in pattern for c in "*?["):
        candidates += [f"{lower}*", f"*{lower}*"]
    return next((c for c in candidates if list_models(c)), None)


def model_card(name: str) -> ModelCard:
    """The card of a registered model."""
    return _entry(name).card


def model_converters(name: str) -> Mapping[str, Converter]:
    """Checkpoint converters of a registered model, keyed by library."""
    return _entry(name).converters


def create_model(
    name: str,
    *,
    num_classes: int | None = None,
    in_chans: int | None = None,
    features_only: bool = False,
    out_indices: int | Sequence[int] | None = None,
    **kwargs: Any,
) -> nn.Module:
    """Build a registered model; `num_classes` and `in_chans` default to the paper's.

    `features_only=True` (timm's meaning) gives a module whose forward returns the list of stage maps
    `out_indices` (None: all the classifier's feature_info stages), with `feature_info.channels()`
    and `.reductions()`.
    """
    entry = _entry(name)
    if num_classes is not None:
        kwargs["num_classes"] = num_classes
    if in_chans is not None:
        kwargs["in_chans"] = in_chans
    if out_indices is not None and not features_only:
        raise ValueError("out_indices applies to features_only=True models only")
    model = entry.builder(**kwargs)
    model.model_name = name
    if features_only:
        from .models._features import features_only as backbone_of  # the models import the registry

        return backbone_of(model, out_indices)
    return model
