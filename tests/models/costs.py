"""What a model costs the per-model tests, and which models are too heavy for the default run.

tests/models/test_every_model.py checks the contract of every registered model at the input
`small_size(model)`: it builds the model twice, converts it to float64 and back, copies it, and
runs a dozen forward passes of one or two images and one backward pass. Its time grows with the
model's parameters (initialising, converting, copying them), with the MACs of those passes and,
on a CPU at these small inputs, with the number of layers (each operation has a fixed cost, and a
loaded machine multiplies it: ResNet-152 took four times VGG-16's time there). The rule reads the
three from the model's card and its cost entry:

- `PARAMS_LIMIT` (150 M): a model with more parameters (its card's exact count) is slow-marked.
  The float64 copy alone of a 300 M-parameter ViT-L is 2.4 GB; VGG-A, the smallest VGG at 133 M,
  stays.
- `MACS_LIMIT` (1 G): a model whose forward pass of one image at the test's input side costs more
  multiply-accumulates is slow-marked: VGG-16/19, ViT-B/16, the 448x448 YOLOs, unet at 188x188,
  and, at 32x32, WRN-28-10 and the large DenseNet-BCs.
- `LAYERS_LIMIT` (100): a model of more weight layers (convolutions and fully connected layers,
  the depth a paper counts) is slow-marked: ResNet-101 and deeper, DenseNet-121 and deeper,
  EfficientNet-B1 and up, NASNet's cells. Each of these families keeps a shallower member in the
  default run, except NASNet, whose smallest net has 357 (tests/models/test_nasnet.py still runs).

Slow-marked tests run with `-m slow` (tests/conftest.py marks them).

The MACs at the test's input side are counted on the meta device (torch's FlopCounterMode through
convzoo.analysis.summary, as `convzoo summary` counts) and cached in `contract_costs.json` beside
this file: `python -m tests.models.costs` rewrites it. An entry is used while its parameter count
is the card's; a model missing from the cache (or changed since) is counted when asked for.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

import convzoo
from convzoo import io
from convzoo.analysis.build import build_on_meta
from convzoo.analysis.summary import summarize_registered
from convzoo.analysis.zoo_costs import load_cache
from tests.models.helpers import small_size, weight_layers

PARAMS_LIMIT = 150_000_000
MACS_LIMIT = 1_000_000_000
LAYERS_LIMIT = 100
CACHE = Path(__file__).with_name("contract_costs.json")


def count(name: str) -> dict:
    """Parameters, weight layers, the test's input side and the MACs of one image at that side,
    counted now."""
    card = convzoo.model_card(name)
    skeleton = build_on_meta(name)
    side = small_size(skeleton)
    macs = summarize_registered(name, (card.input_size[0], side, side)).total_macs
    return {"params": card.params, "layers": weight_layers(skeleton), "side": side, "macs": macs}


@cache
def cached() -> dict[str, dict]:
    """The cached entries {name: {params, layers, side, macs}}; empty when the file is absent."""
    return load_cache(CACHE)


@cache
def cost(name: str) -> dict:
    """The cached entry of `name` while its parameter count is the card's, else a fresh count."""
    entry = cached().get(name)
    return entry if entry and entry["params"] == convzoo.model_card(name).params else count(name)


def is_heavy(name: str) -> bool:
    """True when the model is over any of the three limits: its per-model tests run only with `-m slow`."""
    entry = cost(name)
    return entry["params"] > PARAMS_LIMIT or entry["macs"] > MACS_LIMIT or entry["layers"] > LAYERS_LIMIT


def main() -> None:
    """Count every registered model and rewrite the cache."""
    models = {}
    for name in convzoo.list_models():
        models[name] = count(name)
        print(f"{name:28s} {models[name]['side']:4d} px {models[name]['macs'] / 1e9:8.3f} GMACs", flush=True)
    payload = {
        "generated_by": "python -m tests.models.costs",
        "counter": "summarize_registered: MACs = FLOPs // 2, batch 1, side small_size(model)",
        "models": models,
    }
    io.atomic_write_bytes(CACHE, (json.dumps(payload, indent=1) + "\n").encode())
    print(f"{len(models)} models in {CACHE}", file=sys.stderr)


if __name__ == "__main__":
    main()
