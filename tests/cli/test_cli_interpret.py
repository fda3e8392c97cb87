"""convzoo interpret / visualize on a checkpoint of a short mnist-mini run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from convzoo.cli import main
from convzoo.data import load_dataset

pytest.importorskip("captum")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A lenet5_modern checkpoint after one short epoch, and a test digit saved as PNG."""
    root = tmp_path_factory.mktemp("interpret")
    argv = ["train", "lenet5_modern", "--data", "mnist-mini", "--train-limit", "512", "--test-limit", "100"]
    assert main([*argv, "--epochs", "1", "--out", str(root / "run"), "--threads", "1"]) == 0
    digit = load_dataset("mnist-mini").test.images[0, 0].numpy()
    Image.fromarray(digit).save(root / "digit.png")
    return root / "run" / "checkpoints" / "last.safetensors", root / "digit.png"


def picture_has_content(path) -> bool:
    pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    return pixels.size > 100 * 100 and pixels.std() > 10


@pytest.mark.parametrize("method", ["gradcam", "occlusion", "guided-backprop"])
def test_interpret_writes_an_overlay(run, tmp_path, capsys, method):
    checkpoint, digit = run
    out = tmp_path / f"{method}.png"
    assert (
        main(["interpret", str(checkpoint), str(digit), "--method", method, "--out", str(out), "--json"]) == 0
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["out"] == str(out) and result["target"] == result["predicted"]
    assert 0 < result["target_prob"] <= 1 and result["target_class"] == str(result["target"])
    assert picture_has_content(out)


@pytest.mark.parametrize("what", ["filters", "features", "class-model"])
def test_visualize_writes_a_picture(run, tmp_path, what):
    checkpoint, digit = run
    out = tmp_path / f"{what}.png"
    argv = [
        "visualize",
        str(checkpoint),
        "--what",
        what,
        "--out",
        str(out),
        "--steps",
        "20",
        "--image",
        str(digit),
    ]
    assert main(argv) == 0
    assert picture_has_content(out)


def test_errors_are_one_line(run, tmp_path, capsys):
    checkpoint, digit = run
    assert (
        main(["interpret", str(checkpoint), str(tmp_path / "none.png"), "--out", str(tmp_path / "x.png")])
        == 2
    )
    assert "no such image file" in capsys.readouterr().err
    assert (
        main(["interpret", str(checkpoint), str(digit), "--target", "12", "--out", str(tmp_path / "x.png")])
        == 2
    )
    assert "--target must be a class index 0..9 or a class name" in capsys.readouterr().err
    assert main(["visualize", str(checkpoint), "--what", "features", "--out", str(tmp_path / "x.png")]) == 2
    assert "needs --image" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "what, extra", [("neighbours", ["--count", "3", "--k", "4"]), ("top-patches", ["--layer", "c3"])]
)
def test_visualize_pictures_over_the_training_set(run, tmp_path, what, extra):
    checkpoint, _ = run
    out = tmp_path / f"{what}.png"
    argv = ["visualize", str(checkpoint), "--what", what, "--limit", "200", "--out", str(out), *extra]
    assert main(argv) == 0
    assert picture_has_content(out)


def test_top_patches_needs_a_layer_and_valid_units(run, tmp_path, capsys):
    checkpoint, _ = run
    base = [
        "visualize",
        str(checkpoint),
        "--what",
        "top-patches",
        "--limit",
        "50",
        "--out",
        str(tmp_path / "p.png"),
    ]
    assert main(base) == 2
    assert "needs --layer" in capsys.readouterr().err
    assert main([*base, "--layer", "c3", "--units", "3,99"]) == 2
    assert "units 0..15" in capsys.readouterr().err
    assert main([*base, "--layer", "head.fc"]) == 2
    assert "no spatial receptive field" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()
