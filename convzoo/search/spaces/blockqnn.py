"""The BlockQNN block space (Zhong et al. 2018, Section 3.1): one decision per layer, a whole NSC.

The agent's state is the current layer's code and its action the next layer's code (Section 3.2),
so one decision picks a complete (type, kernel, pred1, pred2) for layer `index`; the terminal
layer ends the block, which is complete after `max_layers` layers.
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import lru_cache
from typing import Any

from torch import nn

from ...models.blockqnn import (
    LAYER_TYPES,
    MAX_LAYERS,
    NSC,
    PAPER,
    TEMPLATES,
    TERMINAL,
    BlockQNN,
    Template,
    edges,
    parse_block,
)
from .base import Choices, SearchSpace


@lru_cache(maxsize=64)
def layer_options(index: int) -> tuple[NSC, ...]:
    """Every valid code of layer `index` (Table 1), the terminal last."""
    options = []
    for t, (_, kernels, inputs) in LAYER_TYPES.items():
        if t == TERMINAL:
            continue
        for k in kernels:
            if inputs == 1:
                options += [NSC(index, t, k, p, 0) for p in range(index)]
            else:
                options += [NSC(index, t, k, a, b) for a in range(index) for b in range(a + 1, index)]
    return (*options, NSC(index, TERMINAL))


def _canonical(code: NSC) -> NSC:
    """Two-input layers list their predecessors in increasing order (add and concat commute)."""
    if LAYER_TYPES[code.type][2] == 2 and code.pred1 > code.pred2:
        return NSC(code.index, code.type, code.kernel, code.pred2, code.pred1)
    return code


class BlockQNNSpace(SearchSpace):
    """Blocks of at most `max_layers` layers, stacked in a template of Fig. 4 (keys of Template)."""

    name = "blockqnn"
    paper = PAPER

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"template": "cifar", "max_layers": MAX_LAYERS, **TEMPLATES["cifar"].to_dict()}

    def __init__(self, **settings: Any) -> None:
        template = settings.get("template", "cifar")
        if template not in TEMPLATES:
            raise ValueError(f"blockqnn template must be one of {', '.join(TEMPLATES)}, got {template!r}")
        super().__init__(**{**TEMPLATES[template].to_dict(), **settings})
        self.template = Template(**{k: self.settings[k] for k in TEMPLATES["cifar"].to_dict()})
        self.max_layers = int(self.settings["max_layers"])

    def num_options(self, prefix: Choices) -> int:
        index = len(prefix) + 1
        if prefix and layer_options(index - 1)[prefix[-1]].type == TERMINAL:
            return 0
        return len(layer_options(index)) if index <= self.max_layers else 0

    def state(self, prefix: Choices) -> Hashable:
        return layer_options(len(prefix))[prefix[-1]].as_tuple() if prefix else (0, 0, 0, 0, 0)

    def decode(self, choices: Choices) -> dict[str, Any]:
        codes = [layer_options(i)[c].as_tuple() for i, c in enumerate(choices, start=1)]
        return {"codes": [list(c) for c in codes if c[1] != TERMINAL]}

    def encode(self, arch: dict[str, Any]) -> Choices:
        block = parse_block(arch["codes"], self.max_layers)
        choices = tuple(layer_options(c.index).index(_canonical(c)) for c in block)
        if len(block) < self.max_layers:
            choices += (len(layer_options(len(block) + 1)) - 1,)
        return choices

    def build(self, arch: dict[str, Any], num_classes: int, in_chans: int) -> nn.Module:
        return BlockQNN(arch["codes"], self.template, num_classes, in_chans, max_layers=self.max_layers)

    def graph(self, arch: dict[str, Any]) -> tuple[list[str], list[tuple[int, int]]]:
        block = parse_block(arch["codes"], self.max_layers)
        labels = ["input", *(c.name for c in block), "output (concat)"]
        return labels, edges(block)
