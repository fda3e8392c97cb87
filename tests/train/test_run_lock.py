"""One writer per run directory: a second `convzoo train` (or --resume) on a running run gets one line
and exit 2, and the lock a killed run leaves is taken over."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convzoo.cli import main
from convzoo.train.lock import RunDirectoryBusyError, RunLock

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["lenet5_modern", "--train-limit", "64", "--test-limit", "32", "--epochs", "1", "--threads", "1"]

# A training process that stops in the middle of its save until the test says go.
PAUSED_TRAINER = """
import sys, time
from pathlib import Path
from convzoo.io import set_step_hook
from convzoo.cli import main
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
def hook(label):
    if label == "wrote resume.safetensors" and not ready.exists():
        ready.touch()
        while not go.exists():
            time.sleep(0.05)
set_step_hook(hook)
sys.exit(main(["train", *sys.argv[4:], "--out", sys.argv[3]]))
"""


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the first writer never reached its save"
        time.sleep(0.1)


def test_a_second_writer_gets_one_line_and_exit_2(tmp_path, capsys):
    out, ready, go = tmp_path / "run", tmp_path / "ready", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(
        [sys.executable, "-c", PAUSED_TRAINER, str(ready), str(go), str(out), *ARGS],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(ready, first)
        before = sorted(p.name for p in out.rglob("*"))
        for extra in ([], ["--resume"]):
            assert main(["train", *ARGS, "--out", str(out), *extra]) == 2
            err = capsys.readouterr().err.strip()
            assert err.count("\n") == 0
            assert f"pid {first.pid} on {socket.gethostname()}" in err and "is in use" in err
            assert sorted(p.name for p in out.rglob("*")) == before  # the second writer wrote nothing
        go.touch()
        assert first.wait(timeout=240) == 0, first.stderr.read()
    finally:
        go.touch()
        first.kill()
        first.wait()
    RunLock(out).acquire().release()  # free again after the run


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from convzoo.train.lock import RunLock; "
         "RunLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(600)", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(RunDirectoryBusyError, match=f"pid {holder.pid}"):
        RunLock(tmp_path).acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    logged: list[str] = []
    with RunLock(tmp_path, logged.append):
        assert logged == [
            f"{tmp_path}: taking over from pid {holder.pid} on {socket.gethostname()} (no longer running)"
        ]
        with pytest.raises(RunDirectoryBusyError):
            RunLock(tmp_path).acquire()  # held: even the same process cannot take it twice
    with RunLock(tmp_path, logged.append):  # a clean release leaves no holder to take over from
        assert len(logged) == 1
