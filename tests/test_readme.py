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


def block_commands(block: str) -> list[tuple[list[str], str, str]]:
    """(argv after `convzoo`, the comment after the command, the whole line) for every convzoo
    command of one shell block, `.venv/bin/convzoo`, `&&` chains and `-m convzoo` included."""
    found = []
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


BLOCKS = [block_commands(b) for b in shell_blocks(README)]
COMMANDS = [c for block in BLOCKS for c in block]


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


# The portable kernels make a seeded run repeat on the CPUs tried, but not on every CPU: one machine
# printed test top-1 97.70% (loss 0.0688), another 97.40% (0.0662) from the same code and wheels. The
# numbers must agree to these tolerances, everything else exactly.
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e-?\d+)?%?")
PERCENT_POINTS, RELATIVE = 1.0, 0.1


def same_run(printed: str, sample: str) -> bool:
    """Whether two lines of the main job's output match: the words and counts exactly, the other
    numbers within the tolerances above (percentages in points, the rest relative)."""
    printed, sample = steady(printed), steady(sample)
    if NUMBER.sub("N", printed) != NUMBER.sub("N", sample):
        return False
    for a, b in zip(NUMBER.findall(printed), NUMBER.findall(sample), strict=True):
        if a.endswith("%") != b.endswith("%"):
            return False
        if "." not in a + b and a != b:  # counts (epochs, images) exactly
            return False
        x, y = float(a.rstrip("%")), float(b.rstrip("%"))
        if abs(x - y) > (PERCENT_POINTS if a.endswith("%") else RELATIVE * max(abs(y), 1e-12)):
            return False
    return True


def test_same_run_tolerates_the_last_digits_only():
    line = (
        "epoch  12/12  loss 0.0688  train 97.88%  test 97.70% (top-5 99.90%)  lr 2.40e-08  0.8s  7,858 img/s"
    )
    other_cpu = (
        "epoch  12/12  loss 0.0662  train 97.87%  test 97.40% (top-5 99.40%)  lr 2.40e-08  1.9s  3,110 img/s"
    )
    assert same_run(other_cpu, line)
    assert not same_run(other_cpu.replace("97.40%", "95.40%"), line)  # two points off
    assert not same_run(other_cpu.replace("0.0662", "0.0888"), line)  # the loss a third off
    assert not same_run(other_cpu.replace("12/12", "11/12"), line)
    assert not same_run(other_cpu.replace("test", "val"), line)


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
    tail = printed[-len(sample) :]
    assert all(same_run(a, b) for a, b in zip(tail, sample, strict=True)), "\n".join(tail)


# The README's shell blocks are worked examples: the longer commands of a block run in order in one
# folder, so that a command finds what the ones above it made (a run, a study, an exported spec).
# Words standing for the reader's own things become files the test writes; commands that need
# more than the repository (the network, a database server, a checkpoint file) are left out.
NEEDS_MORE = {
    "--download": "the network",
    "resnet18.pth": "a torchvision checkpoint file",
    "torchrun": "torch's distributed launcher",
    "postgresql://": "a database server",
}
SHORT = ["--train-limit", "16", "--test-limit", "8", "--batch-size", "4", "--epochs", "1"]
SEARCH_TRIALS = "2"  # a study of the README's size takes minutes; two trials show it works


def needs_more(line: str) -> str | None:
    return next((what for key, what in NEEDS_MORE.items() if key in line), None)


def write_seg_folders(root: Path, count: int = 12) -> dict[str, str]:
    """shapes-seg pictures as the reader's files: an images/ + masks/ folder and a Pascal VOC tree."""
    from PIL import Image

    from convzoo.data import make_shapes_seg

    shapes = make_shapes_seg(count, 64, seed=1)
    pairs, voc = root / "pairs", root / "VOC2012"
    for d in (pairs / "images", pairs / "masks", voc / "JPEGImages", voc / "SegmentationClass"):
        d.mkdir(parents=True)
    (voc / "ImageSets" / "Segmentation").mkdir(parents=True)
    names = [f"im{i:02d}" for i in range(count)]
    for name, image, mask in zip(names, shapes.images, shapes.masks, strict=True):
        picture = Image.fromarray(image.permute(1, 2, 0).numpy())
        labels = Image.fromarray(mask.numpy(), mode="L")
        picture.save(pairs / "images" / f"{name}.png")
        labels.save(pairs / "masks" / f"{name}.png")
        picture.save(voc / "JPEGImages" / f"{name}.jpg")
        labels.save(voc / "SegmentationClass" / f"{name}.png")
    half = count * 3 // 4
    (voc / "ImageSets" / "Segmentation" / "train.txt").write_text("\n".join(names[:half]) + "\n")
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("\n".join(names[half:]) + "\n")
    return {"path/to/pairs": str(pairs), "path/to/VOC2012": str(voc)}


def write_pictures(root: Path) -> None:
    """The reader's own pictures the README's predict and interpret commands name."""
    from PIL import Image

    from convzoo.data import load_dataset, make_shapes_seg

    digit = load_dataset("mnist-mini").test.images[0, 0].numpy()
    Image.fromarray(digit).save(root / "digit.png")
    shapes = make_shapes_seg(2, 64, seed=3).images
    for name, picture in zip(
        ("photo.png", "a.jpg", "b.jpg"), (shapes[0], shapes[1], shapes[0]), strict=False
    ):
        Image.fromarray(picture.permute(1, 2, 0).numpy()).save(root / name)


def accepts(argv: list[str]) -> bool:
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def quotes_a_result(comment: str) -> bool:
    """Whether a train command's comment quotes what its full run reaches ('99.3% in 6 epochs')."""
    return bool(re.search(r"\d%|\d epochs", comment))


def shortened(argv: list[str], comment: str) -> list[str]:
    """A short run of a train/finetune command (unless its comment quotes what the full run
    reaches); a short study of a search."""
    if argv[0] in ("train", "finetune") and not quotes_a_result(comment):
        return [*argv, *SHORT]
    if argv[:1] == ["search"] and "--trials" in argv:
        i = argv.index("--trials")
        return [*argv[: i + 1], SEARCH_TRIALS, *argv[i + 2 :]]
    return argv


def check_quoted(argv: list[str], comment: str, printed: str, folder: Path) -> None:
    """What a comment says the command makes or prints: '99.3% in 6 epochs' (train's top-1 to one
    decimal and its epochs), file names in the --out folder ('photo_mask.png, boxes.json')."""
    quoted = quoted_numbers(comment)
    if argv[0] == "train" and quotes_a_result(comment):
        summary = json.loads(printed)
        percent = [float(q) for q in quoted if f"{q}%" in comment]
        epochs = [int(q) for q in quoted if f"{q} epochs" in comment]
        assert all(abs(summary["top1"] * 100 - p) <= 0.15 for p in percent), summary
        assert all(summary["epochs"] == e for e in epochs), summary
    if "--out" in argv:
        out = folder / argv[argv.index("--out") + 1]
        for name in re.findall(r"[\w.-]+\.(?:png|json)", comment):
            assert (out / name).is_file(), f"`convzoo {' '.join(argv)}` did not write {name} in {out}"


def runnable_blocks() -> list[list[tuple[list[str], str, str]]]:
    quick = quick_commands()
    blocks = []
    for block in BLOCKS:
        longer = [c for c in block if (c[0], c[1]) not in quick and "pip install" not in c[2]]
        if longer:
            blocks.append(longer)
    return blocks


LONGER_BLOCKS = runnable_blocks()


@pytest.mark.slow
@pytest.mark.parametrize("block", LONGER_BLOCKS, ids=[" ".join(b[0][0])[:50] for b in LONGER_BLOCKS])
def test_the_longer_readme_commands_run_block_by_block(block, tmp_path, monkeypatch, capsys):
    from convzoo.cli import main

    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"datasets not found at {data}")
    monkeypatch.chdir(tmp_path)
    substitutes = {
        "DIR": str(data / "fashion-mnist"),
        "path/to/folder": str(data / "hymenoptera_data"),
        "../shared/data/mnist": str(data / "mnist"),
        **write_seg_folders(tmp_path / "mine"),
    }
    write_pictures(tmp_path)
    run_dir = None  # RUN: the run the block's last train command made
    ran = 0
    for argv, comment, line in block:
        if needs_more(line):
            continue
        argv = [substitutes.get(a, a) for a in argv]
        if any(a.startswith("RUN") for a in argv):
            if run_dir is None:  # a block about runs in general: a short LeNet run stands for RUN
                assert main(["train", "lenet5_modern", *SHORT, "--out", "runs/digits"]) == 0
                run_dir = "runs/digits"
            argv = [run_dir + a[3:] if a.startswith("RUN") else a for a in argv]
        argv = shortened(argv, comment)
        if "--resume" in argv:  # continues a run: the run it continues comes first, kept resumable
            assert main([*[a for a in argv if a != "--resume"], "--keep-resume"]) == 0, line
            argv = [*argv, "--epochs", "2"]
        capsys.readouterr()
        json_out = accepts([*argv, "--json"])
        status = main([*argv, "--json"] if json_out else argv)
        printed, errors = capsys.readouterr()
        assert status == 0, f"{line}\n{errors[-2000:]}"
        if argv[0] in ("train", "finetune") and json_out:
            run_dir = json.loads(printed)["run_dir"]
        check_quoted(argv, comment, printed, tmp_path)
        ran += 1
    assert ran, "every command of this block needs more than the repository"
