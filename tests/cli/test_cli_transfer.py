"""convzoo finetune / features / train --init-from end to end on small mnist-mini runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convzoo.cli import main
from convzoo.train.checkpoint import read_tensors
from tests.cli.helpers import last_json

TINY = ["--train-limit", "300", "--test-limit", "100", "--epochs", "1", "--threads", "1"]


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("source") / "run"
    assert main(["train", "lenet5_modern", *TINY, "--out", str(out)]) == 0
    return out


def test_linear_finetune_changes_only_the_final_layer(source_run, tmp_path, capsys):
    out = tmp_path / "ft"
    argv = ["finetune", "lenet5_modern", "--weights", str(source_run), "--mode", "linear", "--data", "shapes"]
    assert main([*argv, *TINY, "--out", str(out), "--json"]) == 0
    printed = capsys.readouterr().err  # --json: the human lines go to stderr
    # shapes has 4 classes and RGB images: a new head, and the first convolution adapted to 3 channels
    assert "new number of classes: re-initialised head.fc.bias, head.fc.weight" in printed
    assert "new number of input channels: adapted c1.weight" in printed
    assert "frozen: 8 tensors; trainable: 2 tensors" in printed
    before = read_tensors(source_run / "checkpoints" / "last.safetensors")
    after = read_tensors(out / "checkpoints" / "last.safetensors")
    assert torch.equal(before["c3.weight"], after["c3.weight"]) and torch.equal(
        before["head.f6.weight"], after["head.f6.weight"]
    )
    assert before["head.fc.weight"].shape != after["head.fc.weight"].shape


def test_linear_finetune_replaces_the_final_layer_for_the_same_classes(source_run, tmp_path, capsys):
    argv = ["finetune", "lenet5_modern", "--weights", str(source_run), "--mode", "linear"]
    assert main([*argv, *TINY, "--out", str(tmp_path / "ft")]) == 0
    assert "linear: a fresh 10-way final layer" in capsys.readouterr().out
    before = read_tensors(source_run / "checkpoints" / "last.safetensors")
    after = read_tensors(tmp_path / "ft" / "checkpoints" / "last.safetensors")
    assert torch.equal(before["c1.weight"], after["c1.weight"])
    assert not torch.allclose(before["head.fc.weight"], after["head.fc.weight"], atol=0.05)


def test_full_finetune_reports_layerwise_rates(source_run, tmp_path, capsys):
    argv = ["finetune", "lenet5_modern", "--weights", str(source_run), "--mode", "full", "--lr-decay", "0.5"]
    assert main([*argv, *TINY, "--lr", "0.004", "--out", str(tmp_path / "ft")]) == 0
    printed = capsys.readouterr().out
    assert "lr 0.004 for head" in printed and "lr 0.002 for c5" in printed and "lr 0.000125 for c1" in printed


def test_init_from_copies_shared_layers(source_run, tmp_path, capsys):
    argv = ["train", "lenet5_modern", "--init-from", str(source_run), "--data", "shapes"]
    assert main([*argv, *TINY, "--out", str(tmp_path / "run")]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("init-from"))
    # shapes: RGB and 4 classes, so c1.weight and the final layer differ in shape and are not copied
    assert line.endswith(
        "copied 7 tensors: c1.bias, c3.bias, c3.weight, c5.bias, c5.weight, head.f6.bias, head.f6.weight"
    )


def test_features_are_the_penultimate_embeddings(source_run, tmp_path, capsys):
    checkpoint = source_run / "checkpoints" / "last.safetensors"
    out = tmp_path / "feats.npz"
    assert main(["features", str(checkpoint), "--limit", "50", "--out", str(out), "--json"]) == 0
    summary = last_json(capsys)
    arrays = np.load(out)
    assert summary["num_features"] == 84 and arrays["train_features"].shape == (50, 84)
    assert arrays["test_labels"].shape == (50,) and list(arrays["classes"]) == [str(i) for i in range(10)]
    assert (arrays["train_features"] >= 0).all()  # F6 is followed by ReLU in lenet5_modern
    assert main(["features", str(checkpoint), "--out", str(tmp_path / "feats.txt")]) == 2


@pytest.mark.parametrize(
    ("record", "model"), [("squeezenet1_0", "squeezenet1_0"), ("mobilenetv1_100", "mobilenet_v1_relu6")]
)
def test_finetune_from_library_files(seeded, tmp_path, capsys, record, model):
    """A torchvision and a timm file (seeded reference weights) fine-tuned on 1-channel digits."""
    path = tmp_path / f"{record}.pth"
    torch.save(seeded.state_dict(seeded.load(record)), path)
    argv = [
        "finetune",
        model,
        "--weights",
        str(path),
        "--mode",
        "linear",
        "--train-limit",
        "64",
        "--test-limit",
        "32",
    ]
    assert (
        main([*argv, "--epochs", "1", "--threads", "1", "--batch-size", "32", "--out", str(tmp_path / "run")])
        == 0
    )
    printed = capsys.readouterr().out
    library = seeded.load(record)["library"]
    assert f"({library} layout)" in printed
    assert (
        "new number of classes: re-initialised" in printed
        and "new number of input channels: adapted" in printed
    )


def test_bad_weight_files_are_one_line_errors(tmp_path, capsys):
    (tmp_path / "corrupt.pth").write_bytes(b"not a checkpoint")
    base = ["finetune", "lenet5_modern", *TINY, "--out", str(tmp_path / "run")]
    assert main([*base, "--weights", str(tmp_path / "corrupt.pth")]) == 2
    assert "not a readable torch checkpoint" in capsys.readouterr().err
    torch.save({"model": torch.nn.Linear(2, 2)}, tmp_path / "module.pth")
    assert main([*base, "--weights", str(tmp_path / "module.pth")]) == 2
    assert "not a plain state dict" in capsys.readouterr().err
    torch.save(torch.nn.Conv2d(3, 8, 3).state_dict(), tmp_path / "other.pth")
    assert main([*base, "--weights", str(tmp_path / "other.pth")]) == 2
    assert "does not fit lenet5_modern" in capsys.readouterr().err
    assert main([*base, "--weights", str(tmp_path / "absent")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err
