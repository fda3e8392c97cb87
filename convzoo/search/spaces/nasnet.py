"""The NASNet-A cell space (Zoph et al. 2018, Section 3, Fig. 3).

A cell has B = 5 blocks; each block makes four decisions in the paper's order: a hidden state for
the left input, one for the right (0 = h_i, 1 = h_{i-1}, 2 + k = block k's output), an operation
for each. The combination is addition, the one NASNet-A uses. The Normal Cell is searched first,
then the Reduction Cell (whose operations on h_i and h_{i-1} have stride 2, so identity is not an
option there, and on h_{i-1} only separable convolutions, which the first stem cell needs). The
cell's output concatenates the block outputs no block reads, and the Normal Cell also
concatenates h_{i-1}, as the authors' release does. An arch may list a cell's output states
itself (`"reduction_concat"`): the release's NASNet-A Reduction Cell concatenates block 1's output
although block 3 reads it. Written so, the NASNet-A cells of `convzoo.models.nasnet` rebuild
nasnet_a_large and nasnet_a_mobile exactly (`nasnet_a_arch`).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from torch import nn

from ...models.nasnet import (
    NASNET_A_NORMAL,
    NASNET_A_REDUCTION,
    NASNET_CONFIGS,
    OPERATIONS,
    PAPER,
    Block,
    CellSpec,
    NASNet,
    NASNetConfig,
)
from .base import Choices, SearchSpace

BLOCKS = 5
CELLS = ("normal", "reduction")


def cell_concat(blocks: tuple[Block, ...], reduction: bool) -> tuple[int, ...]:
    """The states a cell outputs: unread block outputs (and h_{i-1} for a Normal Cell)."""
    read = {b.left for b in blocks} | {b.right for b in blocks}
    unread = tuple(2 + k for k in range(len(blocks)) if 2 + k not in read)
    return unread if reduction else (1, *unread)


def cell_spec(rows: list[list], reduction: bool, concat: list[int] | None = None) -> CellSpec:
    """A CellSpec from rows [left, left_op, right, right_op] (and the output states, if listed)."""
    blocks = tuple(Block(int(a), str(op_a), int(b), str(op_b)) for a, op_a, b, op_b in rows)
    out = tuple(concat) if concat is not None else cell_concat(blocks, reduction)
    return CellSpec(blocks, out, reduction)


def cell_rows(spec: CellSpec) -> list[list]:
    return [[b.left, b.left_op, b.right, b.right_op] for b in spec.blocks]


def nasnet_a_arch() -> dict[str, Any]:
    """The NASNet-A cells (Fig. 4) as an arch of this space."""
    arch: dict[str, Any] = {"normal": cell_rows(NASNET_A_NORMAL), "reduction": cell_rows(NASNET_A_REDUCTION)}
    for name, spec in (("normal", NASNET_A_NORMAL), ("reduction", NASNET_A_REDUCTION)):
        if spec.concat != cell_concat(spec.blocks, spec.reduction):
            arch[f"{name}_concat"] = list(spec.concat)
    return arch


class NASNetSpace(SearchSpace):
    """Normal and Reduction Cells in the network of Fig. 2; settings are NASNetConfig's fields."""

    name = "nasnet"
    paper = PAPER

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        mobile = NASNET_CONFIGS["mobile"]
        return {f.name: getattr(mobile, f.name) for f in fields(NASNetConfig) if not f.name.endswith("cell")}

    def _ops(self, cell: int, block: int, side_state: int) -> tuple[str, ...]:
        if CELLS[cell] == "reduction" and side_state == 1:
            # The first stem cell reads the raw stem output as h_{i-1}, narrower than its filters:
            # only a separable op maps widths (NASNet-A's Reduction Cell uses only those there).
            return tuple(op for op in OPERATIONS if op.startswith("sep"))
        if CELLS[cell] == "reduction" and side_state == 0:
            return tuple(op for op in OPERATIONS if op != "identity")  # stride 2
        return OPERATIONS

    def _walk(self, choices: Choices) -> list[list[list]]:
        """Decode as far as the choices go: rows per cell, each [left, left_op, right, right_op]."""
        cells: list[list[list]] = [[], []]
        for i, c in enumerate(choices):
            cell, rest = divmod(i, BLOCKS * 4)
            block, part = divmod(rest, 4)
            if part == 0:
                cells[cell].append([c])
            elif part in (1, 3):
                cells[cell][block].append(self._ops(cell, block, cells[cell][block][part - 1])[c])
            else:
                cells[cell][block].append(c)
        return cells

    def num_options(self, prefix: Choices) -> int:
        i = len(prefix)
        if i >= len(CELLS) * BLOCKS * 4:
            return 0
        cell, rest = divmod(i, BLOCKS * 4)
        block, part = divmod(rest, 4)
        if part in (0, 2):
            return 2 + block
        row = self._walk(prefix)[cell][block]
        return len(self._ops(cell, block, row[part - 1]))

    def decode(self, choices: Choices) -> dict[str, Any]:
        normal, reduction = self._walk(choices)
        return {"normal": normal, "reduction": reduction}

    def encode(self, arch: dict[str, Any]) -> Choices:
        choices: list[int] = []
        for cell, name in enumerate(CELLS):
            for block, (a, op_a, b, op_b) in enumerate(arch[name]):
                choices += [
                    a,
                    self._ops(cell, block, a).index(op_a),
                    b,
                    self._ops(cell, block, b).index(op_b),
                ]
        return tuple(choices)

    def config(self, arch: dict[str, Any]) -> NASNetConfig:
        return NASNetConfig(
            **self.settings,
            normal_cell=cell_spec(arch["normal"], False, arch.get("normal_concat")),
            reduction_cell=cell_spec(arch["reduction"], True, arch.get("reduction_concat")),
        )

    def build(self, arch: dict[str, Any], num_classes: int, in_chans: int) -> nn.Module:
        return NASNet(self.config(arch), num_classes, in_chans)

    def graph(self, arch: dict[str, Any]) -> tuple[list[str], list[tuple[int, int]]]:
        spec = cell_spec(arch["normal"], False, arch.get("normal_concat"))
        labels = ["h_i", "h_i-1"] + [f"{b.left_op} + {b.right_op}" for b in spec.blocks] + ["concat"]
        out = len(labels) - 1
        links = [(s, 2 + k) for k, b in enumerate(spec.blocks) for s in (b.left, b.right)]
        return labels, links + [(s, out) for s in spec.concat]
