"""What a lesson returns: the lecture's numbers next to the ones torch computed, and its picture.

A `Check` holds one number (or array) the lecture states and the value computed with real torch
ops; it passes when they agree within `tol`. An `Observation` is what an experiment showed next to
what the paper reports (a short training run need not reproduce a paper's curve, so it is reported,
not enforced). `convzoo lesson` exits non-zero when a check fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..analysis.table import format_table


def _plain(value: Any) -> Any:
    """Tensors and arrays as (nested) lists of Python numbers, for comparison and JSON."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _flat(value: Any) -> list[float]:
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [float(value)]


def _shape(value: Any) -> tuple[int, ...]:
    return (len(value), *_shape(value[0])) if isinstance(value, list) and value else ()


@dataclass(frozen=True)
class Check:
    """The lecture says `expected`; torch computed `computed`; they must agree within `tol`."""

    name: str
    expected: Any
    computed: Any
    tol: float = 0.0

    @property
    def ok(self) -> bool:
        expected, computed = _plain(self.expected), _plain(self.computed)
        if isinstance(expected, (bool, str)):
            return expected == computed
        if _shape(expected) != _shape(computed):
            return False
        pairs = zip(_flat(expected), _flat(computed), strict=True)
        return all(abs(e - c) <= self.tol * max(1.0, abs(e)) for e, c in pairs)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "expected": _plain(self.expected),
            "computed": _plain(self.computed),
            "tol": self.tol,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class Observation:
    """What a run showed (`shown`) against what the paper reports (`paper`); `agrees` says if they match."""

    name: str
    shown: str
    paper: str
    agrees: bool

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Lesson:
    """A lecture's worked example, computed: checks, tables of numbers, observations, and a picture."""

    topic: str
    title: str
    checks: list[Check] = field(default_factory=list)
    tables: list[tuple[str, Sequence[str], list[Sequence[Any]]]] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figure: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def check(self, name: str, expected: Any, computed: Any, tol: float = 0.0) -> Check:
        """Record (and return) one check of a lecture number against its computed value."""
        c = Check(name, _plain(expected), _plain(computed), tol)  # a snapshot: tensors may change later
        self.checks.append(c)
        return c

    def table(self, title: str, headers: Sequence[str], rows: list[Sequence[Any]]) -> None:
        self.tables.append((title, tuple(headers), [tuple(r) for r in rows]))

    def to_dict(self) -> dict:
        return {
            "topic": self.topic,
            "title": self.title,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
            "tables": [
                {"title": t, "headers": list(h), "rows": [[_plain(v) for v in r] for r in rows]}
                for t, h, rows in self.tables
            ],
            "observations": [o.to_dict() for o in self.observations],
            "notes": list(self.notes),
            "figure": str(self.figure) if self.figure else None,
            **({"data": _plain_tree(self.data)} if self.data else {}),
        }

    def to_text(self) -> str:
        parts = [self.title, ""]
        for title, headers, rows in self.tables:
            parts += [format_table(title, headers, [[_cell(v) for v in r] for r in rows], []), ""]
        width = max((len(c.name) for c in self.checks), default=0)
        for c in self.checks:
            mark = "ok  " if c.ok else "FAIL"
            parts.append(
                f"{mark} {c.name:<{width}}  lecture {_short(c.expected)}  computed {_short(c.computed)}"
            )
        for o in self.observations:
            parts.append(f"{'agrees ' if o.agrees else 'differs'} {o.name}: {o.shown} (paper: {o.paper})")
        parts += self.notes
        summary = f"{len(self.checks) - len(self.failed)}/{len(self.checks)} checks agree with the lecture"
        parts += ["", summary + (f"; picture: {self.figure}" if self.figure else "")]
        return "\n".join(parts)


def _plain_tree(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain_tree(v) for k, v in obj.items()}
    return _plain(obj)


def _short(value: Any, width: int = 48) -> str:
    text = _cell(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _cell(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        if not value:
            return "none"
        if value and isinstance(value[0], list):
            return " / ".join(_cell(v) for v in value)
        return " ".join(_cell(v) for v in value)
    return str(value)


def pyplot():
    """matplotlib.pyplot on the Agg backend (lessons draw files, never windows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def annotate_matrix(ax, values: torch.Tensor, cmap: str = "Greys", fmt: str = "{:g}", **imshow) -> None:
    """Show a small matrix with its numbers written in the cells."""
    array = values.detach().float().cpu().numpy()
    ax.imshow(array, cmap=cmap, **imshow)
    lo, hi = float(array.min()), float(array.max())
    for (i, j), v in np.ndenumerate(array):
        dark = hi > lo and (v - lo) / (hi - lo) > 0.6 and cmap in ("Greys", "Blues", "Oranges")
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_xticks([])
    ax.set_yticks([])
