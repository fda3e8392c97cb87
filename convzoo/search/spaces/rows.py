"""Row spaces: a network searched through the zoo's own stage rows and builders.

`resnet`: the stages of a CIFAR ResNet (Section 4.2 of He et al.), each searched for its number of
basic blocks and its width, built by `convzoo.models.resnet.ResNet`. `mbconv`: EfficientNet-B0's
seven MBConvRow stages (Table 1 of Tan & Le), each searched for kernel, expansion, repeats and
squeeze-and-excitation (the choices of MnasNet's factorised space), widths scaled by `width`,
built by `convzoo.models.mobilenet.MBConvNet`.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, ClassVar

from torch import nn

from ...layers.conv import make_divisible
from ...layers.mbconv import MBConvRow, scale_rows
from ...models.efficientnet import EFFICIENTNET_B0_ROWS, HEAD_CHS, STEM_CHS
from ...models.efficientnet import PAPER as EFFICIENTNET_PAPER
from ...models.mobilenet import MBConvNet
from ...models.resnet import PAPER as RESNET_PAPER
from ...models.resnet import ResNet, ResNetConfig, StageRow
from .base import Choices, SearchSpace


class RowSpace(SearchSpace):
    """Per stage, one decision per field of OPTIONS (a dict field -> allowed values)."""

    OPTIONS: ClassVar[dict[str, tuple]] = {}

    def stages(self) -> int:
        raise NotImplementedError

    def num_options(self, prefix: Choices) -> int:
        if len(prefix) >= self.stages() * len(self.OPTIONS):
            return 0
        return len(list(self.OPTIONS.values())[len(prefix) % len(self.OPTIONS)])

    def decode(self, choices: Choices) -> dict[str, Any]:
        keys = list(self.OPTIONS)
        rows = []
        for s in range(self.stages()):
            part = choices[s * len(keys) : (s + 1) * len(keys)]
            rows.append({k: self.OPTIONS[k][c] for k, c in zip(keys, part, strict=True)})
        return {"stages": rows}

    def encode(self, arch: dict[str, Any]) -> Choices:
        choices = []
        for s, row in enumerate(arch["stages"]):
            for k, allowed in self.OPTIONS.items():
                if row[k] not in allowed:
                    raise ValueError(f"stage {s}: {k} must be one of {allowed}, got {row[k]!r}")
                choices.append(allowed.index(row[k]))
        return tuple(choices)


class ResNetRowSpace(RowSpace):
    """Three CIFAR stages (stride 1, 2, 2) of basic blocks; projection shortcuts where shapes change."""

    name = "resnet"
    paper = RESNET_PAPER
    OPTIONS: ClassVar[dict[str, tuple]] = {"blocks": (1, 2, 3, 4, 5), "width": (8, 16, 24, 32, 48, 64)}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"num_stages": 3, "input_size": 32}

    def stages(self) -> int:
        return int(self.settings["num_stages"])

    def build(self, arch: dict[str, Any], num_classes: int, in_chans: int) -> nn.Module:
        rows = tuple(
            StageRow(r["blocks"], r["width"], r["width"], 1 if i == 0 else 2)
            for i, r in enumerate(arch["stages"])
        )
        cfg = ResNetConfig("basic", rows, stem="cifar", stem_chs=rows[0].width, shortcut="B")
        return ResNet(cfg, num_classes, in_chans)


class MBConvRowSpace(RowSpace):
    """EfficientNet-B0's rows with searched kernel, expansion, repeats and SE; strides and widths kept."""

    name = "mbconv"
    paper = EFFICIENTNET_PAPER
    OPTIONS: ClassVar[dict[str, tuple]] = {
        "kernel": (3, 5),
        "expand": (1, 3, 6),
        "repeats": (1, 2, 3, 4),
        "se": (0.0, 0.25),
    }

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"width": 1.0, "input_size": 224}

    def stages(self) -> int:
        return len(EFFICIENTNET_B0_ROWS)

    def build(self, arch: dict[str, Any], num_classes: int, in_chans: int) -> nn.Module:
        base = scale_rows(EFFICIENTNET_B0_ROWS, float(self.settings["width"]))
        rows = tuple(replace(row, **r) for row, r in zip(base, arch["stages"], strict=True))
        width = float(self.settings["width"])
        return MBConvNet(
            rows,
            make_divisible(STEM_CHS * width),
            make_divisible(HEAD_CHS * width),
            act=nn.SiLU,
            resolution=int(self.settings["input_size"]),
            num_classes=num_classes,
            in_chans=in_chans,
        )


def row_dicts(rows: tuple[MBConvRow, ...]) -> list[dict]:
    """MBConvRows as the searched fields of this space (for writing a zoo network as an arch)."""
    keys = MBConvRowSpace.OPTIONS
    return [{k: v for k, v in asdict(r).items() if k in keys} for r in rows]
