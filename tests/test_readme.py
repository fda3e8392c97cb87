"""The README guards itself: every `convzoo` command of its shell blocks is one the CLI accepts, the
quick ones run after the main job's install (core dependencies only) and print the numbers their
comments quote, and the main job prints exactly the sample output the README shows (slow)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from convzoo.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
SHARED = Path(os.environ.get("CONVZOO_SHARED", REPO.parent / "shared"))
# Words of the README that stand for the reader's own files, and what the tests put there.
PLACEHOLDERS = {
    "DIR": "DATA_DIR",
    "path/to/folder": "FOLDER",
    "RUN": "RUN_DIR",
}
# Commands that only run with more than the repository: the reason is what the reader needs.
NEEDS_MORE = {
    "--download": "the network",
    "resnet18.pth": "a torchvision checkpoint file",
    "torchrun": "torch's distributed launcher",
    "digit.png": "an image of the reader's",
}
# Arguments naming files an earlier command (or the reader) makes: such commands are not quick ones.
FILE_SUFFIXES = {".safetensors", ".pth", ".yaml", ".yml", ".json", ".npz", ".png", ".jpg"}
# Commands quick enough for the default run (a few seconds each on two cores).
QUICK = ("summary", "design", "info", "list")


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```(?:bash|sh|shell)\n(.*?)```", text, flags=re.S)


def readme_commands() -> list[tuple[list[str], str, str]]:
    """(argv after `convzoo`, the comment after the command, the whole line) for every convzoo
    command in the README's shell blocks, `.venv/bin/convzoo`, `&&` chains and `-m convzoo` included."""
    found = []
    for block in shell_blocks(README):
        for line in block.replace("\\\n", " ").splitlines():  # continuation lines joined
            code, _, comment = line.partition("  #")
            for part in code.split("&&"):
                words = shlex.split(part, comments=True)
                starts = [
                    i
                    for i, w in enumerate(words)
                    if Path(w).name == "convzoo" or (w == "-m" and i + 1 < len(words))
                ]
                for i in starts:
                    first = i + 2 if words[i] == "-m" else i + 1
                    if words[i] == "-m" and words[i + 1] != "convzoo":
                        continue
                    found.append((words[first:], comment.strip(), line))
                    break
    return found


COMMANDS = readme_commands()


def test_the_readme_has_commands_of_every_kind():
    verbs = {argv[0] for argv, _, _ in COMMANDS}
    assert {"train", "finetune", "features", "summary", "design", "chart", "interpret", "visualize"} <= verbs


IDS = [" ".join(a)[:60] for a, _, _ in COMMANDS]


@pytest.mark.parametrize(("argv", "comment", "line"), COMMANDS, ids=IDS)
def test_every_readme_command_is_one_the_cli_accepts(argv, comment, line):
    args = build_parser().parse_args(argv)  # argparse exits 2 on an unknown flag or a wrong choice
    assert args.command == argv[0]


def quoted_numbers(comment: str) -> list[str]:
    """'589,824 vs 69,632 MACs' -> ['589,824', '69,632']: the numbers a comment says the command prints."""
    return re.findall(r"\d[\d,]*(?:\.\d+)?", comment)


def quick_commands() -> list[tuple[list[str], str]]:
    return [
        (argv, comment)
        for argv, comment, _ in COMMANDS
        if argv[0] in QUICK and not any(p in argv for p in PLACEHOLDERS) and "--out" not in argv
        and not any(Path(a).suffix in FILE_SUFFIXES for a in argv)  # made by an earlier command
    ]  # fmt: skip


# Runs the quick commands in one fresh interpreter where the optional packages are absent, as after
# the README's main-job install (core dependencies only): an optional import then fails as it would.
RUNNER = """
import contextlib, io, json, sys
for name in ("albumentations",):
    sys.modules[name] = None
from convzoo.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as e:
            status = e.code
    results.append({"status": status, "out": out.getvalue(), "err": err.getvalue()})
print(json.dumps(results))
"""


def test_the_quick_readme_commands_work_with_the_core_install_and_print_what_they_quote():
    commands = quick_commands()
    assert commands, "the README lost its quick commands"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps([a for a, _ in commands])],
        env=env, capture_output=True, text=True, timeout=600, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for (argv, comment), result in zip(commands, json.loads(done.stdout), strict=True):
        assert result["status"] == 0, (argv, result["err"])
        for number in quoted_numbers(comment):
            assert number in result["out"], f"`convzoo {' '.join(argv)}` does not print {number}"


def main_job_sample() -> list[str]:
    """The lines of the README's sample output of the main job."""
    block = re.search(r"It ends like this.*?```text\n(.*?)```", README, flags=re.S)
    assert block, "the README lost the main job's sample output"
    return block.group(1).strip().splitlines()


# Timings and the run directory's time stamp differ from run to run; every other character repeats.
VARIABLE = [
    (r"\d+\.\d+s  [\d,]+ img/s", "T"),
    (r"in \d+\.\d+ s", "in T"),
    (r"runs/lenet5-mnist-mini-\d{8}-\d{6}", "RUN"),
]


def steady(line: str) -> str:
    for pattern, repl in VARIABLE:
        line = re.sub(pattern, repl, line)
    return line


@pytest.mark.slow
def test_the_main_job_prints_the_readme_sample(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "convzoo", "train", "lenet5"],
        env=env, capture_output=True, text=True, timeout=1200, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = done.stdout.strip().splitlines()
    sample = main_job_sample()
    assert [steady(x) for x in printed[-len(sample) :]] == [steady(x) for x in sample]


def needs_more(line: str) -> str | None:
    return next((what for key, what in NEEDS_MORE.items() if key in line), None)


LONGER = [c for c in COMMANDS if (c[0], c[1]) not in quick_commands()]


@pytest.mark.slow
@pytest.mark.parametrize(("argv", "comment", "line"), LONGER, ids=[" ".join(a)[:60] for a, _, _ in LONGER])
def test_the_longer_readme_commands_run(argv, comment, line, tmp_path, monkeypatch, capsys):
    from convzoo.cli import main

    missing = needs_more(line)
    if missing:
        pytest.skip(f"needs {missing}")
    data = SHARED / "data"
    if any(a.startswith("../shared") or a in PLACEHOLDERS for a in argv) and not data.is_dir():
        pytest.skip(f"datasets not found at {data}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    uses_run = any(a.startswith(("RUN", "runs/digits")) for a in argv) and "--out" not in argv
    if uses_run or argv[0] == "finetune":
        quick_run = ["train", "lenet5_modern", "--epochs", "1", "--train-limit", "512", "--test-limit", "100"]
        assert main([*quick_run, "--out", "runs/digits"]) == 0
    if argv[0] in ("interpret", "visualize") or "digit.png" in argv:
        from PIL import Image

        from convzoo.data import load_dataset

        Image.fromarray(load_dataset("mnist-mini").test.images[0, 0].numpy()).save("digit.png")
    substitutes = {
        "DIR": str(data / "fashion-mnist"),
        "path/to/folder": str(data / "hymenoptera_data"),
        "../shared/data/mnist": str(data / "mnist"),
    }
    argv = [substitutes.get(a, a) for a in argv]
    argv = ["runs/digits" + a[3:] if a.startswith("RUN") else a for a in argv]
    quoted = quoted_numbers(comment)
    short = ["--train-limit", "512", "--test-limit", "100"]
    if "--batch-size" not in argv:  # a paper recipe's batch (VGG's 256 at 224x224) needs tens of GB
        short += ["--batch-size", "16"]
    if "--resume" in argv:  # continues a run: the run it continues comes first
        first = [a for a in argv if a != "--resume"]
        assert main([*first, *short, "--epochs", "1", "--keep-resume"]) == 0
        argv = [*argv, *short, "--epochs", "2"]
    elif argv[0] in ("train", "finetune") and not quoted:  # checked on whether it runs: a short run
        argv = [*argv, *short, "--epochs", "1"]
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    printed = capsys.readouterr().out
    if argv[0] == "train" and quoted:  # "99.3% in 6 epochs": the run's top-1 (one decimal) and epochs
        summary = json.loads(printed)
        percent = [float(q) for q in quoted if f"{q}%" in comment]
        epochs = [int(q) for q in quoted if f"{q} epochs" in comment]
        assert all(abs(summary["top1"] * 100 - p) <= 0.15 for p in percent), summary
        assert all(summary["epochs"] == e for e in epochs), summary
