"""The zoo at a glance: parameters, MACs and reported top-1 of every ImageNet classifier.

MACs are counted at each model's default input size (its card's `input_size`) with the same
counter as `convzoo summary`. Counting a hundred models takes a minute or two, so the counts are
cached in `zoo_costs_cache.json` beside this file, written by `python benchmarks/zoo_costs.py`; an entry
is used only while its parameter count and input size still match the card, and models missing
from the cache (or changed since) are counted when asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..cards import ModelCard
from ..registry import list_models, model_card
from .summary import summarize_registered

CACHE = Path(__file__).with_name("zoo_costs_cache.json")
IMAGENET = ("ILSVRC", "ImageNet")
TOP1 = {"top-1 accuracy": lambda v: v, "top-1 error": lambda v: 100.0 - v}


@dataclass(frozen=True)
class ZooPoint:
    """One model on the zoo chart."""

    name: str
    family: str
    year: int
    params: int
    macs: int
    input_size: tuple[int, ...]
    top1: float | None  # top-1 accuracy in %, from the card; None when the card reports none
    top1_note: str
    macs_from: str  # "cache" or "counted"

    def to_dict(self) -> dict:
        return {**self.__dict__, "input_size": list(self.input_size)}


def is_imagenet_classifier(card: ModelCard) -> bool:
    """A classifier trained on ImageNet: it reports ImageNet results or takes ImageNet-sized RGB input."""
    if card.task != "classification":
        return False
    reports = any(r.dataset.startswith(IMAGENET) for r in card.results)
    return reports or (card.input_size[0] == 3 and min(card.input_size[1:]) >= 128)


def reported_top1(card: ModelCard) -> tuple[float | None, str]:
    """The first top-1 result on ImageNet the card lists (as accuracy in %) and its note."""
    for r in card.results:
        if r.metric in TOP1 and r.dataset.startswith(IMAGENET):
            return round(
                TOP1[r.metric](r.value), 2
            ), f"{r.metric} {r.value} ({r.dataset} {r.split}; {r.note})"
    return None, ""


def load_cache(path: Path = CACHE) -> dict[str, dict]:
    """The cached counts {name: {params, macs, input_size}}; empty when the file is absent."""
    if not path.is_file():
        return {}
    return json.loads(path.read_text())["models"]


def count(name: str) -> dict:
    """Parameters and MACs of a registered model at its card's input size."""
    card = model_card(name)
    result = summarize_registered(name, card.input_size)
    return {"params": result.total_params, "macs": result.total_macs, "input_size": list(card.input_size)}


def zoo_points(pattern: str = "*", cache: dict[str, dict] | None = None) -> list[ZooPoint]:
    """Every registered ImageNet classifier matching `pattern`, with its cost and reported top-1."""
    cache = load_cache() if cache is None else cache
    points = []
    for name in list_models(pattern):
        card = model_card(name)
        if not is_imagenet_classifier(card):
            continue
        entry = cache.get(name)
        fresh = entry and entry["params"] == card.params and tuple(entry["input_size"]) == card.input_size
        cost = entry if fresh else count(name)
        top1, note = reported_top1(card)
        points.append(
            ZooPoint(
                name,
                card.family,
                card.year,
                cost["params"],
                cost["macs"],
                card.input_size,
                top1,
                note,
                "cache" if fresh else "counted",
            )
        )
    return points
