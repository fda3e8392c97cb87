"""Every TrainConfig field by its dataclass type and range; YAML numbers in any spelling."""

from __future__ import annotations

import pytest

from convzoo.cli import main
from convzoo.train.config import FIELD_RANGES, TrainConfig, read_config_file, resolve_config


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("lr: 1e-3", "lr", 0.001),  # PyYAML reads 1e-3 (no dot) as a string
        ("lr: '0.01'", "lr", 0.01),
        ("lr: 1.0e-2", "lr", 0.01),
        ("batch_size: 32.0", "batch_size", 32),
        ("batch_size: '64'", "batch_size", 64),
        ("epochs: 1_000", "epochs", 1000),
        ("weight_decay: 0", "weight_decay", 0.0),
    ],
)
def test_yaml_numbers_in_any_spelling(tmp_path, text, field, value):
    path = tmp_path / "run.yaml"
    path.write_text(text + "\n")
    cfg = resolve_config("lenet5", read_config_file(path))
    assert getattr(cfg, field) == value and type(getattr(cfg, field)) is type(value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 32.5}, "batch_size must be an integer, got 32.5"),
        ({"epochs": "ten"}, "epochs must be an integer, got 'ten'"),
        ({"lr": float("inf")}, "lr must be a finite number"),
        ({"lr": 0}, "lr must be in (0, 10]"),
        ({"weight_decay": -5}, "weight_decay must be in [0, 1], got -5.0"),
        ({"momentum": 7}, "momentum must be in [0, 1), got 7.0"),
        ({"image_size": 0}, "image_size must be in [1, 4096], got 0"),
        ({"train_limit": 0}, "train_limit must be at least 1, got 0"),
        ({"threads": -2}, "threads must be in [0, 4096], got -2"),
        ({"nesterov": "yes"}, "nesterov must be true or false"),
        ({"label_smoothing": 1}, "label_smoothing must be in [0, 1)"),
        ({"augment": "rotate"}, "augment must be one of auto, none, translate"),
        ({"model": 5}, "model must be a string"),
    ],
)
def test_bad_values_are_refused_naming_the_field(changes, message):
    with pytest.raises(ValueError) as err:
        TrainConfig(**changes)
    assert message in str(err.value)


def test_every_numeric_field_has_a_range():
    numeric = {f for f, t in TrainConfig.__annotations__.items() if "int" in str(t) or "float" in str(t)}
    assert numeric == set(FIELD_RANGES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--train-limit", "0"], "train_limit must be at least 1, got 0"),
        (["--epochs", "0"], "epochs must be in [1, 100000], got 0"),
        (["--lr", "inf"], "lr must be a finite number, got inf"),
        (["--ema", "1.5"], "ema_decay must be in [0, 1), got 1.5"),
    ],
)
def test_train_flags_one_line_exit_2_and_no_run_directory(tmp_path, capsys, args, message):
    out = tmp_path / "run"
    assert main(["train", "lenet5", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not out.exists()


def test_a_bad_config_file_value_leaves_nothing_behind(tmp_path, capsys):
    (tmp_path / "run.yaml").write_text("momentum: 7\n")
    out = tmp_path / "run"
    assert main(["train", "lenet5", "--config", str(tmp_path / "run.yaml"), "--out", str(out)]) == 2
    assert "momentum must be in [0, 1), got 7.0" in capsys.readouterr().err
    assert not out.exists()


def test_broken_yaml_is_one_line_naming_where(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("epochs: 2\nlr: [1\n")
    with pytest.raises(ValueError) as err:
        read_config_file(path)
    assert "\n" not in str(err.value) and str(err.value).startswith(f"{path}: not valid YAML at line 3")
