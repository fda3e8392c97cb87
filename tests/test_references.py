"""Every checkpoint a card claims to load reproduces that library's reference logits (../shared/reference)."""

from __future__ import annotations

import pytest
import torch

import convzoo
from tests.conftest import REFERENCE_DIR

CLAIMS = [
    (name, library, other)
    for name in convzoo.list_models()
    for library, other in convzoo.model_card(name).compatible.items()
]


def reference_for(library: str, other: str, seeded) -> dict | None:
    for ref_name in seeded.names():
        ref = seeded.load(ref_name)
        if (ref["library"], ref["model"]) == (library, other):
            return ref
    return None


@pytest.mark.parametrize(
    ("name", "library", "other"), CLAIMS, ids=[f"{n}<-{lib}:{o}" for n, lib, o in CLAIMS]
)
def test_reference_logits_reproduced(name, library, other, seeded):
    ref = reference_for(library, other, seeded)
    if ref is None:
        pytest.skip(f"no reference record of {library}:{other} in {REFERENCE_DIR}")
    model = convzoo.create_model(name).eval()
    report = convzoo.load_weights(model, seeded.state_dict(ref))
    assert report.layout == library
    with torch.no_grad():
        out = model(seeded.input_batch(ref))
    seeded.check(out, ref)


def test_every_classic_reference_has_a_model(seeded):
    """The records this family set must cover (the foundation's proof)."""
    claimed = {(lib, other) for _, lib, other in CLAIMS}
    for ref_name in ("alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"):
        ref = seeded.load(ref_name)
        assert (ref["library"], ref["model"]) in claimed, ref_name
