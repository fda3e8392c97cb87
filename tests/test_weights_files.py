"""Checkpoint files as people have them: old BatchNorm files, legacy DenseNet names, training
checkpoints and wrappers, half-precision files, whole pickled models (each a file the test writes)."""

from __future__ import annotations

import argparse
import re

import pytest
import torch

import convzoo
from convzoo.cli import main
from convzoo.weights import WeightsMismatchError


def reference_model(seeded, ref_name: str) -> tuple[dict, str]:
    """(record, convzoo model) of a reference record: the model whose card claims its library name."""
    ref = seeded.load(ref_name)
    for name in convzoo.list_models():
        if convzoo.model_card(name).compatible.get(ref["library"]) == ref["model"]:
            return ref, name
    pytest.skip(f"no model claims {ref['library']} {ref['model']}")


def check_loads(seeded, ref: dict, name: str, source) -> torch.nn.Module:
    model = convzoo.create_model(name).eval()
    report = convzoo.load_weights(model, source)
    assert report.layout == ref["library"]
    with torch.no_grad():
        seeded.check(model(seeded.input_batch(ref)), ref)
    return model


def without_counters(state: dict) -> dict:
    return {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}


# What every BatchNorm checkpoint saved before PyTorch 0.4.1 holds: no num_batches_tracked.
@pytest.mark.parametrize(
    "ref_name",
    [
        "resnet50",
        pytest.param("vgg16_bn", marks=pytest.mark.slow),
        "densenet121",
        "efficientnet_b0",
        "legacy_seresnet50",
        pytest.param("mobilenet_v2", marks=pytest.mark.slow),
        pytest.param("inception_v3", marks=pytest.mark.slow),
        pytest.param("googlenet", marks=pytest.mark.slow),
    ],
)
def test_files_without_batchnorm_counters_load_as_load_state_dict_does(seeded, tmp_path, ref_name):
    ref, name = reference_model(seeded, ref_name)
    state = without_counters(seeded.state_dict(ref))
    assert len(state) < len(ref["keys"])  # the record has counters to remove
    path = tmp_path / f"{ref_name}-2018.pth"
    torch.save(state, path)
    model = check_loads(seeded, ref, name, path)
    counters = [b for n, b in model.named_buffers() if n.endswith("num_batches_tracked")]
    assert counters and all(int(c) == 0 for c in counters)  # BatchNorm's own fill-in


def test_torchvision_legacy_densenet_names_load(seeded, tmp_path):
    """torchvision's released DenseNet files: `norm.1`, `conv.2` (pre-0.4 names), and no counters."""
    ref, name = reference_model(seeded, "densenet121")
    legacy = {
        re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", k): v
        for k, v in without_counters(seeded.state_dict(ref)).items()
    }
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    path = tmp_path / "densenet121-a639ec97.pth"
    torch.save(legacy, path)
    check_loads(seeded, ref, name, path)


def test_timm_training_checkpoint_loads_its_ema_weights(seeded, tmp_path):
    """The fields of timm's CheckpointSaver._save, its `args` an argparse.Namespace; the EMA weights
    are taken first, as timm.models.load_state_dict(use_ema=True) does."""
    ref, name = reference_model(seeded, "timm_efficientnet_b0")
    ema = seeded.state_dict(ref)
    trained = {k: v + 1 if v.is_floating_point() else v for k, v in ema.items()}
    model = convzoo.create_model(name)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    checkpoint = {
        "epoch": 89,
        "arch": "efficientnet_b0",
        "optimizer": optimizer.state_dict(),
        "version": 2,
        "args": argparse.Namespace(model="efficientnet_b0", lr=0.1, epochs=90, model_ema=True),
        "state_dict": {f"module.{k}": v for k, v in trained.items()},
        "state_dict_ema": ema,
        "metric": 77.6,
        "saver": {"checkpoint_files": [], "best_epoch": 88, "best_metric": 77.6, "pending": (89, 77.6)},
    }
    path = tmp_path / "model_best.pth.tar"
    torch.save(checkpoint, path)
    with pytest.raises(ValueError, match="expected a weights file"):  # .tar: not a weights suffix
        convzoo.load_weights(model, path)
    path = path.rename(tmp_path / "model_best.pth")
    check_loads(seeded, ref, name, path)
    del checkpoint["state_dict_ema"]  # without EMA: the trained weights, under DDP's prefix
    torch.save(checkpoint, path)
    model = convzoo.create_model(name)
    convzoo.load_weights(model, path)
    assert torch.equal(model.stem.conv.weight, trained["conv_stem.weight"])


@pytest.fixture()
def small_pair():
    torch.manual_seed(0)
    return convzoo.create_model("lenet5_modern").eval(), convzoo.create_model("lenet5_modern").eval()


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda sd: {"model": sd, "epoch": 3}, id="model"),
        pytest.param(lambda sd: {"model_ema": sd, "model": {}}, id="model_ema"),
        pytest.param(lambda sd: {f"module.{k}": v for k, v in sd.items()}, id="module-prefix"),
        pytest.param(lambda sd: {f"_orig_mod.module.{k}": v for k, v in sd.items()}, id="compiled-ddp"),
        pytest.param(lambda sd: {f"module._orig_mod.{k}": v for k, v in sd.items()}, id="ddp-compiled"),
    ],
)
def test_wrapped_files_load(small_pair, tmp_path, wrap):
    source, target = small_pair
    path = tmp_path / "w.pt"
    torch.save(wrap(source.state_dict()), path)
    convzoo.load_weights(target, path)
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        assert torch.equal(source(x), target(x))


def test_averaged_model_state_dict_loads(small_pair, tmp_path):
    """torch.optim.swa_utils.AveragedModel (an EMA) saves `module.` weights and `n_averaged`."""
    source, target = small_pair
    averaged = torch.optim.swa_utils.AveragedModel(source)
    assert "n_averaged" in averaged.state_dict()
    torch.save(averaged.state_dict(), tmp_path / "ema.pth")
    convzoo.load_weights(target, tmp_path / "ema.pth")
    assert torch.equal(source.c1.weight, target.c1.weight)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_files_load_into_the_float32_model(seeded, tmp_path, dtype, caplog):
    ref, name = reference_model(seeded, "resnet18")
    state = seeded.state_dict(ref)
    halved = {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}
    torch.save(halved, tmp_path / "half.pth")
    model = convzoo.create_model(name).eval()
    with caplog.at_level("WARNING", logger="convzoo.weights"):
        convzoo.load_weights(model, tmp_path / "half.pth")
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert f"from {str(dtype).removeprefix('torch.')} to float32" in caplog.text
    expected = convzoo.create_model(name).eval()  # the same values, widened before loading
    convzoo.load_weights(expected, {k: v.float() if v.is_floating_point() else v for k, v in halved.items()})
    x = seeded.input_batch(ref)
    with torch.no_grad():
        assert torch.equal(model(x), expected(x))


def test_whole_pickled_model_is_refused_in_one_line_that_says_what_to_do(tmp_path, capsys):
    path = tmp_path / "lenet5-model.pth"
    torch.save(convzoo.create_model("lenet5"), path)
    with pytest.raises(ValueError) as err:
        convzoo.load_weights(convzoo.create_model("lenet5"), path)
    text = str(err.value)
    assert "\n" not in text
    assert "not a plain state dict: it holds a whole pickled model (convzoo.models.lenet.LeNet5)" in text
    assert "weights_only=True" in text and ".state_dict(), 'weights.pth')" in text
    args = ["finetune", "lenet5", "--weights", str(path), "--data", "shapes", "--epochs", "1"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1 and "whole pickled model" in err_lines[0]


def test_fitting_model_is_named_also_for_files_without_counters(seeded, capsys, tmp_path):
    """torchvision's ResNet-50 is v1.5; the paper's resnet50 refuses it and names the variant."""
    state = without_counters(seeded.state_dict(seeded.load("resnet50")))
    with pytest.raises(WeightsMismatchError) as err:
        convzoo.load_weights(convzoo.create_model("resnet50"), state)
    assert "these are torchvision resnet50 weights: use resnet50_v1_5" in str(err.value)
    path = tmp_path / "resnet50.pth"
    torch.save(state, path)
    args = ["finetune", "resnet50", "--weights", str(path), "--data", "shapes", "--epochs", "1"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "give resnet50_v1_5 as the MODEL (convzoo finetune resnet50_v1_5 --weights FILE ...)" in err
    assert "strict=False" not in err and "use resnet50_v1_5" not in err
