"""Every checkpoint a card claims to load reproduces that library's reference logits.

The records are the repository's (tests/reference_records, made by scripts/make_library_records.py)
and those of ../shared/reference when it is beside the repository.
"""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.registry import model_converters
from tests import library_reference
from tests.conftest import REFERENCE_DIR

CLAIMS = [
    (name, library, other)
    for name in convzoo.list_models()
    for library, other in convzoo.model_card(name).compatible.items()
]
RECORDS = {}  # (library, library model name) -> record; the repository's record wins
for _path in reversed(library_reference.record_paths()):
    _ref = library_reference.load(_path)
    RECORDS[(_ref["library"], _ref["model"])] = _ref | {"path": str(_path)}
# A repository record of a model this large runs in the slow pass only (the default run stays short).
SLOW_PARAMS, SLOW_MACS = 30_000_000, 3_000_000_000


def _claim(name: str, library: str, other: str):
    ref = RECORDS.get((library, other))
    heavy = (
        ref is not None
        and library_reference.RECORD_DIR.name in ref["path"]
        and (ref["params"] > SLOW_PARAMS or ref["macs"] * ref["input_shape"][0] > SLOW_MACS)
    )
    return pytest.param(
        name, library, other, id=f"{name}<-{library}:{other}", marks=[pytest.mark.slow] * heavy
    )


@pytest.mark.parametrize(("name", "library", "other"), [_claim(*c) for c in CLAIMS])
def test_reference_logits_reproduced(name, library, other):
    ref = RECORDS.get((library, other))
    if ref is None:
        pytest.skip(f"no reference record of {library}:{other} in {REFERENCE_DIR}")
    model = convzoo.create_model(name).eval()
    report = convzoo.load_weights(model, library_reference.state_dict(ref))
    converters = model_converters(name)
    # timm keeps torchvision's layout for some families: one converter serves both, and either name fits
    assert converters[report.layout] is converters[library]
    with torch.no_grad():
        err = library_reference.max_error(model(library_reference.input_batch(ref)), ref)
    assert err <= ref["atol"], f"{name}: max abs error {err:.3g} > atol {ref['atol']:.3g}"


def test_every_claim_has_a_record():
    """A card names only checkpoints whose reference logits a record holds."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference records not found at {REFERENCE_DIR} (set CONVZOO_SHARED)")
    assert [c for c in CLAIMS if (c[1], c[2]) not in RECORDS] == []


def test_every_record_is_claimed():
    """None of the repository's records goes unclaimed (a record without a card is a dead proof)."""
    claimed = {(library, other) for _, library, other in CLAIMS}
    unclaimed = [
        ref["name"]
        for ref in RECORDS.values()
        if library_reference.RECORD_DIR.name in ref["path"] and (ref["library"], ref["model"]) not in claimed
    ]
    assert unclaimed == []


def test_every_classic_reference_has_a_model(seeded):
    """The records this family set must cover (the foundation's proof)."""
    claimed = {(lib, other) for _, lib, other in CLAIMS}
    for ref_name in ("alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"):
        ref = seeded.load(ref_name)
        assert (ref["library"], ref["model"]) in claimed, ref_name


def test_derived_weights_and_input_match_the_records_method(seeded):
    """The repository's derivation of weights and input is the records' own (../shared/reference)."""
    ref = seeded.load("convnext_tiny")  # conv, norm, bias, layer-scale and counter-free keys
    ours, theirs = library_reference.state_dict(ref), seeded.state_dict(ref)
    assert list(ours) == list(theirs)
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    assert torch.equal(library_reference.input_batch(ref), seeded.input_batch(ref))
    bn = seeded.load("resnet18")
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            library_reference.state_dict(bn).values(), seeded.state_dict(bn).values(), strict=True
        )
    )
