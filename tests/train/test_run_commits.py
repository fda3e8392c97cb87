"""One commit per checkpoint: an interruption at any durable step of a save leaves the previous
commit or the new one, --resume continues bit-exactly, and leftovers are removed at the next start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from convzoo.cli import main
from convzoo.io import set_step_hook
from convzoo.train import Trainer, resolve_config, train
from convzoo.train.checkpoint import read_meta, read_tensors
from convzoo.train.rundir import RunDir
from tests.train.tiny import tiny_run

# every checkpoint kept (last, best, and the resume state after the end) so that all are checked
TINY = tiny_run(epochs=2, save="all", keep_resume=True)
TIMING = ("train_seconds", "eval_seconds", "elapsed", "images_per_s")


class Crash(BaseException):
    """Stands for the process dying between two durable steps."""


@pytest.fixture(autouse=True)
def no_hook(monkeypatch):
    monkeypatch.setattr(Trainer, "write_plots", lambda self: None)  # the pictures are not what is tested
    threads = torch.get_num_threads()
    yield
    set_step_hook(None)
    torch.set_num_threads(threads)


def untimed(history):
    return [{k: v for k, v in row.items() if k not in TIMING} for row in history]


def steps_of(cfg, out: Path) -> list[str]:
    labels: list[str] = []
    set_step_hook(labels.append)
    train(cfg, out)
    set_step_hook(None)
    return labels


def crash_at(k: int):
    count = iter(range(10**9))

    def hook(label: str) -> None:
        if next(count) == k:
            raise Crash(label)

    return hook


def assert_consistent(run: RunDir) -> int:
    """What a reader of checkpoints/ sees is one commit whole: every file of the same epoch. Returns it."""
    if not run.state.exists():  # killed before the first switch: a reader sees no checkpoint yet
        return 0
    state = json.loads(run.state.read_text())
    for name in ("resume.safetensors", "last.safetensors", "best.safetensors"):
        assert read_meta(run.checkpoints / name)["epoch"] <= state["epoch"]
    assert read_meta(run.resume_tensors)["epoch"] == read_meta(run.last)["epoch"] == state["epoch"]
    assert len((run.root / "metrics.jsonl").read_text().splitlines()) == state["epoch"]
    return state["epoch"]


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Trainer, "write_plots", lambda self: None)
        yield mp


@pytest.fixture(scope="module")
def reference(tmp_path_factory, monkeypatch_module):
    cfg = resolve_config("lenet5_modern", TINY)
    out = tmp_path_factory.mktemp("whole") / "run"
    labels = steps_of(cfg, out)
    return cfg, labels, read_tensors(RunDir(out).resume_tensors), json.loads(RunDir(out).state.read_text())


def test_a_save_is_one_commit_in_a_snapshot(reference, tmp_path):
    cfg, labels, _, state = reference
    run = RunDir(tmp_path / "run")
    train(cfg, run.root)
    assert (
        run.checkpoints.is_symlink() and os.readlink(run.checkpoints) == "snapshots/commit-000002-epoch-0002"
    )
    assert [p.name for p in run.snapshots.iterdir()] == ["commit-000002-epoch-0002"]  # the older one removed
    assert sorted(state["files"]) == [
        "best.safetensors", "last.safetensors", "metrics.csv", "metrics.jsonl", "resume.safetensors"
    ]  # fmt: skip
    assert sum(label.startswith("committed") for label in labels) == 2  # one commit per epoch


def second_save(labels: list[str]) -> range:
    """Every durable step of epoch 2's save, from epoch 1's commit to the removal of its snapshot."""
    return range(
        labels.index("committed commit-000001-epoch-0001") + 1,
        labels.index("removed commit-000001-epoch-0001") + 1,
    )


def one_of_each_kind(labels: list[str]) -> list[int]:
    """The first step of each kind (wrote, synced, committed, linked, switched, removed) in epoch 2's save."""
    seen: dict[str, int] = {}
    for k in second_save(labels):
        seen.setdefault(labels[k].split()[0], k)
    return sorted(seen.values())


def interrupt_and_resume(reference, tmp_path, points) -> None:
    cfg, labels, whole_tensors, whole_state = reference
    for k in points:
        run = RunDir(tmp_path / f"crash{k}")
        set_step_hook(crash_at(k))
        with pytest.raises(Crash):
            train(cfg, run.root)
        set_step_hook(None)
        assert assert_consistent(run) in (0, 1, 2), labels[k]
        resumed = train(cfg, run.root, resume=True)
        assert untimed(resumed.history) == untimed(whole_state["history"]), labels[k]
        tensors = read_tensors(run.resume_tensors)
        assert all(torch.equal(tensors[key], whole_tensors[key]) for key in whole_tensors), labels[k]
        assert not [p for p in run.root.rglob("*") if p.name.endswith(".tmp")], labels[k]


def test_interrupted_at_each_kind_of_step_of_a_save_resumes_bit_exactly(reference, tmp_path):
    assert len(one_of_each_kind(reference[1])) == 6
    interrupt_and_resume(reference, tmp_path, one_of_each_kind(reference[1]))


@pytest.mark.slow
def test_interrupted_at_every_step_of_a_save_resumes_bit_exactly(reference, tmp_path):
    interrupt_and_resume(reference, tmp_path, second_save(reference[1]))


def test_interrupted_before_the_first_commit_starts_again_on_resume(reference, tmp_path):
    cfg, labels, whole_tensors, _ = reference
    run = RunDir(tmp_path / "run")
    set_step_hook(crash_at(labels.index("committed commit-000001-epoch-0001") - 1))
    with pytest.raises(Crash):
        train(cfg, run.root)
    set_step_hook(None)
    assert not run.has_run() and run.config.is_file()
    logged: list[str] = []
    train(cfg, run.root, resume=True, log=logged.append)
    assert "no completed epoch yet; starting from epoch 1" in logged[0]
    assert torch.equal(
        read_tensors(run.resume_tensors)["model.head.fc.weight"], whole_tensors["model.head.fc.weight"]
    )


def test_the_ctrl_c_hint_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["lenet5_modern", "--train-limit", "64", "--test-limit", "32", "--epochs", "2", "--out", str(out)]
    count = iter(range(10**9))

    def interrupt(label: str) -> None:
        if label.startswith("synced last") and next(count) == 1:  # in the middle of epoch 2's save
            raise KeyboardInterrupt

    set_step_hook(interrupt)
    assert main(["train", *args]) == 130
    set_step_hook(None)
    hint = capsys.readouterr().err.splitlines()[0]
    command = hint.split("resume with: ")[1].split()
    assert command[:2] == ["convzoo", "train"]
    assert main(command[1:]) == 0
    assert RunDir(out).read_state()["epoch"] == 2


RUNNER = """
import os, signal, sys
from convzoo.io import set_step_hook
from convzoo.cli import main
count = iter(range(10**9))
kill_at = int(sys.argv[1])
def hook(label):
    if next(count) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
set_step_hook(hook)
sys.exit(main(["train", "lenet5_modern", "--train-limit", "64", "--test-limit", "32", "--epochs", "2",
               "--batch-size", "32", "--threads", "1", "--save", "all", "--keep-resume",
               "--out", sys.argv[2], *sys.argv[3:]]))
"""


def fresh_process(*args: str, k: int = -1) -> subprocess.CompletedProcess:
    """RUNNER in a new interpreter: every run of these tests, killed, whole or resumed, starts a fresh
    process, so all of them get the same CPU kernels (a LeNet run pins portable ones at its start,
    which a process that already ran kernels cannot do: convzoo.train.kernels)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(k), *args], env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def fresh_whole(tmp_path_factory):
    """The resume tensors of an uninterrupted run made by a fresh process."""
    out = tmp_path_factory.mktemp("fresh") / "run"
    done = fresh_process(str(out))
    assert done.returncode == 0, done.stderr
    return read_tensors(RunDir(out).resume_tensors)


def kill_and_resume(k: int, out: Path, whole_tensors) -> None:
    done = fresh_process(str(out), k=k)
    assert done.returncode == -signal.SIGKILL, done.stderr
    run = RunDir(out)
    assert_consistent(run)
    resumed = fresh_process(str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    tensors = read_tensors(run.resume_tensors)
    assert all(torch.equal(tensors[key], whole_tensors[key]) for key in whole_tensors)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]  # the kill's leftovers went


def test_sigkill_mid_save_leaves_a_resumable_run_and_no_orphans(reference, fresh_whole, tmp_path):
    labels = reference[1]
    kill_and_resume(
        labels.index("wrote last.safetensors", labels.index("committed commit-000001-epoch-0001")),
        tmp_path / "run",
        fresh_whole,
    )


@pytest.mark.slow
def test_sigkill_at_every_durable_step_of_a_run(reference, fresh_whole, tmp_path):
    labels = reference[1]
    for k in range(len(labels)):
        kill_and_resume(k, tmp_path / f"kill{k}", fresh_whole)


def test_a_run_of_the_older_layout_resumes_into_snapshots(reference, tmp_path):
    cfg = reference[0]
    run = RunDir(tmp_path / "run")
    first = train(cfg.replace(epochs=1), run.root)
    # rewrite it as older versions laid it out: a plain checkpoints/ folder, state and metrics beside it
    snapshot = run.checkpoints.resolve()
    run.checkpoints.unlink()
    snapshot.rename(run.checkpoints)
    run.snapshots.rmdir()
    for name in ("trainer_state.json", "metrics.csv", "metrics.jsonl"):
        (run.root / name).unlink(missing_ok=True)
        (run.checkpoints / name).rename(run.root / name)
    resumed = train(cfg.replace(epochs=2), run.root, resume=True)
    assert resumed.history[0] == first.history[0] and len(resumed.history) == 2
    assert run.checkpoints.is_symlink() and not (run.root / "trainer_state.json").exists()
