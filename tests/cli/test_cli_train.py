"""convzoo train / eval / predict end to end on mnist-mini, their errors, and DDP through torchrun."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from PIL import Image

from convzoo.cli import main
from convzoo.data import load_dataset
from convzoo.train.checkpoint import read_tensors
from tests.cli.helpers import last_json

TINY = ["--data", "mnist-mini", "--train-limit", "256", "--test-limit", "100", "--threads", "1"]


pytestmark = pytest.mark.usefixtures("restore_threads")  # tests/conftest.py


def test_train_eval_predict(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "lenet5",
                *TINY,
                "--epochs",
                "1",
                "--batch-size",
                "32",
                "--out",
                str(out),
                "--json",
                "--keep-resume",
            ]
        )
        == 0
    )
    trained = last_json(capsys)
    assert {"model", "dataset", "epochs", "seconds", "top1", "top5", "checkpoint"} <= trained.keys()
    assert (
        trained["model"] == "lenet5"
        and trained["epochs"] == 1
        and 0 <= trained["top1"] <= trained["top5"] <= 1
    )
    checkpoint = trained["checkpoint"]
    assert checkpoint == str(out / "checkpoints" / "last.safetensors")

    assert main(["eval", checkpoint, "--limit", "100", "--json"]) == 0
    evaluated = last_json(capsys)
    assert (
        evaluated["top1"] == trained["top1"]
        and evaluated["count"] == 100
        and len(evaluated["per_class"]) == 10
    )
    assert main(["eval", checkpoint, "--limit", "100", "--tta", "multicrop"]) == 0
    assert "TTA multicrop" in capsys.readouterr().out

    digit = load_dataset("mnist-mini").test.images[0, 0].numpy()
    Image.fromarray(digit).save(tmp_path / "digit.png")
    assert main(["predict", checkpoint, str(tmp_path / "digit.png"), "--top-k", "3", "--json"]) == 0
    (result,) = last_json(capsys)
    probs = [row["probability"] for row in result["top"]]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 1.0 + 1e-6

    # --resume continues the run (here to a second epoch; --keep-resume kept what it needs).
    assert main(["train", "lenet5", *TINY, "--out", str(out), "--resume", "--epochs", "2", "--json"]) == 0
    assert last_json(capsys)["epochs"] == 2
    assert len((out / "metrics.csv").read_text().splitlines()) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "lenet5", "--data", "mnsit"], "unknown dataset 'mnsit'"),
        (["train", "lenet6"], "did you mean lenet5"),
        (["train", "lenet5", "--resume"], "--resume needs --out DIR"),
        (["train", "lenet5", "--lr", "-1"], "lr must be in (0, 10], got -1.0"),
        (["eval", "pyproject.toml"], "not a convzoo checkpoint"),
        (["predict", "missing.safetensors", "x.png"], "no checkpoint at missing.safetensors"),
    ],
)
def test_user_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_ddp_two_processes_match_one_process_at_the_same_global_batch(tmp_path):
    args = ["lenet5_modern", *TINY, "--train-limit", "512", "--epochs", "2", "--batch-size", "64"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ddp = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "-m", "convzoo", "train"]
    single = [sys.executable, "-m", "convzoo", "train"]
    results = {}
    for name, command in (("ddp", ddp), ("single", single)):
        out = tmp_path / name
        done = subprocess.run(
            [*command, *args, "--out", str(out), "--json"], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
        results[name] = (
            json.loads(done.stdout.strip().splitlines()[-1]),
            read_tensors(out / "checkpoints" / "last.safetensors"),
        )
    (ddp_summary, ddp_weights), (one_summary, one_weights) = results["ddp"], results["single"]
    assert ddp_summary["top1"] == one_summary["top1"] and ddp_summary["loss"] == pytest.approx(
        one_summary["loss"], rel=1e-5
    )
    for key, value in one_weights.items():
        torch.testing.assert_close(ddp_weights[key], value, rtol=1e-4, atol=1e-5)


def test_train_on_an_image_folder_then_predict(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("val", 2)):
        for cls, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
            (tmp_path / "pics" / split / cls).mkdir(parents=True)
            for i in range(n):
                image = np.clip(rng.normal(colour, 20, (40, 50, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(image).save(tmp_path / "pics" / split / cls / f"{i}.png")
    argv = ["train", "lenet5_modern", "--data", str(tmp_path / "pics"), "--epochs", "1", "--threads", "1"]
    assert main([*argv, "--batch-size", "4", "--out", str(tmp_path / "run"), "--json"]) == 0
    trained = last_json(capsys)
    assert trained["dataset"] == str(tmp_path / "pics") and trained["epochs"] == 1
    image = tmp_path / "pics" / "val" / "red" / "0.png"
    assert main(["predict", trained["checkpoint"], str(image), "--json"]) == 0
    (result,) = last_json(capsys)
    assert {row["class"] for row in result["top"]} == {"red", "blue"}
