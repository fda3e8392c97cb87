"""Errors in the user's terms: close names, pattern hints, weight hints, missing extras, closed pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import convzoo
from convzoo.cli import main
from convzoo.cli.common import missing_extra
from convzoo.weights import WeightsMismatchError

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("typed", "suggested"), [("VGG16", "vgg16"), ("ResNet50", "resnet50"), ("lenet6", "lenet5")]
)
def test_unknown_names_get_close_names_ignoring_case(typed, suggested):
    with pytest.raises(convzoo.UnknownModelError) as info:
        convzoo.create_model(typed)
    assert info.value.suggestions[0] == suggested


def test_python_and_cli_name_their_own_listing(capsys):
    with pytest.raises(convzoo.UnknownModelError, match=r"see convzoo\.list_models\(\)"):
        convzoo.model_card("zzzz")
    assert main(["info", "zzzz"]) == 2
    err = capsys.readouterr().err
    assert "see `convzoo list`" in err and "list_models" not in err


def test_list_without_a_match_suggests_a_pattern(capsys):
    assert main(["list", "resnet"]) == 1
    assert "try `convzoo list 'resnet*'`" in capsys.readouterr().err
    assert main(["list", "VGG1?"]) == 1
    assert "'vgg1?'" in capsys.readouterr().err


def test_library_weights_into_the_paper_model_name_the_variant_that_loads_them(seeded, tmp_path, capsys):
    state = seeded.state_dict(seeded.load("alexnet"))  # torchvision's AlexNet (the one-weird-trick net)
    with pytest.raises(WeightsMismatchError) as info:
        convzoo.load_weights(convzoo.create_model("alexnet"), state)
    assert "these are torchvision alexnet weights: use alexnet_owt" in str(info.value)
    assert "strict=False" in str(info.value)  # Python: the keyword exists
    with pytest.raises(WeightsMismatchError) as info:
        convzoo.load_weights(convzoo.create_model("alexnet"), state, strict=False)
    assert "strict=False" not in str(info.value)  # already passed: no advice to pass it
    path = tmp_path / "alexnet-owt.pth"
    torch.save(state, path)
    args = ["finetune", "alexnet", "--weights", str(path), "--data", "shapes", "--epochs", "1"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "give alexnet_owt as the MODEL" in err and "strict=False" not in err  # CLI advice, no keyword


def test_a_missing_optional_package_names_its_extra():
    error = ModuleNotFoundError("No module named 'albumentations'", name="albumentations")
    assert missing_extra(error) == 'albumentations is not installed: pip install "convzoo[aug]"'
    assert missing_extra(ModuleNotFoundError("x", name="numpy")) is None


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_pipe_closed_early_ends_quietly(unbuffered):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    proc = subprocess.Popen(
        [sys.executable, "-m", "convzoo", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # `| head -1`
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert first.startswith(b"alexnet")
    assert err == "" and proc.returncode in (0, 141)
