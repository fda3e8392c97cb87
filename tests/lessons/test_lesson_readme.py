"""What the README quotes of `convzoo lesson` is what the command prints."""

from __future__ import annotations

from pathlib import Path

from convzoo.cli import main
from convzoo.lessons import lesson

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def quoted_block(command: str) -> list[str]:
    """The lines after `$ command` in the README, up to the next `$` or the end of the block."""
    lines = README.split(f"$ {command}\n", 1)[1].split("```", 1)[0].splitlines()
    end = next((i for i, line in enumerate(lines) if line.startswith("$")), len(lines))
    return lines[:end]


def test_the_quoted_listing_is_the_command_output(capsys):
    assert main(["lesson"]) == 0
    assert quoted_block("convzoo lesson") == capsys.readouterr().out.splitlines()


def test_the_quoted_convolution_lines_are_printed(capsys, tmp_path):
    assert main(["lesson", "convolution"]) == 0
    printed = capsys.readouterr().out.splitlines()
    quoted = [line for line in quoted_block("convzoo lesson convolution --out conv.png") if line != "..."]
    assert quoted[:-1] and all(line in printed for line in quoted[:-1])
    assert printed[-1] == quoted[-1].split("; picture")[0]


def test_the_quoted_separable_saving_is_computed():
    notes = " ".join(lesson("separable").notes)
    assert "8.69 times less" in notes and "8.69 times fewer MACs" in README
