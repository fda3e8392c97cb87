"""Architecture specs: a searched network as a small JSON/YAML file that every command accepts.

    space: blockqnn                     # a name of convzoo.search.spaces.SPACES
    settings: {template: cifar, ...}    # the space's fixed parts (template, filters, input size)
    arch: {codes: [[1, 1, 3, 0, 0], ...]}   # what the search chose
    in_chans: 3

`create_model("best.yaml")`, `convzoo train --arch best.yaml` and `convzoo summary --arch best.yaml`
build it like a registered model: the registry resolves a spec path to an entry whose card is
made here (family = the space, paper = the space's paper, exact parameter count).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from torch import nn

from ..cards import ModelCard, Paper
from ..io import atomic_write
from .spaces import SearchSpace, get_space

SPEC_SUFFIXES = (".json", ".yaml", ".yml")
KEYS = ("space", "settings", "arch", "in_chans")


class SpecError(ValueError):
    """A spec file or mapping that convzoo cannot build; the message says what was expected."""


def make_spec(space: SearchSpace, arch: dict[str, Any], in_chans: int = 3) -> dict[str, Any]:
    """The spec of an architecture of `space` (validated by encoding it)."""
    space.encode(arch)
    return {"space": space.name, "settings": dict(space.settings), "arch": arch, "in_chans": int(in_chans)}


def spec_space(spec: dict[str, Any]) -> SearchSpace:
    """The space a spec belongs to, with the spec's settings; raises SpecError on a malformed spec."""
    if not isinstance(spec, dict) or not {"space", "arch"} <= set(spec):
        got = sorted(spec) if isinstance(spec, dict) else type(spec).__name__
        raise SpecError(f"an architecture spec is a mapping with keys space, settings, arch; got {got}")
    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        raise SpecError(f"architecture spec: unknown key(s) {', '.join(unknown)}; valid: {', '.join(KEYS)}")
    try:
        space = get_space(spec["space"], **(spec.get("settings") or {}))
        space.encode(spec["arch"])
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise SpecError(f"architecture spec ({spec['space']}): {_message(e)}") from None
    return space


def _message(e: Exception) -> str:
    return f"missing key {e}" if isinstance(e, KeyError) else str(e)


def spec_hash(spec: dict[str, Any]) -> str:
    """A short stable hash of what defines the network (space, settings, arch)."""
    text = json.dumps({k: spec.get(k) for k in ("space", "settings", "arch")}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def build_from_spec(spec: dict[str, Any], num_classes: int = 10, in_chans: int | None = None) -> nn.Module:
    """The network a spec describes."""
    space = spec_space(spec)
    return space.build(spec["arch"], num_classes, in_chans or int(spec.get("in_chans", 3)))


def read_spec(path: str | Path) -> dict[str, Any]:
    """A spec from a .json/.yaml file; SpecError names the file and what is wrong."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise SpecError(f"cannot read architecture spec {path}: {e.strerror}") from None
    try:
        spec = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise SpecError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'} ({e})") from None
    try:
        spec_space(spec)
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None
    return spec


def write_spec(spec: dict[str, Any], path: str | Path) -> Path:
    """Write a spec atomically: JSON for .json, YAML otherwise."""
    path = Path(path)
    text = (
        json.dumps(spec, indent=2) + "\n" if path.suffix == ".json" else yaml.safe_dump(spec, sort_keys=False)
    )
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def is_spec_path(name: str) -> bool:
    return name.endswith(SPEC_SUFFIXES)


def spec_card(spec: dict[str, Any], name: str) -> ModelCard:
    """The card of a spec's network: its space's paper, the exact parameter count at 10 classes."""
    space = spec_space(spec)
    size = space.default_input_size()
    in_chans = int(spec.get("in_chans", 3))
    model = space.build(spec["arch"], 10, in_chans)
    paper = space.paper or Paper("architecture search", "convzoo", 2026, "")
    return ModelCard(
        name=name,
        family=space.name,
        paper=paper,
        input_size=(in_chans, size, size),
        params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        notes=f"searched {space.name} architecture {spec_hash(spec)} (parameters counted at 10 classes)",
        task="classification",
    )


def spec_builder(spec: dict[str, Any]):
    """A registry builder for a spec: builder(num_classes=10, in_chans=...) -> nn.Module."""

    def build(num_classes: int = 10, in_chans: int | None = None, **kwargs: Any) -> nn.Module:
        if kwargs:
            raise TypeError(
                f"a searched architecture takes num_classes and in_chans only, got {sorted(kwargs)}"
            )
        return build_from_spec(spec, num_classes, in_chans)

    return build
