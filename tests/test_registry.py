"""Registry, cards and model-name errors."""

from __future__ import annotations

import dataclasses
import json

import pytest

import convzoo


def test_list_models_is_sorted_and_filters_with_wildcards():
    names = convzoo.list_models()
    assert names == sorted(names)
    assert convzoo.list_models("vgg1?_bn") == ["vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]
    assert convzoo.list_models("no-such-*") == []


def test_unknown_name_lists_the_closest_names():
    with pytest.raises(convzoo.UnknownModelError, match=r"unknown model 'vgg61'.*did you mean.*vgg16"):
        convzoo.create_model("vgg61")
    with pytest.raises(KeyError):
        convzoo.model_card("alexnett")


def test_cards_are_frozen_and_serialisable():
    card = convzoo.model_card("vgg16")
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.params = 1
    with pytest.raises(TypeError):
        card.compatible["timm"] = "vgg16"
    data = json.loads(json.dumps(card.to_dict()))
    assert data["compatible"] == {"torchvision": "vgg16"}
    assert data["paper"]["year"] == 2015 and card.authors.startswith("K. Simonyan")


@pytest.mark.parametrize("name", convzoo.list_models())
def test_every_card_is_complete(name):
    card = convzoo.model_card(name)
    assert card.name == name and card.family and card.title and card.authors and card.link.startswith("http")
    assert 1980 < card.year < 2100
    assert len(card.input_size) == 3 and card.params > 0


def test_create_model_passes_num_classes_and_in_chans():
    model = convzoo.create_model("lenet5_modern", num_classes=4, in_chans=3)
    assert (model.num_classes, model.in_chans, model.model_name) == (4, 3, "lenet5_modern")
