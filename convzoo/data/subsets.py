"""Seeded, stratified subsets: `--train-limit N` of a class-per-folder dataset keeps its class mix."""

from __future__ import annotations

import random
from collections.abc import Sequence


def stratified_indices(labels: Sequence[int], count: int, seed: int = 0) -> list[int]:
    """`count` indices drawn per class in proportion to the class sizes (largest remainders get the
    leftover places; every class gets at least one when count allows), each class's chosen at
    random with `seed`. Sorted, so the subset keeps the split's order."""
    by_class: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(int(label), []).append(index)
    total = len(labels)
    if count >= total:
        return list(range(total))
    quotas = {c: count * len(items) / total for c, items in by_class.items()}
    taken = {c: int(q) for c, q in quotas.items()}
    if count >= len(by_class):  # one of every class, the places taken from the largest shares
        for c in taken:
            taken[c] = max(1, taken[c])
        while sum(taken.values()) > count:
            taken[max(taken, key=lambda c: (taken[c], -c))] -= 1
    leftover = count - sum(taken.values())
    for c in sorted(by_class, key=lambda c: (-(quotas[c] - taken[c]), c))[:leftover]:
        taken[c] += 1
    rng = random.Random(seed)
    chosen = []
    for c in sorted(by_class):
        items = list(by_class[c])
        rng.shuffle(items)
        chosen += items[: taken[c]]
    return sorted(chosen)
