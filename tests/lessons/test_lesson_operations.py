"""The operation lessons compute the lectures' numbers with torch, and fail when a number disagrees."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from convzoo.cli import main
from convzoo.lessons import TOPICS, lesson, list_lessons
from convzoo.lessons import convolution as conv_lesson
from convzoo.lessons.base import Check

FAST = [t for t in TOPICS if t != "residual"]


@pytest.mark.parametrize("topic", FAST)
def test_every_fast_lesson_agrees_with_its_lecture(topic):
    result = lesson(topic)
    assert result.checks and result.ok, [c.to_dict() for c in result.failed]


def test_the_highlighted_window_gives_198_and_the_edge_map_is_0_30_30_0():
    result = lesson("convolution")
    feature_map = result.data["feature_map"].tolist()
    assert feature_map[1][1] == 198  # rows 2-4, cols 2-4 counted from 1
    assert sum(v == 198 for row in feature_map for v in row) == 1
    assert result.data["edge_map"].tolist() == [[0, 30, 30, 0]] * 4
    window = conv_lesson.IMAGE[1:4, 1:4]
    assert (window * conv_lesson.KERNEL).flatten().tolist() == [2, 10, 4, 26, 100, 30, 8, 12, 6]


def test_the_output_size_formula_matches_nn_conv2d():
    for h, k, p, s, d in [(227, 11, 0, 4, 1), (224, 7, 3, 2, 1), (10, 3, 2, 3, 2), (6, 3, 0, 1, 1)]:
        shape = torch.nn.Conv2d(1, 1, k, s, p, d)(torch.zeros(1, 1, h, h)).shape[-1]
        assert conv_lesson.conv_output_size(h, k, p, s, d) == shape
    assert conv_lesson.conv_params(3, 96, 11) == 96 * 11 * 11 * 3 + 96 == 34_944


def test_pooling_receptive_fields_come_from_the_summary():
    result = lesson("pooling")
    fields = {c.name: c.computed for c in result.checks}
    assert fields["AlexNet receptive fields, convzoo.summary"] == [11, 19, 51, 67, 99, 131, 163, 195]
    assert fields["AlexNet's pooled sizes (convzoo alexnet)"] == [27, 13, 6]


def test_separable_counts_are_the_design_modules():
    result = lesson("separable")
    computed = {c.name: c.computed for c in result.checks}
    assert computed["standard: parameters"] == 3 * 3 * 256 * 256
    assert computed["separable: parameters"] == 3 * 3 * 256 + 256 * 256
    assert computed["separable: mult-adds"] == (3 * 3 * 256 + 256 * 256) * 56 * 56


def test_a_number_that_disagrees_fails_the_lesson_and_the_command(monkeypatch, capsys):
    monkeypatch.setattr(conv_lesson, "HIGHLIGHT_SUM", 197)
    result = lesson("convolution")
    assert not result.ok and any("(1, 1)" in c.name for c in result.failed)
    assert main(["lesson", "convolution"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_check_compares_shapes_and_tolerances():
    assert Check("x", [1, 2], torch.tensor([1.0, 2.0])).ok
    assert not Check("x", [1, 2], [1, 2, 3]).ok
    assert not Check("x", 1.0, 1.01).ok and Check("x", 1.0, 1.01, tol=0.02).ok
    assert not Check("x", True, False).ok


def test_lesson_lists_topics_and_writes_json_and_a_picture(tmp_path, capsys):
    assert main(["lesson"]) == 0
    listed = capsys.readouterr().out
    assert all(topic in listed for topic in TOPICS)
    assert main(["lesson", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == list_lessons()
    out = tmp_path / "conv.png"
    assert main(["lesson", "convolution", "--json", "--out", str(out)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] and payload["figure"] == str(out)
    pixels = np.asarray(Image.open(out).convert("L"), dtype=np.float64)
    assert pixels.shape[0] > 300 and pixels.std() > 20


def test_training_options_belong_to_the_residual_lesson(capsys):
    assert main(["lesson", "pooling", "--epochs", "2"]) == 2
    assert "residual lesson" in capsys.readouterr().err
    assert main(["lesson", "residual", "--depths", "20,x"]) == 2
    assert main(["lesson", "residual", "--depths", "21"]) == 2
