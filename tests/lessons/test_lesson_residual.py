"""The residual lesson: structure checked, curves from convzoo's trainer, observations reported."""

from __future__ import annotations

import pytest

from convzoo.lessons import lesson
from convzoo.lessons.residual import weight_layers
from convzoo.registry import create_model


def test_plain_and_residual_pairs_have_equal_depth_and_parameters():
    for depth in (20, 56):
        plain, residual = create_model(f"plain{depth}"), create_model(f"resnet{depth}")
        assert weight_layers(plain) == weight_layers(residual) == depth
        assert sum(p.numel() for p in plain.parameters()) == sum(p.numel() for p in residual.parameters())


def test_a_tiny_run_gives_one_curve_per_net_and_honest_observations(tmp_path):
    out = tmp_path / "residual.png"
    result = lesson("residual", out, depths=(20,), epochs=1, train_limit=50, test_limit=50)
    assert result.ok and out.stat().st_size > 10_000
    curves = result.data["curves"]
    assert set(curves) == {"plain20", "resnet20"} and all(len(c) == 1 for c in curves.values())
    (observation,) = result.observations
    errors = {n: c[-1]["train_error"] for n, c in curves.items()}
    assert observation.agrees == (errors["resnet20"] < errors["plain20"])


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="unknown setting"):
        lesson("residual", depths=(20,), epoch=1)


@pytest.mark.slow
def test_the_default_residual_lesson_runs_and_reports_four_observations(tmp_path):
    result = lesson("residual", tmp_path / "fig1.png")
    assert result.ok and len(result.observations) == 4
    assert all(len(c) == 5 for c in result.data["curves"].values())
