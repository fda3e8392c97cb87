"""Every family has the paper's recipe and a small-data recipe; the small one trains each family's
smallest classifier on mnist-mini (the fast ones on Fashion-MNIST too) with a falling, finite loss
and a test loss better than chance (the heavy families in the slow run)."""

from __future__ import annotations

import math
import time

import pytest
import torch

import convzoo
from convzoo.cli import main
from convzoo.train import FAMILY_RECIPES, TrainConfig, recipe_for, resolve_config, train

FAMILIES = sorted({convzoo.model_card(n).family for n in convzoo.list_models()})
# Smallest classifiers that train a few hundred steps in seconds on two CPU cores and beat chance
# in them (the default run); the heavier ones are in the slow run below.
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


def test_the_small_side_is_for_the_digit_sets_only():
    sized = {family for family, recipe in FAMILY_RECIPES.items() if recipe.small_size}
    assert "vit" in sized  # 28 is not a multiple of the 16-pixel patch
    for family in sorted(sized):
        model, side = smallest(family), FAMILY_RECIPES[family].small_size
        assert FAMILY_RECIPES[family].small_why  # a side of its own says why
        assert recipe_for(model, "mnist-mini")["image_size"] == side
        assert recipe_for(model, "fashion-mnist")["image_size"] == side
        assert "image_size" not in recipe_for(model, "cifar10")  # CIFAR keeps its 32x32
        assert "image_size" not in recipe_for(model, "mnist-mini", "paper")
        assert resolve_config(model, {"image_size": 40}).image_size == 40  # flags still win
        with torch.device("meta"):  # the minimum side without allocating the weights
            assert side >= convzoo.create_model(model, num_classes=10).min_input_size


def test_info_shows_the_recipe(capsys):
    assert main(["info", "resnet50"]) == 0
    out = capsys.readouterr().out
    assert "recipe (paper)" in out and "He et al. 2016" in out and "recipe (small)" in out
    assert main(["info", "vit_ti_16"]) == 0
    out = capsys.readouterr().out
    assert f"image_size={FAMILY_RECIPES['vit'].small_size} on the 28x28 digit sets" in out
    assert "  why" in out


def steps_run(family: str, **data: str):
    """Each family's smallest classifier, 3 epochs of 64 steps of 16 images on its small recipe."""
    model = smallest(family)
    card = convzoo.model_card(model)
    if card.task != "classification":
        pytest.skip(f"{family} is a {card.task} family: its recipe trains with its task's data")
    cfg = resolve_config(
        model,
        {"train_limit": 1024, "test_limit": 256, "epochs": 3, "batch_size": 16, "threads": 1, **data},
    )
    threads = torch.get_num_threads()
    start = time.perf_counter()
    try:
        result = train(cfg, log=lambda _line: None)
    finally:
        torch.set_num_threads(threads)
    losses = [row["train_loss"] for row in result.history]
    side = cfg.image_size or max(
        28, result.model.min_input_size
    )  # the digits' side, else the model's minimum
    print(
        f"{family} {model} {side}px {cfg.data}: {time.perf_counter() - start:.1f} s, "
        f"train loss {' -> '.join(f'{v:.3f}' for v in losses)}, test loss {result.final['loss']:.4f}"
    )
    return result


def check_trains(family: str, **data: str) -> None:
    result = steps_run(family, **data)  # 3 epochs of 64 steps
    losses = [row["train_loss"] for row in result.history]
    assert all(math.isfinite(v) for v in losses), losses
    assert losses[-1] < losses[0], losses
    # The held-out loss may jump while the learning rate peaks (xception's is 19.4 after its one-epoch
    # warmup, then 1.04 and 0.32), but it must end at its lowest.
    test_losses = [row["test_loss"] for row in result.history]
    assert all(math.isfinite(v) for v in test_losses), test_losses
    assert test_losses[-1] == min(test_losses), test_losses
    assert result.final["loss"] < math.log(10), result.final  # better than chance on the test split


@pytest.mark.parametrize("family", sorted(FAST))
def test_the_small_recipe_trains_each_family(family):
    check_trains(family)


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAST))
def test_the_small_recipe_trains_each_family_on_fashion_mnist(family, shared_data):
    check_trains(family, data="fashion-mnist", data_dir=str(shared_data / "fashion-mnist"))


# Heavy families shown to pass here in about a minute or two each on one core (CI's slow pass);
# the note of each small recipe that differs says why (`convzoo info MODEL`, "why").
CHECKED = {"efficientnet", "inception", "nin", "squeezenet", "vit", "xception", "yolo"}


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(CHECKED))
def test_the_small_recipe_trains_each_heavy_family(family):
    check_trains(family)


# The rest take 2 to 15 minutes each on one core at 192 steps of 16 images: `pytest -m recipes`,
# outside CI's slow pass. Every one of them passed here on 2026-12-02 (two cores, loaded).
@pytest.mark.slow
@pytest.mark.recipes
@pytest.mark.parametrize("family", sorted(set(FAMILIES) - FAST - CHECKED))
def test_the_small_recipe_trains_each_costly_family(family):
    check_trains(family)
