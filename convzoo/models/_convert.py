"""Checkpoint converters shared by several families: torchvision's and timm's MobileNet / EfficientNet
layouts onto the MBConv blocks of `layers.mbconv` (a family's own converters live in its file)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..weights import rename_keys

# Converters: other libraries name a block's layers by position (torchvision) or by kind (timm);
# both map onto `mbconv_layout`.
CONV_OR_BN = {"0": "conv", "1": "bn"}
_TIMM_SE = {"conv_reduce": "fc1", "conv_expand": "fc2"}


def place_positional(prefix: str, layout: Sequence[str], position: int, rest: str) -> str | None:
    """Our key for torchvision's `block.{position}.{rest}`: the position-th layer of `layout`, in
    which `0` / `1` are the conv / BN and squeeze-and-excitation keeps its `fc1` / `fc2`."""
    if position >= len(layout):
        return None
    role = layout[position]
    if role == "se":
        return f"{prefix}.se.{rest}" if rest.startswith(("fc1.", "fc2.")) else None
    head, _, tail = rest.partition(".")
    return f"{prefix}.{role}.{CONV_OR_BN[head]}.{tail}" if head in CONV_OR_BN else None


def place_timm(prefix: str, layout: Sequence[str], name: str, rest: str) -> str | None:
    """Our key for timm's `{name}.{rest}` in a block: convs named by kind (conv_pw, conv_dw,
    conv_pwl; conv_exp or conv for a fused block), BNs by position (bn1, bn2, bn3), SE as
    conv_reduce / conv_expand."""
    convs = [n for n in layout if n != "se"]
    if name == "se":
        key, _, tail = rest.partition(".")
        return f"{prefix}.se.{_TIMM_SE[key]}.{tail}" if key in _TIMM_SE and "se" in layout else None
    if name.startswith("bn") and name[2:].isdigit():
        k = int(name[2:])
        return f"{prefix}.{convs[k - 1]}.bn.{rest}" if 1 <= k <= len(convs) else None
    pw = "expand" if "expand" in layout else layout[-1]
    # conv_exp: an EdgeResidual's (Fused-MBConv's) k x k conv; conv: a ConvBnAct block's only conv
    role = {"conv_dw": "dw", "conv_pwl": "project", "conv_pw": pw, "conv_exp": "fused", "conv": "fused"}.get(
        name
    )
    return f"{prefix}.{role}.conv.{rest}" if role in convs else None


# timm's key of a layer inside block S.B: blocks.S.B.{layer}.{rest}
TIMM_BLOCK = r"blocks\.(\d+)\.(\d+)\.(\w+)\.(.+)"


def timm_block_placer(layouts: Sequence[tuple[str, Sequence[str]]]) -> Callable[[re.Match], str | None]:
    """The rename rule for a TIMM_BLOCK match: timm's blocks.S.B is our stages.S.B, its layers
    placed by `place_timm` in the block's layout; None for a block we do not have."""
    by_name = dict(layouts)

    def block(m: re.Match) -> str | None:
        prefix = f"stages.{m[1]}.{m[2]}"
        return place_timm(prefix, by_name[prefix], m[3], m[4]) if prefix in by_name else None

    return block


def timm_converter(layouts: Sequence[tuple[str, Sequence[str]]]) -> Callable[[dict], dict]:
    """A converter from timm's MobileNet / EfficientNet layout (conv_stem, blocks.S.B, conv_head),
    given (module name, layout) of our blocks as `block_layouts` lists them."""
    block = timm_block_placer(layouts)

    def from_timm(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (r"conv_stem\.(weight)", r"stem.conv.\1"),
                (r"bn1\.(\w+)", r"stem.bn.\1"),
                (r"conv_head\.(weight)", r"conv_head.conv.\1"),
                (r"bn2\.(\w+)", r"conv_head.bn.\1"),
                (r"classifier\.(weight|bias)", r"head.fc.\1"),
                (TIMM_BLOCK, block),
            ],
            "timm",
        )

    return from_timm


def torchvision_converter(
    layouts: Sequence[tuple[str, Sequence[str]]],
    classifier: dict[str, str],
    *,
    flat: bool,
    split_project: bool = False,
) -> Callable[[dict], dict]:
    """A converter from torchvision's MobileNet v2/v3 and EfficientNet layout.

    `features.0` is the stem, then the blocks - flat `features.N` (MobileNet, `flat=True`) or one
    `features.S` per stage (EfficientNet) - then the 1x1 conv; `classifier.I` maps to
    `head.{classifier[I]}`. MobileNet v2 keeps the projection's conv and BN as two positions
    (`split_project`).
    """
    by_name = dict(layouts)
    names = list(by_name)
    stages = {n.rsplit(".", 1)[0] for n in names}
    last = (len(names) if flat else len(stages)) + 1

    def block(m) -> str | None:
        if flat:
            n = int(m[1])
            prefix = names[n - 1] if 1 <= n <= len(names) else None
        else:
            prefix = f"stages.{int(m[1]) - 1}.{m[2]}"
        if prefix not in by_name:
            return None
        layout, position, rest = by_name[prefix], int(m[3]), m[4]
        if split_project and position >= len(layout) - 1:
            part = "conv" if position == len(layout) - 1 else "bn"
            return f"{prefix}.project.{part}.{rest}" if position <= len(layout) else None
        return place_positional(prefix, layout, position, rest)

    block_pattern = (
        r"features\.(\d+)()\.(?:block|conv)\.(\d+)\.(.+)"
        if flat
        else (r"features\.(\d+)\.(\d+)\.block\.(\d+)\.(.+)")
    )

    def from_torchvision(state_dict: dict) -> dict:
        return rename_keys(
            state_dict,
            [
                (r"features\.0\.([01])\.(\w+)", lambda m: f"stem.{CONV_OR_BN[m[1]]}.{m[2]}"),
                (rf"features\.{last}\.([01])\.(\w+)", lambda m: f"conv_head.{CONV_OR_BN[m[1]]}.{m[2]}"),
                (block_pattern, block),
                (
                    r"classifier\.(\d+)\.(weight|bias)",
                    lambda m: f"head.{classifier[m[1]]}.{m[2]}" if m[1] in classifier else None,
                ),
            ],
            "torchvision",
        )

    return from_torchvision
