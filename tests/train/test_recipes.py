"""Every family has the paper's recipe and a small-data recipe; the small one trains each family's
smallest classifier on mnist-mini with a falling, finite loss (the heavy families in the slow run)."""

from __future__ import annotations

import math

import pytest
import torch

import convzoo
from convzoo.cli import main
from convzoo.train import FAMILY_RECIPES, TrainConfig, recipe_for, resolve_config, train

FAMILIES = sorted({convzoo.model_card(n).family for n in convzoo.list_models()})
# Smallest classifiers that train a few hundred steps in seconds on two CPU cores and beat chance
# in them (nin_cifar and squeezenet1_1 were still at chance after 192 steps: the slow run).
FAST = {"lenet", "highway", "mobilenet", "resnet"}


def smallest(family: str) -> str:
    cards = [convzoo.model_card(n) for n in convzoo.list_models()]
    return min((c for c in cards if c.family == family), key=lambda c: (c.params, c.name)).name


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_has_both_recipes(family):
    recipe = FAMILY_RECIPES[family]
    assert recipe.source and len(recipe.text) > 80
    for which in ("paper", "small"):
        TrainConfig(model=smallest(family), **recipe.settings(which))  # valid settings


def test_in_memory_data_gets_the_small_recipe_and_folders_the_papers(tmp_path):
    assert recipe_for("resnet50", "mnist-mini")["optimizer"] == "adamw"
    paper = recipe_for("resnet50", str(tmp_path))  # an image folder
    assert (paper["lr"], paper["batch_size"], paper["weight_decay"]) == (0.1, 256, 1e-4)
    assert resolve_config("resnet50", {"recipe": "paper"}).lr == 0.1
    assert resolve_config("lenet5").optimizer == "adamw"  # the main job's recipe is unchanged


def test_info_shows_the_recipe(capsys):
    assert main(["info", "resnet50"]) == 0
    out = capsys.readouterr().out
    assert "recipe (paper)" in out and "He et al. 2016" in out and "recipe (small)" in out


def steps_run(family: str):
    model = smallest(family)
    card = convzoo.model_card(model)
    if card.task != "classification":
        pytest.skip(f"{family} is a {card.task} family: its recipe trains with its task's data")
    cfg = resolve_config(
        model, {"train_limit": 1024, "test_limit": 256, "epochs": 3, "batch_size": 16, "threads": 1}
    )
    threads = torch.get_num_threads()
    try:
        result = train(cfg, log=lambda _line: None)
    finally:
        torch.set_num_threads(threads)
    return result


def check_trains(family: str) -> None:
    result = steps_run(family)  # 3 epochs of 64 steps
    losses = [row["train_loss"] for row in result.history]
    assert all(math.isfinite(v) for v in losses), losses
    assert losses[-1] < losses[0], losses
    test_losses = [row["test_loss"] for row in result.history]
    assert all(math.isfinite(v) and v < 5 * math.log(10) for v in test_losses), test_losses
    assert result.final["loss"] < math.log(10), result.final  # better than chance on the test split


@pytest.mark.parametrize("family", sorted(FAST))
def test_the_small_recipe_trains_each_family(family):
    check_trains(family)


# Not yet run to the end on two cores (an hour or more): `pytest -m recipes`, outside CI's slow pass.
@pytest.mark.slow
@pytest.mark.recipes
@pytest.mark.parametrize("family", sorted(set(FAMILIES) - FAST))
def test_the_small_recipe_trains_each_heavy_family(family):
    check_trains(family)
