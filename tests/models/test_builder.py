"""Registration (models/_builder.py): every registered name is written out in its family file and
importable from it as the builder the registry calls."""

from __future__ import annotations

import importlib
import inspect
import sys

import pytest
import torch

import convzoo
from convzoo.models._builder import register_builder
from convzoo.registry import _entry


@pytest.mark.parametrize("name", convzoo.list_models())
def test_name_is_written_in_its_family_file_and_importable_from_it(name):
    builder = _entry(name).builder
    module = importlib.import_module(builder.__module__)
    assert module.__name__.startswith("convzoo.models.") and not module.__name__.split(".")[-1].startswith(
        "_"
    )
    assert getattr(module, builder.__name__) is builder
    assert f'"{name}"' in inspect.getsource(module), (
        f"grep for '\"{name}\"' finds nothing in {module.__file__}"
    )
    if builder.__name__ != name:  # a decorated function named for a torchvision layout (mobilenet_v2_100)
        assert name in {"mobilenet_v2"}


def test_the_builder_builds_what_create_model_builds():
    from convzoo.models.resnet import resnet20

    torch.manual_seed(0)
    direct = resnet20(num_classes=7)
    torch.manual_seed(0)
    made = convzoo.create_model("resnet20", num_classes=7)
    assert all(
        torch.equal(a, b)
        for a, b in zip(direct.state_dict().values(), made.state_dict().values(), strict=True)
    )
    assert direct.num_classes == 7 and resnet20.__name__ == "resnet20"
    parameters = inspect.signature(resnet20).parameters
    assert {"num_classes", "in_chans", "drop_rate"} <= set(parameters) and parameters[
        "num_classes"
    ].default == 10


def test_a_builder_cannot_shadow_a_module_attribute():
    card = convzoo.model_card("resnet20").variant(name="cifar_stages")  # a function of resnet.py
    with pytest.raises(ValueError, match="already exists"):
        register_builder(card, torch.nn.Identity, module="convzoo.models.resnet")
    assert "cifar_stages" not in convzoo.list_models() and sys.modules["convzoo.models.resnet"]
