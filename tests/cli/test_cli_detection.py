"""convzoo train / eval / predict with a detector on shapes-detect: run directory, mAP table, boxes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from convzoo.cli import main
from convzoo.data.detection import make_shapes_detect
from tests.cli.helpers import last_json

pytestmark = pytest.mark.usefixtures("restore_threads")  # tests/conftest.py

TINY = ["--data", "shapes-detect", "--train-limit", "8", "--test-limit", "4", "--threads", "1"]


def test_train_eval_predict_a_detector(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "yolo_v1_mini", *TINY, "--epochs", "1", "--batch-size", "8", "--out", str(out), "--json"]
    assert main(args) == 0
    trained = last_json(capsys)
    assert {"map50", "map50_voc07", "map", "per_class"} <= trained.keys()
    for name in ("curves.png", "loss_terms.png", "pr_curves.png", "detections.png", "metrics.csv"):
        assert (out / name).is_file(), name
    header = (out / "metrics.csv").read_text().splitlines()[0].split(",")
    for column in ("train_loss_coord", "train_loss_obj", "train_loss_noobj", "train_loss_class", "test_map50",
                   "test_map50_voc07", "test_map", "test_ap50_circle"):  # fmt: skip
        assert column in header

    assert main(["eval", trained["checkpoint"], "--limit", "4", "--json"]) == 0
    text = capsys.readouterr().out
    evaluated = json.loads(text.strip().splitlines()[-1])
    assert evaluated["count"] == 4 and 0 <= evaluated["map"] <= evaluated["map50"] <= 1
    assert "AP@[.5:.95]" in text and "triangle" in text
    assert [r["class"] for r in evaluated["per_class"]] == ["circle", "square", "triangle", "diamond"]

    image = tmp_path / "shapes.png"
    Image.fromarray(make_shapes_detect(1, 150, seed=9)[0].pixels).save(image)
    pictures = tmp_path / "pictures"
    args = [
        "predict",
        trained["checkpoint"],
        str(image),
        "--out",
        str(pictures),
        "--score-threshold",
        "0",
        "--json",
    ]
    assert main(args) == 0
    (item,) = last_json(capsys)
    assert (item["width"], item["height"]) == (150, 150) and item["boxes"]
    assert all(0 <= v <= 150 or abs(v) < 1e3 for b in item["boxes"] for v in b["box"])
    assert (pictures / "shapes.png").is_file()
    assert json.loads((pictures / "boxes.json").read_text())[0]["boxes"] == item["boxes"]
    assert np.asarray(Image.open(pictures / "shapes.png")).ndim == 3


def test_detector_on_unknown_data_is_one_line(tmp_path, capsys):
    assert (
        main(
            ["train", "yolo_v1_mini", "--data", str(tmp_path), "--epochs", "1", "--out", str(tmp_path / "r")]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert "Pascal VOC directory" in err and len(err.splitlines()) == 1
