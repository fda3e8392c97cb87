"""The convzoo command line: list, info, summary, --json and errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from convzoo.cli import COMMANDS, main


def run_json(capsys, *argv) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_list_filters_and_reports_cards(capsys):
    rows = run_json(capsys, "list", "vgg1?_bn")
    assert [r["name"] for r in rows] == ["vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]
    assert rows[0]["params"] == 132_868_840


def test_info_prints_the_card(capsys):
    card = run_json(capsys, "info", "alexnet")
    assert card["params"] == 60_965_224 and card["paper"]["year"] == 2012
    assert main(["info", "alexnet_owt"]) == 0
    assert "torchvision alexnet" in capsys.readouterr().out


def test_summary_rows_add_up_to_the_total(capsys):
    result = run_json(capsys, "summary", "lenet5")
    assert sum(r["params"] for r in result["layers"]) == result["total"]["params"] == 60_000
    assert (
        result["layers"][0].items()
        >= {
            "name": "c1",
            "type": "Conv2d",
            "output_shape": [6, 28, 28],
            "params": 156,
            "trainable_params": 156,
            "macs": 6 * 25 * 28 * 28,
        }.items()
    )
    assert main(["summary", "vgg11", "--input-size", "3,64,64"]) == 0
    out = capsys.readouterr().out
    assert "stages.4.pool" in out and "512x2x2" in out


def test_unknown_model_and_bad_input_exit_2_with_a_message(capsys):
    assert main(["info", "vgg61"]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert main(["summary", "vgg16", "--input-size", "3,16,16"]) == 2
    assert "at least 32x32" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["summary", "vgg16", "--input-size", "3,x"])
    assert exit_.value.code == 2
    assert "expected C,H,W" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command", [None, *[__import__(f"convzoo.cli.{m}", fromlist=["NAME"]).NAME for m in COMMANDS]]
)
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"] if command else ["--help"])
    assert exit_.value.code == 0
    assert "usage: convzoo" in capsys.readouterr().out


def test_module_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "convzoo", "list", "lenet*"], capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[0] == "lenet5"
