"""Architecture specs: files every command builds, and zoo networks written in the search spaces."""

import json

import pytest
import torch

from convzoo import create_model, model_card
from convzoo.analysis.build import build_on_meta
from convzoo.models.efficientnet import EFFICIENTNET_B0_ROWS
from convzoo.models.nasnet import NASNET_CONFIGS
from convzoo.search.spaces import get_space
from convzoo.search.spaces.nasnet import nasnet_a_arch
from convzoo.search.spaces.rows import row_dicts
from convzoo.search.spec import SpecError, build_from_spec, make_spec, read_spec, spec_hash, write_spec

BLOCK = {"codes": [[1, 1, 3, 0, 0], [2, 1, 3, 1, 0], [3, 5, 0, 2, 0]]}


def small_blockqnn_spec():
    return make_spec(get_space("blockqnn", stages=2, repeats=1, filters=4, input_size=28), BLOCK, in_chans=1)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_spec_file_round_trip_and_create_model(tmp_path, suffix):
    spec = small_blockqnn_spec()
    path = write_spec(spec, tmp_path / f"arch{suffix}")
    assert read_spec(path) == spec
    model = create_model(str(path), num_classes=10, in_chans=1)
    card = model_card(str(path))
    assert card.family == "blockqnn" and card.input_size == (1, 28, 28)
    assert card.params == sum(p.numel() for p in model.parameters())
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_spec_hash_depends_on_the_architecture_only():
    spec = small_blockqnn_spec()
    other = {**spec, "arch": {"codes": BLOCK["codes"][:2]}}
    assert spec_hash(spec) == spec_hash(json.loads(json.dumps(spec))) != spec_hash(other)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"space": "blockqnn"}, "a mapping with keys space, settings, arch"),
        ({"space": "vgg", "arch": {}}, "unknown search space 'vgg'"),
        ({"space": "blockqnn", "arch": {"codes": [[1, 9, 0, 0, 0]]}}, "layer 1 .* type must be 1-7"),
        ({"space": "blockqnn", "arch": {}, "extra": 1}, "unknown key"),
        (
            {"space": "resnet", "arch": {"stages": [{"blocks": 9, "width": 8}] * 3}},
            "stage 0: blocks must be one of",
        ),
    ],
)
def test_bad_specs_say_what_was_expected(spec, message):
    with pytest.raises(SpecError, match=message):
        build_from_spec(spec)


def test_bad_spec_file_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("space: blockqnn\narch: {codes: [[1, 1, 4, 0, 0]]}\n")
    with pytest.raises(SpecError, match=r"bad.yaml: .*kernel size 1 or 3 or 5, got 4"):
        read_spec(path)


def test_nasnet_a_cells_in_the_cell_space_rebuild_nasnet_a_mobile():
    space = get_space("nasnet")  # the space's defaults are NASNet-A Mobile's network settings
    arch = nasnet_a_arch()
    torch.manual_seed(0)
    zoo = create_model("nasnet_a_mobile", num_classes=10).eval()
    built = space.build(arch, num_classes=10, in_chans=3).eval()
    assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in zoo.parameters())
    built.load_state_dict(zoo.state_dict())
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        assert torch.equal(built(x), zoo(x))


@pytest.mark.slow
def test_nasnet_a_cells_in_the_cell_space_rebuild_nasnet_a_large():
    settings = {k: v for k, v in NASNET_CONFIGS["large"].__dict__.items() if not k.endswith("cell")}
    spec = make_spec(get_space("nasnet", **settings), nasnet_a_arch())
    built = build_on_meta_spec(spec)
    zoo = build_on_meta("nasnet_a_large")
    assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in zoo.parameters())
    assert sum(p.numel() for p in zoo.parameters()) == model_card("nasnet_a_large").params


def build_on_meta_spec(spec):
    from convzoo.analysis.build import ShapesOnly, to_meta

    with ShapesOnly():
        return to_meta(build_from_spec(spec, num_classes=1000))


def test_mbconv_row_space_builds_efficientnet_b0_through_its_builder():
    space = get_space("mbconv")
    arch = {"stages": row_dicts(EFFICIENTNET_B0_ROWS)}
    built = build_on_meta_spec(make_spec(space, arch))
    assert sum(p.numel() for p in built.parameters()) == model_card("efficientnet_b0").params


def test_resnet_row_space_builds_through_the_resnet_builder():
    arch = {"stages": [{"blocks": 3, "width": w} for w in (16, 32, 64)]}
    net = build_from_spec(make_spec(get_space("resnet"), arch), num_classes=10)
    # resnet20's stages with projection shortcuts where the shape changes (two 1x1 convs + BN)
    projections = (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    assert sum(p.numel() for p in net.parameters()) == model_card("resnet20").params + projections


@pytest.mark.parametrize("name", ["blockqnn", "nasnet", "resnet", "mbconv"])
def test_random_architectures_of_every_space_build_and_run_at_proxy_size(name):
    import numpy as np

    from convzoo.search.objective import PROXY_SETTINGS

    space = get_space(name, **PROXY_SETTINGS[name])
    rng = np.random.default_rng(0)
    for _ in range(3):
        choices = space.complete((), rng)
        arch = space.decode(choices)
        assert space.encode(arch) == choices
        net = build_from_spec(make_spec(space, arch, in_chans=1), num_classes=10).eval()
        with torch.no_grad():
            assert net(torch.randn(2, 1, 28, 28)).shape == (2, 10)
