"""convzoo search / show / export, and train / summary --arch: what a user types and sees."""

import json

import pytest

from convzoo.cli import main


def test_unknown_space_is_one_line_and_exit_2(capsys, tmp_path):
    assert main(["search", "vgg", "--run-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == "convzoo search: unknown search space 'vgg'; expected one of blockqnn, nasnet, resnet, mbconv"
    )


def test_show_of_a_missing_study_lists_the_studies(capsys, tmp_path):
    assert main(["search", "show", "nope", "--run-dir", str(tmp_path)]) == 2
    assert "no study 'nope'" in capsys.readouterr().err


def test_export_needs_out_and_best_or_trial(capsys, tmp_path):
    assert main(["search", "export", "s", "--run-dir", str(tmp_path)]) == 2
    assert "export needs --out SPEC" in capsys.readouterr().err
    assert main(["search", "export", "s", "--out", str(tmp_path / "a.yaml"), "--run-dir", str(tmp_path)]) == 2
    assert "--best or --trial N" in capsys.readouterr().err


def test_bad_space_setting_names_the_valid_ones(capsys, tmp_path):
    assert main(["search", "blockqnn", "--set", "layers=3", "--run-dir", str(tmp_path)]) == 2
    assert "unknown setting(s) layers; valid:" in capsys.readouterr().err


def test_train_and_summary_need_a_model_or_an_arch(capsys):
    assert main(["train"]) == 2
    assert "expected a MODEL or --arch SPEC" in capsys.readouterr().err
    assert main(["summary"]) == 2
    assert "--arch SPEC, one of them" in capsys.readouterr().err


@pytest.mark.slow
def test_search_show_export_then_train_and_summary_the_spec(capsys, tmp_path):
    run_dir = str(tmp_path / "search")
    tiny = ["--run-dir", run_dir, "--train-limit", "64", "--test-limit", "64", "--set", "filters=4"]
    assert main(["search", "blockqnn", "--strategy", "evolution", "--trials", "2", *tiny]) == 0
    out = capsys.readouterr().out
    assert "trial   1/2  evolution  complete" in out and "trial   2/2  evolution  complete" in out
    for png in ("best_so_far.png", "pareto.png", "best_block.png"):
        assert (tmp_path / "search" / "blockqnn-evolution" / png).stat().st_size > 1000
    assert main(["search", "show", "blockqnn-evolution", "--run-dir", run_dir, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["leaderboard"]
    assert [r["state"] for r in rows] == ["complete", "complete"] and rows[0]["top1"] >= rows[1]["top1"]
    spec = tmp_path / "best.yaml"
    assert (
        main(["search", "export", "blockqnn-evolution", "--best", "--out", str(spec), "--run-dir", run_dir])
        == 0
    )
    assert f"wrote {spec}: trial {rows[0]['trial']}" in capsys.readouterr().out
    assert main(["summary", "--arch", str(spec), "--json"]) == 0
    total = json.loads(capsys.readouterr().out)["total"]
    assert (total["trainable_params"], total["macs"]) == (
        rows[0]["params"],
        rows[0]["macs"],
    )  # the same network
    run = tmp_path / "run"
    assert main(["train", "--arch", str(spec), "--epochs", "1", "--train-limit", "64", "--test-limit", "64",
                 "--out", str(run)]) == 0  # fmt: skip
    assert f"{spec} on mnist-mini: test top-1" in capsys.readouterr().out
    # running the finished study again runs nothing more
    assert main(["search", "blockqnn", "--strategy", "evolution", "--trials", "2", *tiny]) == 0
    assert "trial" not in capsys.readouterr().out.split("leaderboard")[0]
