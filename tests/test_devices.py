"""Devices checked at the door: one line naming the devices available here."""

from __future__ import annotations

import pytest
import torch

from convzoo.cli import main
from convzoo.devices import available_devices, resolve_device


def test_available_devices_start_with_the_cpu():
    devices = available_devices()
    assert devices[0] == "cpu"
    assert sum(d.startswith("cuda:") for d in devices) == (
        torch.cuda.device_count() if torch.cuda.is_available() else 0
    )


@pytest.mark.parametrize("name", ["tpu9", "meta", "cuda:7", "banana", ""])
def test_unusable_devices_are_refused_naming_the_available_ones(name):
    with pytest.raises(ValueError, match=r"available here: auto, cpu") as err:
        resolve_device(name)
    assert repr(name) in str(err.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_on_a_cpu_machine_says_why():
    with pytest.raises(ValueError, match="'cuda' is not available"):
        resolve_device("cuda")


def test_good_names_resolve():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_train_refuses_a_device_before_writing_anything(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "lenet5", "--device", "tpu9", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown device 'tpu9'; available here: auto, cpu" in err
    assert not out.exists()
