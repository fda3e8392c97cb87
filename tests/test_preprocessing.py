"""Preprocessing travels with weights: every claimed release's data config, shown and applied."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import convzoo
from convzoo.cli import main
from convzoo.inference import load_image
from convzoo.preprocessing import DataConfig, data_configs, library_data_config

CLAIMS = [(n, lib, o) for n in convzoo.list_models() for lib, o in convzoo.model_card(n).compatible.items()]


def test_every_claimed_release_records_its_data_config():
    missing = [(n, lib, o) for n, lib, o in CLAIMS if lib not in data_configs(n)]
    assert CLAIMS and not missing


def test_configs_are_the_libraries_own():
    """torchvision's weight transforms and timm's pretrained_cfg (scripts/library_data_configs.py)."""
    alexnet = library_data_config("torchvision", "alexnet")
    assert (alexnet.mean, alexnet.std) == ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert (alexnet.resize, alexnet.input_size, alexnet.interpolation) == (256, (3, 224, 224), "bilinear")
    # torchvision's Inception v3 / GoogLeNet map their input to [-1, 1] inside (transform_input=True)
    for name in ("inception_v3", "googlenet"):
        assert library_data_config("torchvision", name).input_range == (-1.0, 1.0)
    assert library_data_config("torchvision", "inception_v3").resize == 342
    irv2 = library_data_config("timm", "inception_resnet_v2")
    assert (irv2.input_range, irv2.crop_pct, irv2.interpolation) == ((-1.0, 1.0), 0.8975, "bicubic")
    assert irv2.resize_for(299) == 333  # floor(299 / 0.8975), as timm's transforms compute it


def test_info_shows_the_data_config_of_each_release(capsys):
    assert main(["info", "inception_v3"]) == 0
    out = capsys.readouterr().out
    assert (
        "    data      Inception_V3_Weights.IMAGENET1K_V1: resize 342 (bilinear), centre crop 299 "
        "(crop_pct 0.8743), mean (0.5, 0.5, 0.5), std (0.5, 0.5, 0.5), input range [-1, 1]" in out
    )
    assert main(["info", "inception_v3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["data_configs"]["torchvision"]
    assert data["input_range"] == [-1.0, 1.0] and data["resize"] == 342


def test_predict_feeds_the_model_what_the_release_was_fed(tmp_path):
    pytest.importorskip("albumentations")
    import albumentations as A

    rng = np.random.default_rng(0)
    array = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(array).save(tmp_path / "photo.png")
    config = library_data_config("timm", "inception_resnet_v2")
    meta = {"model": "inception_resnet_v2_tf", "in_chans": 3, "input_size": [3, 32, 32]}
    plain = load_image(tmp_path / "photo.png", {**meta, "mean": [0.4] * 3, "std": [0.2] * 3})
    meta = {**meta, "mean": list(config.mean), "std": list(config.std), "preprocessing": config.to_dict()}
    x = load_image(tmp_path / "photo.png", meta)
    # by hand: shorter side to floor(32 / 0.8975) = 35 (bicubic), centre crop 32, (x/255 - 0.5) / 0.5
    ops = A.Compose([A.SmallestMaxSize(max_size=35, interpolation=2), A.CenterCrop(height=32, width=32)])
    expected = torch.from_numpy(ops(image=array)["image"]).permute(2, 0, 1)[None].float() / 255 * 2 - 1
    assert torch.allclose(x, expected, atol=1e-6)
    assert x.min() >= -1 and x.max() <= 1 and not torch.allclose(x, plain)


@pytest.fixture()
def image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("ants", "bees"):
        (tmp_path / "photos" / label).mkdir(parents=True)
        for i in range(3):
            image = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
            Image.fromarray(image).save(tmp_path / "photos" / label / f"{i}.png")
    return tmp_path / "photos"


def test_finetuning_library_weights_trains_and_records_with_their_config(seeded, image_folder, tmp_path):
    from convzoo.pipeline import transfer_step
    from convzoo.train.config import TrainConfig
    from convzoo.train.trainer import Trainer

    ref = seeded.load("mobilenetv1_100")  # timm's MobileNet v1: [-1, 1] input, bicubic resize
    (name,) = [n for n, lib, o in CLAIMS if (lib, o) == ("timm", "mobilenetv1_100")]
    torch.save(seeded.state_dict(ref), tmp_path / "mobilenetv1_100.pth")
    cfg = TrainConfig(
        model=name, data=str(image_folder), weights=str(tmp_path / "mobilenetv1_100.pth"),
        finetune="linear", image_size=64, epochs=1, batch_size=2,
    )  # fmt: skip
    logged = []
    trainer = Trainer(cfg, prepare=transfer_step(cfg), log=logged.append)
    assert torch.equal(trainer.mean, torch.tensor([0.5] * 3)) and torch.equal(
        trainer.std, torch.tensor([0.5] * 3)
    )
    assert trainer.dataset.test.resize == int(64 / 0.875) and trainer.dataset.test.interpolation == "bicubic"
    x, _ = next(iter(trainer.dataset.test.batches(6, trainer.mean, trainer.std)))
    assert x.min() >= -1 and x.max() <= 1  # the [-1, 1] input the release's network body takes
    meta = trainer.checkpoint_meta(0)
    assert DataConfig.from_dict(meta["preprocessing"]) == library_data_config("timm", "mobilenetv1_100")
    assert any("preprocessing of mobilenetv1_100.ra4_e3600_r224_in1k" in line for line in logged)


def test_eval_and_features_resize_a_folder_as_the_checkpoint_records(image_folder):
    from convzoo.data.folder import split_folder
    from convzoo.preprocessing import checkpoint_split

    _, test, _ = split_folder(image_folder)
    config = library_data_config("timm", "mobilenetv1_100")
    recorded = checkpoint_split(test, {"preprocessing": config.to_dict()}, 64)
    assert (recorded.image_size, recorded.resize, recorded.interpolation) == (64, 73, "bicubic")
    plain = checkpoint_split(test, {}, 64)
    assert (plain.image_size, plain.resize, plain.interpolation) == (64, None, "bilinear")
    x_recorded, _ = next(iter(recorded.batches(6, torch.zeros(3), torch.ones(3))))
    x_plain, _ = next(iter(plain.batches(6, torch.zeros(3), torch.ones(3))))
    assert x_recorded.shape == x_plain.shape == (2, 3, 64, 64) and not torch.equal(x_recorded, x_plain)
