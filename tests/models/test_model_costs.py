"""The rule that slow-marks heavy models in the per-model tests (tests/models/costs.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import convzoo
from tests import conftest
from tests.models import costs

ALL_MODELS = convzoo.list_models()


def test_the_cache_holds_every_model_at_its_card_parameter_count():
    stale = [n for n in ALL_MODELS if costs.cached().get(n, {}).get("params") != convzoo.model_card(n).params]
    assert not stale, f"rewrite tests/models/contract_costs.json (python -m tests.models.costs): {stale}"


@pytest.mark.parametrize(
    "name", ["lenet5", "resnet20", "densenet_40_12", "vit_ti_16", "unet_small", "yolo_v1_mini"]
)
def test_cached_costs_are_what_the_counter_says(name):
    assert costs.cached()[name] == costs.count(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_MODELS)
def test_every_cached_cost_is_what_the_counter_says(name):
    assert costs.cached()[name] == costs.count(name)


def test_the_rule_marks_the_known_heavy_models_and_keeps_the_light_ones():
    # 632M parameters; 448x448 only (YOLO's grid); 1202 layers at 32x32; 190 layers of 40-channel growth;
    # 155 weight layers
    for name in ["vit_h_14", "yolo_v1", "resnet1202", "densenet_bc_190_40", "wrn28_10", "vgg19", "resnet152"]:
        assert costs.is_heavy(name), name
    for name in ["lenet5", "resnet20", "resnet50", "mobilenet_v2", "vgg11", "vit_ti_16", "unet_small"]:
        assert not costs.is_heavy(name), name


def test_every_family_but_nasnet_keeps_a_model_in_the_default_run():
    families = {convzoo.model_card(n).family for n in ALL_MODELS}
    kept = {convzoo.model_card(n).family for n in ALL_MODELS if not costs.is_heavy(n)}
    assert families - kept == {"nasnet"}, f"no model of {sorted(families - kept)} runs by default"


def test_the_hook_slow_marks_heavy_models_in_the_per_model_files_only(tmp_path):
    def item(file: str, name: str):
        return SimpleNamespace(
            path=tmp_path / file, callspec=SimpleNamespace(params={"name": name}), marks=[]
        )

    items = [item("test_every_model.py", "vit_h_14"), item("test_every_model.py", "lenet5")]
    items.append(item("test_vit.py", "vit_h_14"))
    for i in items:
        i.add_marker = i.marks.append
    conftest.pytest_collection_modifyitems(items)
    assert [[m.name for m in i.marks] for i in items] == [["slow"], [], []]
