"""Model cards: what a registered model is, where it comes from, and what its paper reported."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Paper:
    """The publication an architecture comes from."""

    title: str
    authors: str
    year: int
    link: str


@dataclass(frozen=True)
class PaperResult:
    """One number the paper reported, e.g. top-1 error on the ILSVRC-2012 validation set.

    `source` names where the number comes from when it is not the card's paper (a released model,
    a later paper that trained the configuration); empty: the paper's own.
    """

    metric: str
    value: float
    dataset: str
    split: str
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class ModelCard:
    """Everything convzoo knows about one registered model name.

    `params` is the exact parameter count at the default configuration (a test checks it);
    `compatible` maps a library to its model name whose checkpoints this model loads.
    """

    name: str
    family: str
    paper: Paper
    input_size: tuple[int, int, int]
    params: int
    results: tuple[PaperResult, ...] = ()
    compatible: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""
    task: str = "classification"

    def __post_init__(self) -> None:
        if not isinstance(self.compatible, MappingProxyType):
            object.__setattr__(self, "compatible", MappingProxyType(dict(self.compatible)))
        object.__setattr__(self, "results", tuple(self.results))
        object.__setattr__(self, "input_size", tuple(self.input_size))

    @property
    def title(self) -> str:
        return self.paper.title

    @property
    def authors(self) -> str:
        return self.paper.authors

    @property
    def year(self) -> int:
        return self.paper.year

    @property
    def link(self) -> str:
        return self.paper.link

    def variant(self, **changes: Any) -> ModelCard:
        """A copy with some fields changed: variants of one family share most of their card."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (used by `convzoo info --json`)."""
        return {
            "name": self.name,
            "family": self.family,
            "task": self.task,
            "paper": {
                "title": self.title,
                "authors": self.authors,
                "year": self.year,
                "link": self.link,
            },
            "input_size": list(self.input_size),
            "params": self.params,
            "results": [
                {
                    "metric": r.metric,
                    "value": r.value,
                    "dataset": r.dataset,
                    "split": r.split,
                    "note": r.note,
                    "source": r.source or "paper",
                }
                for r in self.results
            ],
            "compatible": dict(self.compatible),
            "notes": self.notes,
        }


def top_errors(
    top1: float, top5: float | None, note: str, dataset: str = "ILSVRC-2012", split: str = "val"
) -> tuple[PaperResult, ...]:
    """The top-1 and (when the paper gives it) top-5 error of one evaluation, as PaperResults."""
    results = [PaperResult("top-1 error", top1, dataset, split, note)]
    if top5 is not None:
        results.append(PaperResult("top-5 error", top5, dataset, split, note))
    return tuple(results)
