"""load_weights: file formats, layout detection, mismatch reports and bad files."""

from __future__ import annotations

import pickle

import pytest
import torch
from safetensors.torch import save_file

import convzoo
from convzoo.weights import WeightsMismatchError, fit_pointwise_weights


class Unpicklable:
    """Any class: torch.load(weights_only=True) must refuse to build it."""


@pytest.fixture()
def pair():
    torch.manual_seed(0)
    return convzoo.create_model("lenet5_modern").eval(), convzoo.create_model("lenet5_modern").eval()


def same_outputs(a, b) -> bool:
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        return torch.equal(a(x), b(x))


@pytest.mark.parametrize("suffix", [".safetensors", ".pth", ".pt", ".bin"])
def test_round_trip_through_files(pair, tmp_path, suffix):
    source, target = pair
    path = tmp_path / f"w{suffix}"
    if suffix == ".safetensors":
        save_file(source.state_dict(), str(path))
    else:
        torch.save(source.state_dict(), path)
    assert not same_outputs(source, target)
    report = convzoo.load_weights(target, path)
    assert report.layout == "convzoo" and not report.missing
    assert same_outputs(source, target)


def test_wrapped_and_ddp_prefixed_state_dicts(pair):
    source, target = pair
    wrapped = {"epoch": 3, "state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}
    convzoo.load_weights(target, wrapped)
    assert same_outputs(source, target)


def test_mismatch_lists_missing_unexpected_and_wrong_shapes(pair):
    source, target = pair
    state = source.state_dict()
    state.pop("c1.bias")
    state["extra.weight"] = torch.zeros(1)
    state["c5.weight"] = torch.zeros(3, 3)
    with pytest.raises(WeightsMismatchError) as err:
        convzoo.load_weights(target, state)
    text = str(err.value)
    assert "missing keys (1): c1.bias" in text
    assert "unexpected keys (1): extra.weight" in text
    assert "c5.weight (checkpoint (3, 3), model (120, 16, 5, 5))" in text


def test_non_strict_loads_what_fits_and_reports_the_rest(pair):
    source, target = pair
    state = source.state_dict()
    state["head.fc.weight"] = torch.zeros(5, 84)
    state["head.fc.bias"] = torch.zeros(5)
    report = convzoo.load_weights(target, state, strict=False)
    assert [k.split(" ")[0] for k in report.wrong_shape] == ["head.fc.weight", "head.fc.bias"]
    assert torch.equal(target.c1.weight, source.c1.weight)
    assert not torch.equal(target.head.fc.weight, source.head.fc.weight)


def test_checkpoint_of_another_architecture_is_refused():
    with pytest.raises(WeightsMismatchError, match="does not fit vgg11"):
        convzoo.load_weights(convzoo.create_model("vgg11"), convzoo.create_model("lenet5").state_dict())


def test_bad_files_give_clear_errors(tmp_path):
    model = convzoo.create_model("lenet5")
    with pytest.raises(FileNotFoundError, match="no weights file"):
        convzoo.load_weights(model, tmp_path / "absent.pth")
    (tmp_path / "w.txt").write_text("hello")
    with pytest.raises(ValueError, match="expected a weights file ending in"):
        convzoo.load_weights(model, tmp_path / "w.txt")
    (tmp_path / "corrupt.pth").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ValueError, match="not a readable torch checkpoint"):
        convzoo.load_weights(model, tmp_path / "corrupt.pth")
    (tmp_path / "corrupt.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{bad json}")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        convzoo.load_weights(model, tmp_path / "corrupt.safetensors")
    with open(tmp_path / "object.pth", "wb") as f:  # a pickle that is not a plain state dict
        pickle.dump({"model": object()}, f, protocol=2)
    with pytest.raises(ValueError, match="not a plain state dict: it holds Python objects such as object"):
        convzoo.load_weights(model, tmp_path / "object.pth")
    torch.save({"model": Unpicklable()}, tmp_path / "object2.pth")
    with pytest.raises(ValueError, match=r"not a plain state dict.*Unpicklable"):
        convzoo.load_weights(model, tmp_path / "object2.pth")
    (tmp_path / "truncated.pth").write_bytes((tmp_path / "object2.pth").read_bytes()[:40])
    with pytest.raises(ValueError, match="not a readable torch checkpoint"):
        convzoo.load_weights(model, tmp_path / "truncated.pth")
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(ValueError, match="expected a state dict"):
        convzoo.load_weights(model, tmp_path / "list.pth")


def test_torchvision_file_is_detected_and_converted(seeded, tmp_path):
    ref = seeded.load("alexnet")
    path = tmp_path / "alexnet-torchvision.pth"
    torch.save(seeded.state_dict(ref), path)
    model = convzoo.create_model("alexnet_owt").eval()
    report = convzoo.load_weights(model, path)
    assert report.layout == "torchvision" and report.loaded == len(ref["keys"])
    with torch.no_grad():
        seeded.check(model(seeded.input_batch(ref)), ref)


def test_converter_reports_keys_it_cannot_place(seeded):
    state = seeded.state_dict(seeded.load("vgg11"))
    state["features.99.weight"] = torch.zeros(1)
    with pytest.raises(
        WeightsMismatchError, match=r"torchvision converter could not place: features\.99\.weight"
    ):
        convzoo.load_weights(convzoo.create_model("vgg11"), state)


def test_a_linear_weight_saved_as_a_1x1_convolution_loads_and_the_other_way_round():
    """timm keeps some classifiers as 1x1 convs: [out, in, 1, 1] loads into a Linear's [out, in]."""
    model = convzoo.create_model("lenet5_modern", num_classes=10)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    linear = next(k for k, v in state.items() if k.endswith("weight") and v.dim() == 2)
    as_conv = {**state, linear: state[linear][:, :, None, None] + 1}
    convzoo.load_weights(model, as_conv)
    assert torch.equal(model.state_dict()[linear], state[linear] + 1)
    wrong = {**state, linear: state[linear][:, :-1, None, None]}  # a different width still fails
    with pytest.raises(WeightsMismatchError, match="wrongly-shaped"):
        convzoo.load_weights(model, wrong)
    target = {"head.weight": torch.zeros(3, 4), "proj.weight": torch.zeros(3, 4, 1, 1)}
    fitted = fit_pointwise_weights(
        {"head.weight": torch.ones(3, 4, 1, 1), "proj.weight": torch.ones(3, 4)}, target
    )
    assert {k: tuple(v.shape) for k, v in fitted.items()} == {
        "head.weight": (3, 4),
        "proj.weight": (3, 4, 1, 1),
    }
    assert fit_pointwise_weights({"head.weight": torch.ones(3, 2, 2)}, target)["head.weight"].shape == (
        3,
        2,
        2,
    )
