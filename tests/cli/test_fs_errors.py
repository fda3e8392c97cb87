"""File-system errors are one line naming the path and what to do: no space (a small tmpfs), a
read-only --out, a folder where a file is expected; a full disk mid-run keeps the last commit."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image

from convzoo.cli import main
from convzoo.train import Trainer
from convzoo.train.rundir import RunDir

FREE_SPACE = "free some space or write somewhere else (--out)"
TINY = ["lenet5_modern", "--train-limit", "64", "--test-limit", "32", "--threads", "1"]


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of 2 MiB (one LeNet commit fits, two at once do not); skipped where mounting is not allowed."""
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'not root'})")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture(autouse=True)
def no_plots(monkeypatch):
    monkeypatch.setattr(Trainer, "write_plots", lambda self: None)


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_a_full_disk_mid_run_is_one_line_and_the_last_commit_resumes(small_disk, capsys):
    out = small_disk / "run"
    keep_all = ["--save", "all", "--keep-resume"]  # every checkpoint kept: the 2 MB fill up mid-run
    assert main(["train", *TINY, *keep_all, "--epochs", "3", "--out", str(out)]) == 2
    line = one_line(capsys)
    assert line == f"convzoo train: {out}: no space left on the device; {FREE_SPACE}"
    run = RunDir(out)
    kept = run.read_state()["epoch"]
    assert kept >= 1 and not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    assert main(["train", *TINY, "--epochs", "3", "--out", str(out), "--resume"]) == 0
    assert run.read_state()["epoch"] == 3 and [r["epoch"] for r in run.read_state()["history"]] == [1, 2, 3]


def test_a_read_only_out_is_one_line(small_disk, capsys):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    out = small_disk / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(out)]) == 2
    assert one_line(capsys) == f"convzoo train: {out}: read-only file system; write somewhere else (--out)"


def test_a_folder_where_a_picture_goes_is_one_line(tmp_path, capsys):
    from convzoo.registry import create_model
    from convzoo.train.checkpoint import save_tensors

    meta = {"model": "lenet5_modern", "num_classes": 10, "in_chans": 1, "input_size": [1, 32, 32],
            "data_size": 28, "classes": [str(i) for i in range(10)], "mean": [0.1], "std": [0.3]}  # fmt: skip
    save_tensors(tmp_path / "m.safetensors", create_model("lenet5_modern").state_dict(), meta)
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "digit.png")
    status = main(["interpret", str(tmp_path / "m.safetensors"), str(tmp_path / "digit.png"),
                   "--method", "saliency", "--out", str(tmp_path)])  # fmt: skip
    assert status == 2
    assert one_line(capsys) == (
        f"convzoo interpret: {tmp_path}: is a folder, where a file is expected; "
        "give a file name (e.g. --out picture.png)"
    )
