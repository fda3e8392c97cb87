"""Checkpoint commands: run directories, the data a checkpoint remembers, ensembles, bad files,
class names, --json on stdout alone, and the one-line notes on converted images."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

import convzoo
from convzoo.cli import main
from convzoo.interpret.visualize import ClassModelWarning, class_model
from convzoo.train import TrainConfig, read_meta, train
from convzoo.train.ensemble import Ensemble
from convzoo.train.metrics import accuracy_text


@pytest.fixture(scope="module")
def fashion_runs(shared_data, tmp_path_factory):
    """Two small lenet5 runs on Fashion-MNIST (seeds 0 and 1), trained with an explicit --data-dir."""
    threads = torch.get_num_threads()
    root = tmp_path_factory.mktemp("runs")
    runs = []
    for seed in (0, 1):
        cfg = TrainConfig(
            model="lenet5", data="fashion-mnist", data_dir=str(shared_data / "fashion-mnist"),
            epochs=1, train_limit=512, test_limit=200, seed=seed, threads=1,
        )  # fmt: skip
        train(cfg, root / f"seed{seed}", log=lambda _line: None)
        runs.append(root / f"seed{seed}")
    torch.set_num_threads(threads)
    return runs


SHAPES_TINY = ["--data", "shapes", "--train-limit", "64", "--test-limit", "32", "--threads", "1"]


def json_only(capsys) -> dict:
    """The command's stdout, which under --json must be exactly one JSON document."""
    return json.loads(capsys.readouterr().out)


def test_a_checkpoint_remembers_its_data(fashion_runs, shared_data):
    meta = read_meta(fashion_runs[0] / "checkpoints" / "last.safetensors")
    assert meta["dataset"] == "fashion-mnist"
    assert meta["data_dir"] == str((shared_data / "fashion-mnist").resolve())
    assert meta["input_size"] == [1, 32, 32] and len(meta["mean"]) == len(meta["std"]) == 1


def test_checkpoint_commands_take_a_run_directory_from_anywhere(fashion_runs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the data directory is found from the checkpoint, not the cwd
    run = str(fashion_runs[0])
    assert main(["eval", run, "--limit", "50", "--json"]) == 0
    evaluated = json_only(capsys)
    assert evaluated["count"] == 50 and "T-shirt/top" in evaluated["per_class"]
    assert main(["features", run, "--limit", "20", "--out", "f.npz", "--json"]) == 0
    assert json_only(capsys)["train"] == 20
    assert main(["summary", run, "--json"]) == 0
    params = sum(p.numel() for p in convzoo.create_model("lenet5", num_classes=10).parameters())
    assert json_only(capsys)["total"]["params"] == params
    assert main(["visualize", run, "--what", "filters", "--out", "filters.png"]) == 0
    assert (tmp_path / "filters.png").is_file()


def test_eval_of_several_checkpoints_averages_their_probabilities(fashion_runs, capsys):
    runs = [str(r) for r in fashion_runs]
    assert main(["eval", *runs, "--limit", "100", "--json"]) == 0
    ensemble = json_only(capsys)
    assert ensemble["checkpoint"] == runs and ensemble["model"] == "lenet5+lenet5"
    singles = []
    for run in runs:
        assert main(["eval", run, "--limit", "100", "--json"]) == 0
        singles.append(json_only(capsys)["loss"])
    # the cross-entropy of averaged probabilities is at most the average of the members' (convexity)
    assert ensemble["loss"] <= sum(singles) / 2 + 1e-6


def test_ensemble_averages_member_probabilities():
    torch.manual_seed(0)
    members = [convzoo.create_model("lenet5_modern", num_classes=10).eval() for _ in range(2)]
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        expected = torch.stack([m(x).softmax(1) for m in members]).mean(0)
        got = Ensemble(members, [32, 32])(x).exp()
    torch.testing.assert_close(got, expected)


def test_an_ensemble_refuses_checkpoints_of_other_data(fashion_runs, tmp_path, capsys):
    cfg = TrainConfig(model="lenet5", data="shapes", epochs=1, train_limit=64, test_limit=32, threads=1)
    train(cfg, tmp_path / "shapes", log=lambda _line: None)
    assert main(["eval", str(fashion_runs[0]), str(tmp_path / "shapes")]) == 2
    assert "cannot join an ensemble" in capsys.readouterr().err


def test_predict_reports_bad_files_and_goes_on(fashion_runs, tmp_path, capsys):
    good = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (200, 10, 10)).save(good)
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    status = main(["predict", str(fashion_runs[0]), str(bad), str(good), "--top-k", "3"])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.out.splitlines()
    assert lines[0] == str(bad) and lines[1].startswith("  error:")
    assert lines[2] == str(good) and len(lines) == 6  # the good file's three classes follow
    assert "RGB 64x48 read as grey 32x32" in captured.err  # the conversion, said in one line
    assert "1 of 2 images could not be read" in captured.err


def test_interpret_names_classes(fashion_runs, tmp_path, capsys):
    image = tmp_path / "x.png"
    Image.new("L", (28, 28), 128).save(image)
    out = tmp_path / "cam.png"
    assert (
        main(["interpret", str(fashion_runs[0]), str(image), "--target", "Sneaker", "--out", str(out)]) == 0
    )
    assert "map for 'Sneaker'" in capsys.readouterr().out
    assert (
        main(["interpret", str(fashion_runs[0]), str(image), "--target", "Sneakers", "--out", str(out)]) == 2
    )
    assert "--target must be a class index 0..9 or a class name" in capsys.readouterr().err


def test_json_keeps_stdout_machine_readable(tmp_path, capsys):
    args = [*SHAPES_TINY, "--epochs", "1"]
    assert main(["train", "lenet5", *args, "--out", str(tmp_path / "r"), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["epochs"] == 1  # nothing else on stdout
    assert "epoch   1/1" in captured.err
    assert "top-5" not in captured.err  # 4 classes: top-5 is 100% by construction


def test_top5_is_shown_only_from_six_classes():
    assert accuracy_text(0.5, 1.0, 5) == "50.00%"
    assert accuracy_text(0.5, 0.9, 10) == "50.00% (top-5 90.00%)"


def test_class_model_leaves_a_flat_start():
    torch.manual_seed(0)
    model = convzoo.create_model("lenet5_modern", num_classes=10).eval()
    first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    with torch.no_grad():
        first.bias.fill_(-0.5)  # every first-layer unit is off near the zero image: a zero gradient there
    with pytest.warns(ClassModelWarning, match="gradient is zero"):
        image = class_model(model, 3, (1, 32, 32), steps=30)
    start = torch.randn(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert model(image[None])[0, 3] > model(start)[0, 3]  # the ascent moved uphill


def test_a_finished_run_keeps_only_the_weights_it_was_asked_for(tmp_path, capsys):
    args = [*SHAPES_TINY, "--epochs", "2"]
    for save, kept in (("last", {"last"}), ("best", {"best"}), ("all", {"last", "best"})):
        out = tmp_path / save
        assert main(["train", "lenet5", *args, "--save", save, "--out", str(out), "--json"]) == 0
        reported = json_only(capsys)["checkpoint"]
        files = {p.name for p in (out / "checkpoints").iterdir()}
        assert {n.removesuffix(".safetensors") for n in files if n.endswith(".safetensors")} == kept
        assert reported == str(out / "checkpoints" / f"{sorted(kept)[-1]}.safetensors")
        assert main(["eval", str(out), "--limit", "8"]) == 0  # a run directory finds what was kept
        capsys.readouterr()
    assert len(list((tmp_path / "last" / "snapshots").iterdir())) == 1  # the resume state is gone
    assert main(["train", "lenet5", *args, "--epochs", "3", "--out", str(tmp_path / "last"), "--resume"]) == 2
    assert "train it with --keep-resume" in capsys.readouterr().err
