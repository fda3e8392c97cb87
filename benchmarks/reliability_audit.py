"""Reliability audit: bad inputs at every door, kills at every durable step of a save, full disks,
two writers, fuzzed CIFAR pickles. Writes benchmarks/RESULTS-reliability.md.

    python benchmarks/reliability_audit.py [--kills all|sample] [--fuzz N]

Every bad input runs through `convzoo.cli.main` in this process (an exception escaping `main` is
what a user sees as a traceback) and is classed: one-line error (exit 2, one stderr line, no
traceback), accepted (exit 0; right for valid inputs in other spellings), traceback, or other.
Kills: a child `convzoo train` is SIGKILLed at each durable step of a 2-epoch run (injected through
convzoo.io.set_step_hook, not by timing), then `--resume` runs; a run is unresumable when resume
fails, and data is lost when the newest commit after the kill is older than the last commit the
killed process completed, or the resumed weights differ from an uninterrupted run's.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from convzoo.cli import main
from convzoo.io import set_step_hook
from convzoo.registry import create_model
from convzoo.train.checkpoint import read_tensors, save_tensors
from convzoo.train.config import environment
from convzoo.train.kernels import pin_portable_kernels
from convzoo.train.rundir import RunDir

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SMALL_RUN = ["train", "lenet5_modern", "--train-limit", "64", "--test-limit", "32", "--threads", "1"]
TINY = ["--epochs", "1", "--train-limit", "64", "--test-limit", "32", "--threads", "1"]
META = {
    "model": "lenet5_modern", "num_classes": 10, "in_chans": 1, "input_size": [1, 32, 32], "data_size": 28,
    "dataset": "mnist-mini", "classes": [str(i) for i in range(10)], "mean": [0.13], "std": [0.31],
    "epoch": 1,
}  # fmt: skip


def run_cli(argv: list[str]) -> tuple[str, str]:
    """(outcome, stderr's last line) of one invocation."""
    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            status = main(argv)
    except SystemExit as e:  # argparse's usage errors
        status = e.code
    except BaseException as e:
        return "traceback", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    text = err.getvalue()
    if "Traceback" in text:
        return "traceback", lines[-1] if lines else ""
    if status == 0:
        return "accepted", lines[-1] if lines else ""
    if status == 2 and len(lines) == 1:
        return "one-line", lines[0]
    if status == 2 and lines and lines[0].startswith("usage:"):  # argparse: usage + one error line
        return "one-line", lines[-1]
    return "other", f"exit {status}: " + " | ".join(lines[:3])


# ---- the bad inputs -------------------------------------------------------------------------------


def bad_inputs(work: Path) -> list[tuple[str, list[str], str]]:
    """(class, argv, expected outcome) for every input tried."""
    torch.manual_seed(0)
    state = create_model("lenet5_modern", num_classes=10).state_dict()
    ckpt = work / "good.safetensors"
    save_tensors(ckpt, state, META)
    digit = work / "digit.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(digit)
    cases: list[tuple[str, list[str], str]] = []

    def train(cls: str, *args: str, expected: str = "one-line", out: str | None = None) -> None:
        out = out or str(work / f"run{len(cases)}")
        cases.append((cls, ["train", "lenet5_modern", *TINY, *args, "--out", out], expected))

    # devices
    for device in ("tpu9", "cuda", "cuda:7", "meta", "", "xla", "cuda:-1", "mps"):
        if torch.cuda.is_available() and device == "cuda":
            continue
        train("device", "--device", device)
    # config values by flag
    for flag, values in {
        "--epochs": ["0", "-1"], "--batch-size": ["0", "-5"], "--lr": ["0", "-1", "inf", "nan", "1e9"],
        "--ema": ["1.5", "-0.1", "1"], "--threads": ["-2"], "--workers": ["-1"], "--train-limit": ["0", "-3"],
        "--test-limit": ["0"], "--seed": ["-1"], "--epochs ": ["ten"], "--optimizer": ["adam"],
        "--augment": ["rotate"],
    }.items():  # fmt: skip
        for value in values:
            train("config flag", flag.strip(), value)
    # config values from YAML
    yaml_bad = ["batch_size: 32.5", "weight_decay: -5", "momentum: 7", "image_size: 0", "batch_size: ten",
                "nesterov: maybe", "lr: 1e-3x", "lr: .inf", "unknown_key: 1", "[1, 2]", "lr: [1",
                "label_smoothing: 1",
                "warmup_epochs: -1", "grad_clip: -1", "step_gamma: 0", "eval_batch_size: 0", "lr_decay: 2",
                "device: tpu9", "schedule: linear"]  # fmt: skip
    for i, text in enumerate(yaml_bad):
        path = work / f"bad{i}.yaml"
        path.write_text(text + "\n")
        train("config file", "--config", str(path))
    train("config file", "--config", str(work / "missing.yaml"))
    for i, text in enumerate(
        ["lr: 1e-3", "lr: '0.01'", "batch_size: 32.0", "batch_size: '32'", "epochs: 1_0"]
    ):
        path = work / f"good{i}.yaml"
        path.write_text(text + "\nepochs: 1\n" if "epochs" not in text else text.replace("1_0", "1") + "\n")
        train("config file (valid spelling)", "--config", str(path), expected="accepted")
    # CLI counts
    for argv in (
        ["predict", str(ckpt), str(digit), "--top-k", "0"],
        ["predict", str(ckpt), str(digit), "--top-k", "-1"],
        ["eval", str(ckpt), "--limit", "-1"], ["eval", str(ckpt), "--limit", "0"],
        ["eval", str(ckpt), "--batch-size", "0"],
        ["features", str(ckpt), "--out", str(work / "f.npz"), "--limit", "0"],
        ["features", str(ckpt), "--out", str(work / "f.npz"), "--batch-size", "-1"],
        ["visualize", str(ckpt), "--what", "class-model", "--steps", "0", "--out", str(work / "v.png")],
        ["visualize", str(ckpt), "--what", "class-model", "--target", "99", "--out", str(work / "v.png")],
        ["summary", "lenet5", "--depth", "0"], ["summary", "lenet5", "--input-size", "0,1,1"],
    ):  # fmt: skip
        cases.append(("CLI count", argv, "one-line"))
    # checkpoint metadata and files
    metas = {
        "unknown model": {"model": "resnet9000"}, "string num_classes": {"num_classes": "10"},
        "string mean": {"mean": "0.1"}, "short class list": {"classes": ["a"]},
        "huge input size": {"input_size": [1, 60000, 60000]}, "input size of 2": {"input_size": [32, 32]},
        "zero std": {"std": [0.0]}, "channels mismatch": {"input_size": [3, 32, 32]},
        "bool in_chans": {"in_chans": True}, "negative data_size": {"data_size": -1},
    }  # fmt: skip
    files = {}
    for i, (name, change) in enumerate(metas.items()):
        files[name] = work / f"meta{i}.safetensors"
        save_tensors(files[name], state, {**META, **change})
    nan_state = {k: v.clone() for k, v in state.items()}
    nan_state["head.fc.weight"][0, 0] = float("nan")
    inf_state = {k: v.clone() for k, v in state.items()}
    inf_state["features.0.conv.weight" if "features.0.conv.weight" in state else next(iter(state))].view(-1)[
        0
    ] = float("inf")
    for name, tensors in (("NaN weights", nan_state), ("inf weights", inf_state)):
        files[name] = work / f"{name.split()[0]}.safetensors"
        save_tensors(files[name], tensors, META)
    files["no metadata"] = work / "plain.safetensors"
    save_tensors(files["no metadata"], state)
    files["random bytes"] = work / "random.safetensors"
    files["random bytes"].write_bytes(random.Random(0).randbytes(4096))
    files["truncated"] = work / "truncated.safetensors"
    files["truncated"].write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    files["empty file"] = work / "empty.safetensors"
    files["empty file"].write_bytes(b"")
    files["missing file"] = work / "missing.safetensors"
    files["a folder"] = work
    for name, path in files.items():
        for command in (["eval", str(path)], ["predict", str(path), str(digit)], ["summary", str(path)]):
            cases.append(
                (f"checkpoint ({'weights' if 'weights' in name else 'metadata/file'})", command, "one-line")
            )
    fp16 = work / "fp16.safetensors"
    save_tensors(fp16, {k: v.half() if v.is_floating_point() else v for k, v in state.items()}, META)
    cases.append(("checkpoint (weights, valid fp16)", ["predict", str(fp16), str(digit)], "accepted"))
    # images
    grad = np.add.outer(np.arange(64), np.arange(64)) / 126.0
    Image.fromarray((grad * 65535).astype(np.uint16)).save(work / "g16.png")
    Image.fromarray(grad.astype(np.float32)).save(work / "f32.tiff")
    Image.new("1", (9000, 9000)).save(work / "big.png")
    Image.new("1", (14000, 14000)).save(work / "bomb.png")
    (work / "text.png").write_text("not an image")
    png = (work / "g16.png").read_bytes()
    (work / "cut.png").write_bytes(png[: len(png) // 3])
    for name in ("big.png", "bomb.png", "text.png", "cut.png", "nothing.png"):
        cases.append(("image", ["predict", str(ckpt), str(work / name)], "one-line"))
    cases.append(
        ("image", ["interpret", str(ckpt), str(work / "bomb.png"), "--out", str(work / "i.png")], "one-line")
    )
    for name in ("g16.png", "f32.tiff"):
        cases.append(("image (valid 16-bit/float)", ["predict", str(ckpt), str(work / name)], "accepted"))
    # data and splits
    one = work / "one_per_class"
    for cls in ("ants", "bees"):
        (one / cls).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(one / cls / "a.png")
    (work / "no_classes").mkdir()
    (work / "empty_class" / "ants").mkdir(parents=True)
    for data in (one, work / "no_classes", work / "empty_class", work / "nowhere"):
        cases.append(
            ("data", ["train", "resnet18", *TINY, "--data", str(data), "--out", str(work / "d")], "one-line")
        )
    cases.append(
        ("data", ["train", "lenet5", *TINY, "--data", "mnist", "--data-dir", str(work / "none")], "one-line")
    )
    cases.append(
        ("data", ["eval", str(ckpt), "--data", "cifar10", "--data-dir", str(work / "none")], "one-line")
    )
    # file system
    (work / "a_file").write_text("x")
    cases.append(
        ("file system", ["train", "lenet5_modern", *TINY, "--out", str(work / "a_file" / "run")], "one-line")
    )
    saliency = ["interpret", str(ckpt), str(digit), "--method", "saliency", "--out", str(work)]
    cases.append(("file system", saliency, "one-line"))
    cases.append(
        ("file system", ["visualize", str(ckpt), "--what", "filters", "--out", str(work)], "one-line")
    )
    cases.append(("file system", ["features", str(ckpt), "--limit", "8", "--out", str(work)], "one-line"))
    # resume
    cases.append(("resume", ["train", "lenet5_modern", "--resume"], "one-line"))
    cases.append(("resume", ["train", "lenet5_modern", "--resume", "--out", str(work / "never")], "one-line"))
    cases.append(("resume", ["train", "lenet5_modern", "--resume", "--out", str(one)], "one-line"))
    return cases


def damaged_runs(work: Path) -> list[tuple[str, list[str], str]]:
    """Runs whose resume files were damaged after the fact (a finished run kept with --keep-resume,
    as one a user means to continue): a one-line refusal each."""
    cases = []
    base = work / "base"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["train", "lenet5_modern", *TINY, "--keep-resume", "--out", str(base)])
    damages: dict[str, Callable[[RunDir], None]] = {
        "flipped byte in resume tensors": lambda r: _flip(r.resume_tensors.resolve()),
        "truncated resume tensors": lambda r: _cut(r.resume_tensors.resolve()),
        "garbled trainer_state.json": lambda r: r.state.resolve().write_text("{not json"),
        "resume tensors deleted": lambda r: r.resume_tensors.resolve().unlink(),
    }
    for i, (name, damage) in enumerate(damages.items()):
        run = work / f"damaged{i}"
        shutil.copytree(base, run, symlinks=True)
        damage(RunDir(run))
        cases.append(
            (f"damaged run ({name})", ["train", "lenet5_modern", "--out", str(run), "--resume"], "one-line")
        )
    other = work / "damaged_batch"
    shutil.copytree(base, other, symlinks=True)
    other_batch = ["train", "lenet5_modern", "--out", str(other), "--resume", "--batch-size", "7"]
    cases.append(("damaged run (other batch size)", other_batch, "one-line"))
    return cases


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


# ---- kills ----------------------------------------------------------------------------------------

KILLED = """
import os, signal, sys
from convzoo.io import set_step_hook
from convzoo.cli import main
count = iter(range(10**9))
kill_at = int(sys.argv[1])
labels = []
def hook(label):
    labels.append(label)
    if next(count) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
set_step_hook(hook)
if kill_at < 0:
    import atexit
    atexit.register(lambda: open(sys.argv[2] + ".steps", "w").write("\\n".join(labels)))
sys.exit(main(["train", "lenet5_modern", "--train-limit", "64", "--test-limit", "32", "--epochs", "2",
               "--threads", "1", "--keep-resume", "--out", sys.argv[2]]))
"""


def kills(work: Path, every: bool) -> dict[str, int]:
    args = [*SMALL_RUN, "--epochs", "2", "--keep-resume"]  # the resumed weights are compared
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    whole_dir = work / "whole"
    subprocess.run(
        [sys.executable, "-c", KILLED, "-1", str(whole_dir)], env=env, capture_output=True, check=True
    )
    labels = Path(f"{whole_dir}.steps").read_text().split("\n")  # the child's steps, its plots included
    whole = read_tensors(RunDir(whole_dir).resume_tensors)
    first = labels.index("committed commit-000001-epoch-0001")
    removed = labels.index("removed commit-000001-epoch-0001")
    points = range(len(labels)) if every else range(first + 1, removed + 1)  # sample: epoch 2's whole save
    progress(f"kills: {len(points)} points of {len(labels)} steps")
    result = Counter()
    for k in points:
        out = work / f"kill{k}"
        done = subprocess.run([sys.executable, "-c", KILLED, str(k), str(out)], env=env, capture_output=True)
        result["kills"] += 1
        if done.returncode != -signal.SIGKILL:
            result["not killed"] += 1
            continue
        committed = sum(label.startswith("committed") for label in labels[:k])
        run = RunDir(out)
        kept = run.read_state()["epoch"] if run.has_run() else 0
        result["data lost"] += kept < committed  # a commit the killed process completed is gone
        outcome, line = run_cli([*args, "--out", str(out), "--resume"])
        if outcome != "accepted":
            result["unresumable"] += 1
            progress(f"unresumable after a kill at step {k} ({labels[k]}): {outcome}: {line}")
            continue
        result["survived"] += 1
        orphans = [p for p in out.rglob("*") if p.name.endswith(".tmp")]
        result["orphans left after resume"] += len(orphans)
        tensors = read_tensors(run.resume_tensors)
        if not all(torch.equal(tensors[key], whole[key]) for key in whole):
            result["resumed weights differ"] += 1
    # Ctrl-C (KeyboardInterrupt) at every step, in this process; the hint's command must resume
    for k in points:
        out = work / f"sigint{k}"
        count = iter(range(10**9))

        def interrupt(label: str, k: int = k, count=count) -> None:
            if next(count) == k:
                raise KeyboardInterrupt

        set_step_hook(interrupt)
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            status = main([*args, "--out", str(out)])
        set_step_hook(None)
        if status != 130:
            continue  # the interrupt came after the last step that raises (the run finished)
        result["Ctrl-C"] += 1
        hint = next((line for line in err.getvalue().splitlines() if "resume with:" in line), "")
        command = hint.split("resume with: ")[-1].split()[1:]
        outcome, _ = run_cli(command) if command else ("no hint", "")
        result["Ctrl-C hint resumed" if outcome == "accepted" else "Ctrl-C hint failed"] += 1
    return dict(result)


def full_disk(work: Path) -> dict[str, str]:
    where = work / "disk"
    where.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True
    ).returncode:
        return {"ENOSPC mid-run": "skipped (cannot mount a tmpfs here)"}
    try:
        out = where / "run"
        args = [*SMALL_RUN, "--epochs", "3"]
        outcome, line = run_cli([*args, "--out", str(out)])
        kept = RunDir(out).read_state()["epoch"] if RunDir(out).has_run() else 0
        subprocess.run(["mount", "-o", "remount,size=16m", str(where)], check=True)
        resumed, _ = run_cli([*args, "--out", str(out), "--resume"])
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        ro, ro_line = run_cli([*args, "--out", str(where / "other")])
        return {
            "ENOSPC mid-run": f"{outcome}: `{line}`; epoch {kept} kept; "
            f"resume after freeing space: {resumed}",
            "read-only --out": f"{ro}: `{ro_line}`",
        }
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def two_writers(work: Path) -> str:
    from convzoo.train.lock import RunLock

    out = work / "busy"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from convzoo.train.lock import RunLock; "
         "RunLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(600)", str(out)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    holder.stdout.readline()
    second, line = run_cli(["train", "lenet5_modern", *TINY, "--out", str(out)])
    resume, _ = run_cli(["train", "lenet5_modern", "--out", str(out), "--resume"])
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    logged: list[str] = []
    with RunLock(out, logged.append):
        taken = bool(logged)
    return (
        f"second writer: {second} (`{line}`); second --resume: {resume}; "
        f"killed holder's lock taken over: {taken}"
    )


def fuzz_cifar(work: Path, n: int) -> Counter:
    from convzoo.data import DataError
    from convzoo.data.cifar import load_cifar

    sys.path.insert(0, str(ROOT))
    from tests.data.test_cifar_fuzz import FILES, mutate
    from tests.data.test_datasets import write_cifar

    root = work / "fuzz" / "cifar-10-batches-py"
    write_cifar(root)
    originals = {name: (root / name).read_bytes() for name in FILES}
    rng, outcome = random.Random(1234), Counter()
    for _ in range(n):
        name = rng.choice(FILES)
        (root / name).write_bytes(mutate(originals[name], rng))
        try:
            load_cifar("cifar10", root.parent)
            outcome["loaded"] += 1
        except DataError:
            outcome["DataError"] += 1
        except Exception as e:
            outcome[f"escaped: {type(e).__name__}"] += 1
        (root / name).write_bytes(originals[name])
    return outcome


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main_audit() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", choices=("all", "sample"), default="sample")
    parser.add_argument("--fuzz", type=int, default=3000)
    args = parser.parse_args()
    load_before = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    start = time.time()
    work = Path(tempfile.mkdtemp(prefix="convzoo-audit-"))
    # the LeNet recipe's portable kernels, before this process runs any: the runs resumed here are
    # compared bit for bit with the uninterrupted one, which a fresh child process ran on them
    pin_portable_kernels(progress)
    torch.set_num_threads(1)
    # The pictures are no part of what is audited (in this process): a run's curves.png costs seconds.
    from convzoo.train import Trainer

    Trainer.write_plots = lambda self: None
    cases = bad_inputs(work) + damaged_runs(work)
    progress(f"{len(cases)} inputs")
    rows = [(cls, argv, expected, *run_cli(argv)) for cls, argv, expected in cases]
    progress("inputs done")
    killed = kills(work, args.kills == "all")
    progress("kills done")
    disk = full_disk(work)
    writers = two_writers(work)
    fuzz = fuzz_cifar(work, args.fuzz)
    progress("done")
    shutil.rmtree(work, ignore_errors=True)

    by_class: dict[str, Counter] = {}
    for cls, _, expected, outcome, _ in rows:
        c = by_class.setdefault(cls, Counter())
        c["tried"] += 1
        c[outcome] += 1
        c["as expected"] += outcome == expected
    bad = [r for r in rows if r[2] == "one-line"]
    env = environment()
    lines = [
        "# Reliability audit",
        "",
        f"`python benchmarks/reliability_audit.py --kills {args.kills} --fuzz {args.fuzz}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {time.time() - start:.0f} s; machine "
        f"{env['machine']['cpu']} ({env['machine']['cpu_count']} CPUs), {platform.platform()}, torch "
        f"{env['versions']['torch']}, python {env['versions']['python']}; load average before {load_before}; "
        f"host {socket.gethostname()}; seeds fixed (CIFAR fuzz 1234, kills by step index).",
        "",
        "## Totals",
        "",
        "| measure | value |",
        "|---|---|",
        f"| bad inputs tried | {len(bad)} |",
        f"| one-line errors (exit 2) | {sum(r[3] == 'one-line' for r in bad)} |",
        f"| tracebacks (all invocations) | {sum(r[3] == 'traceback' for r in rows)} |",
        f"| bad inputs accepted | {sum(r[3] == 'accepted' for r in bad)} |",
        f"| other outcomes | {sum(r[3] == 'other' for r in rows)} |",
        f"| valid inputs in other spellings accepted | "
        f"{sum(r[3] == 'accepted' for r in rows if r[2] == 'accepted')} of "
        f"{sum(r[2] == 'accepted' for r in rows)} |",
        f"| kill -9 at a durable step (survived / tried) | {killed.get('survived', 0)} / "
        f"{killed.get('kills', 0)} |",
        f"| runs left unresumable | {killed.get('unresumable', 0)} |",
        f"| data lost (a completed commit gone after the kill) | {killed.get('data lost', 0)} |",
        f"| resumed runs whose final weights differ from an uninterrupted run | "
        f"{killed.get('resumed weights differ', 0)} |",
        f"| orphan temp files left after resume | {killed.get('orphans left after resume', 0)} |",
        f"| Ctrl-C at a durable step: hint command resumed | {killed.get('Ctrl-C hint resumed', 0)} / "
        f"{killed.get('Ctrl-C', 0)} |",
        f"| fuzzed CIFAR pickles escaping the DataError | "
        f"{sum(v for k, v in fuzz.items() if k.startswith('escaped'))} of {args.fuzz} |",
        "",
        "## By class of input",
        "",
        "| class | tried | as expected | one-line | accepted | traceback | other |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {cls} | {c['tried']} | {c['as expected']} | {c['one-line']} | {c['accepted']} | "
            f"{c['traceback']} | {c['other']} |"
            for cls, c in by_class.items()
        ),
        "",
        "## Disks, writers, fuzz",
        "",
        *(f"- {k}: {v}" for k, v in disk.items()),
        f"- two writers: {writers}",
        f"- CIFAR fuzz outcomes: {json.dumps(dict(fuzz))}",
        f"- kills: {json.dumps(killed)}",
        "",
        "## Every outcome that was not as expected",
        "",
        *(
            f"- {cls}: `convzoo {' '.join(a if len(a) < 60 else '…' + a[-40:] for a in argv)}` "
            f"-> {outcome}: {line}"
            for cls, argv, expected, outcome, line in rows
            if outcome != expected
        ),
        "",
        "## Sample messages (first of each class)",
        "",
        *(
            f"- {cls}: `{line}`"
            for cls in by_class
            for c, _, _, _, line in [next(r for r in rows if r[0] == cls)]
        ),
        "",
    ]
    (HERE / "RESULTS-reliability.md").write_text("\n".join(lines))
    print("\n".join(lines[:22]))


if __name__ == "__main__":
    main_audit()
