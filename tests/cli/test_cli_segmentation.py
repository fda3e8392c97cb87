"""convzoo train / eval / predict on a segmentation model, end to end on a few shapes-seg images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from convzoo.cli import main
from convzoo.data import load_dataset
from tests.cli.helpers import last_json

TINY = ["--data", "shapes-seg", "--train-limit", "8", "--test-limit", "4", "--epochs", "1", "--threads", "1"]


pytestmark = pytest.mark.usefixtures("restore_threads")  # tests/conftest.py


def test_train_eval_predict_a_unet(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "unet_small", *TINY, "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()  # --json: the JSON on stdout, the lines a person reads on stderr
    assert "unet_small on shapes-seg: test mIoU " in captured.err and "overlays.png" in captured.err
    trained = json.loads(captured.out)
    assert {"miou", "dice", "pixel_acc", "iou", "best_miou"} <= trained.keys()
    checkpoint = trained["checkpoint"]

    assert main(["eval", checkpoint, "--limit", "4", "--json"]) == 0
    whole = last_json(capsys)
    assert whole["images"] == 4 and whole["miou"] == pytest.approx(trained["miou"])
    # overlap-tile prediction of a padded model: 32 x 32 tiles over the 64 x 64 images
    assert main(["eval", checkpoint, "--limit", "4", "--tile", "32", "--json"]) == 0
    tiled = last_json(capsys)
    assert tiled["tile"] == 32 and 0 <= tiled["miou"] <= 1

    image = load_dataset("shapes-seg").test.images[0].permute(1, 2, 0).numpy()
    Image.fromarray(np.ascontiguousarray(image[:50, :40])).save(tmp_path / "shapes.png")
    assert main(["predict", checkpoint, str(tmp_path / "shapes.png"), "--out", str(tmp_path / "pred")]) == 0
    printed = capsys.readouterr().out
    assert "background" in printed and "shapes_overlay.png" in printed
    mask = Image.open(tmp_path / "pred" / "shapes_mask.png")
    assert mask.mode == "P" and mask.size == (40, 50)  # any size: the image's own
    assert Image.open(tmp_path / "pred" / "shapes_overlay.png").size == (40, 50)


def test_a_segmentation_model_on_classification_data_is_one_line(capsys):
    assert main(["train", "unet_small", "--data", "mnist-mini", "--epochs", "1", "--train-limit", "8"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unet_small is a segmentation model but mnist-mini is a classification dataset" in err
    assert len(err.splitlines()) == 1
