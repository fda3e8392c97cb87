"""Checkpoint metadata and weights checked before use: one line and exit 2 in eval and predict."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from PIL import Image

from convzoo.cli import main
from convzoo.registry import create_model
from convzoo.train.checkpoint import load_checkpoint, save_tensors

META = {
    "model": "lenet5_modern", "num_classes": 10, "in_chans": 1, "input_size": [1, 32, 32], "data_size": 28,
    "dataset": "mnist-mini", "classes": [str(i) for i in range(10)], "mean": [0.13], "std": [0.31],
    "epoch": 1,
}  # fmt: skip


def write(path, meta=None, tensors=None):
    torch.manual_seed(0)
    tensors = tensors if tensors is not None else create_model("lenet5_modern", num_classes=10).state_dict()
    save_tensors(path, tensors, {**META, **(meta or {})})
    return path


@pytest.fixture
def digit(tmp_path):
    path = tmp_path / "digit.png"
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": "resnet9000"}, "names a model this convzoo does not have"),
        ({"num_classes": "10"}, "'num_classes' must be a positive integer, got '10'"),
        ({"mean": "0.1"}, "'mean' must be 1 finite numbers"),
        ({"std": [0.0]}, "'std' must be positive"),
        ({"classes": ["a", "b"]}, "'classes' must be 10 names (one per output), got 2 entries"),
        ({"input_size": [1, 60000, 60000]}, "must be [1, H, W] with 1 <= H, W <= 4096"),
        ({"input_size": [3, 32, 32]}, "must be [1, H, W]"),
        ({"input_size": "32"}, "'input_size' must be [C, H, W] integers"),
        ({"data_size": -1}, "'data_size' must be an integer"),
    ],
)
def test_untrustworthy_metadata_is_one_line_in_eval_and_predict(tmp_path, digit, capsys, changes, message):
    ckpt = write(tmp_path / "bad.safetensors", changes)
    with pytest.raises(ValueError, match="checkpoint metadata"):
        load_checkpoint(ckpt)
    for argv in (["predict", str(ckpt), str(digit)], ["eval", str(ckpt)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and str(ckpt) in err


def test_nan_weights_are_refused(tmp_path, digit, capsys):
    state = create_model("lenet5_modern", num_classes=10).state_dict()
    state["head.fc.weight"][0, 0] = float("nan")
    ckpt = write(tmp_path / "nan.safetensors", tensors=state)
    assert main(["predict", str(ckpt), str(digit)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "weight head.fc.weight holds 1 NaN or infinite value(s)" in err


def test_half_precision_weights_load_with_a_note(tmp_path, caplog):
    state = {
        k: v.half() if v.is_floating_point() else v
        for k, v in create_model("lenet5_modern").state_dict().items()
    }
    ckpt = write(tmp_path / "fp16.safetensors", tensors=state)
    with caplog.at_level(logging.WARNING, logger="convzoo.weights"):
        model, _ = load_checkpoint(ckpt)
    floats = sum(v.is_floating_point() for v in state.values())
    assert f"converted {floats} tensors from float16 to float32" in caplog.text
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert torch.equal(model.state_dict()["head.fc.weight"], state["head.fc.weight"].float())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["predict", "CKPT", "IMG", "--top-k", "0"], "--top-k must be at least 1, got 0"),
        (["eval", "CKPT", "--limit", "-1"], "--limit must be at least 1, got -1"),
        (["eval", "CKPT", "--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        (["features", "CKPT", "--out", "f.npz", "--limit", "0"], "--limit must be at least 1, got 0"),
    ],
)
def test_cli_counts_are_checked(tmp_path, digit, capsys, argv, message):
    ckpt = write(tmp_path / "ok.safetensors")
    argv = [str(ckpt) if a == "CKPT" else str(digit) if a == "IMG" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
