"""Copy the layers two models share: `--init-from`, and VGG's progressive initialisation.

Simonyan & Zisserman (Sec. 3.1) trained configuration A first, then started the deeper ones
from its first four convolutional layers and its three fully connected layers, the rest random.
In VGG's conv{stage}_{index} naming, A's first four layers (conv1_1, conv2_1, conv3_1, conv3_2)
exist with the same shapes in every deeper configuration, so they are copied by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

from ..weights import read_source


@dataclass
class CopyReport:
    """The tensors copied, and the source tensors left out (absent in the target or another shape)."""

    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        more = " ..." if len(self.copied) > 12 else ""
        return [f"copied {len(self.copied)} tensors: {', '.join(self.copied[:12])}{more}"]


def vgg_progressive_keys(source_state: dict) -> list[str]:
    """The keys of the first four conv layers and the three fc layers of a VGG state dict."""
    convs = sorted(
        {k.rsplit(".conv.", 1)[0] for k in source_state if k.startswith("stages.") and ".conv." in k},
        key=lambda p: tuple(int(x) for x in p.split(".")[1:3]),
    )[:4]
    keep = (*(f"{c}." for c in convs), "head.fc6.", "head.fc7.", "head.fc.")
    return [k for k in source_state if k.startswith(keep)]


def init_from(model: nn.Module, source: str | Path | dict, keys: list[str] | None = None) -> CopyReport:
    """Copy every tensor of `source` (or only `keys`) whose name and shape the model shares."""
    state = read_source(source)
    target = model.state_dict()
    wanted = state.keys() if keys is None else keys
    report = CopyReport()
    update = {}
    for key in wanted:
        if key in target and state[key].shape == target[key].shape:
            update[key] = state[key]
            report.copied.append(key)
        else:
            report.skipped.append(key)
    if not update:
        raise ValueError(
            "no tensor of the source has a name and shape the model shares; is it another architecture?"
        )
    model.load_state_dict(update, strict=False)
    return report
