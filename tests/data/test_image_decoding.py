"""Images decoded properly or refused in one line: 16-bit and float scaled (not clipped), a pixel
bound read from the header, empty splits refused, a decoding worker's error shown as itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from convzoo.cli import main
from convzoo.data import DataError, load_dataset
from convzoo.data.folder import MAX_PIXELS, FolderSplit, decode_image

GRADIENT = np.add.outer(np.arange(64), np.arange(64)) / 126.0  # 0 .. 1


def test_16_bit_grey_is_scaled_like_its_8_bit_image(tmp_path):
    Image.fromarray((GRADIENT * 65535).round().astype(np.uint16)).save(tmp_path / "g16.png")
    Image.fromarray((GRADIENT * 255).round().astype(np.uint8)).save(tmp_path / "g8.png")
    sixteen, eight = decode_image(tmp_path / "g16.png", 1), decode_image(tmp_path / "g8.png", 1)
    assert sixteen.dtype == np.uint8 and sixteen.shape == (64, 64, 1)
    assert np.abs(sixteen.astype(int) - eight.astype(int)).mean() < 0.5  # convert('L') gave ~14
    assert sixteen.max() == 255 and len(np.unique(sixteen)) > 100  # not binarised


def test_float_tiff_is_scaled_from_0_1(tmp_path):
    Image.fromarray(GRADIENT.astype(np.float32)).save(tmp_path / "f.tiff")
    rgb = decode_image(tmp_path / "f.tiff", 3)
    expected = (GRADIENT * 255).round()
    assert rgb.shape == (64, 64, 3) and np.abs(rgb[..., 0] - expected).max() <= 1
    assert rgb.mean() > 100  # convert('L') made it all ~0


def test_the_pixel_bound_is_read_from_the_header(tmp_path):
    Image.new("1", (9000, 9000)).save(tmp_path / "big.png")  # 81 M pixels in a small file
    assert MAX_PIXELS < 9000 * 9000
    with pytest.raises(DataError, match=r"big.png: 9000x9000 image \(81,000,000 pixels\) is over the"):
        decode_image(tmp_path / "big.png", 1)


def test_predict_reports_an_oversized_image_in_one_line(tmp_path, capsys, monkeypatch):
    from convzoo.registry import create_model
    from convzoo.train.checkpoint import save_tensors

    meta = {"model": "lenet5_modern", "num_classes": 10, "in_chans": 1, "input_size": [1, 32, 32],
            "data_size": 28, "classes": [str(i) for i in range(10)], "mean": [0.1], "std": [0.3]}  # fmt: skip
    save_tensors(tmp_path / "m.safetensors", create_model("lenet5_modern").state_dict(), meta)
    Image.fromarray(np.zeros((40, 30), np.uint8)).save(tmp_path / "x.png")
    monkeypatch.setattr("convzoo.data.folder.MAX_PIXELS", 1000)
    status = main(["predict", str(tmp_path / "m.safetensors"), str(tmp_path / "x.png")])
    out = capsys.readouterr()
    text = out.err + out.out
    assert "30x40 image (1,200 pixels) is over the 1,000-pixel bound" in text and "Traceback" not in text
    assert status in (0, 2)  # predict may report bad files in its output and go on


def test_a_folder_without_a_test_split_is_refused(tmp_path, capsys):
    for name in ("ants", "bees"):
        (tmp_path / "data" / name).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "data" / name / "one.png")
    ds = load_dataset(str(tmp_path / "data"))
    with pytest.raises(DataError, match=r"the test split holds no image \(an image folder needs 2 or more"):
        ds.require_images("train", "test")
    out = tmp_path / "run"
    assert main(["train", "resnet18", "--data", str(tmp_path / "data"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the test split holds no image" in err and not out.exists()


def test_a_decoding_worker_s_error_is_shown_as_itself(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")

    def failing_pipeline(image):
        raise DataError(f"{tmp_path / 'a.png'}: no pipeline for this image")

    split = FolderSplit([(tmp_path / "a.png", 0)], 3, image_size=8, workers=1, pipeline=failing_pipeline)
    with pytest.raises(DataError) as err:
        list(split.batches(1, torch.zeros(3), torch.ones(3)))
    assert str(err.value) == f"{tmp_path / 'a.png'}: no pipeline for this image"
