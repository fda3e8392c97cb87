"""bf16: auto turns bfloat16 autocast on only where the device multiplies bfloat16 natively."""

from __future__ import annotations

import argparse

import pytest
import torch

from convzoo.train import Trainer, resolve_config
from convzoo.train.config import TrainConfig
from convzoo.train.precision import native_bf16, parse_bf16, resolve_bf16
from tests.train.tiny import tiny_run

CPU = torch.device("cpu")
TINY = tiny_run(portable_kernels=False)  # mnist-mini pins the portable kernels otherwise


def cpu_instructions(monkeypatch, amx: bool, avx512_bf16: bool) -> None:
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16, raising=False)


def test_bf16_flag_takes_on_off_auto_only():
    assert [parse_bf16(v) for v in ("on", "OFF", "true", "auto")] == [True, False, True, "auto"]
    with pytest.raises(argparse.ArgumentTypeError, match="on, off or auto"):
        parse_bf16("maybe")
    assert TrainConfig(bf16="auto").bf16 == "auto"
    with pytest.raises(ValueError, match="bf16 must be"):
        TrainConfig(bf16="maybe")


@pytest.mark.parametrize(("amx", "avx512_bf16"), [(True, False), (False, True), (False, False)])
def test_native_bf16_needs_amx_or_avx512_bf16(monkeypatch, amx, avx512_bf16):
    cpu_instructions(monkeypatch, amx, avx512_bf16)
    assert native_bf16(CPU) is (amx or avx512_bf16)
    assert resolve_bf16("auto", CPU) is (amx or avx512_bf16)
    assert resolve_bf16("auto", CPU, portable_kernels=True) is False  # the same digits everywhere
    assert resolve_bf16(True, CPU) is True and resolve_bf16(False, CPU) is False  # a setting is kept
    assert native_bf16(torch.device("meta")) is False


@pytest.mark.parametrize("native", [True, False])
def test_auto_bf16_trainer_autocasts_only_on_native_hardware(monkeypatch, native):
    cpu_instructions(monkeypatch, native, native)
    logged = []
    trainer = Trainer(resolve_config("lenet5_modern", {**TINY, "bf16": "auto"}), log=logged.append)
    assert trainer.bf16 is native
    assert any(line.startswith(f"bf16: {'on' if native else 'off'}") for line in logged)
    x = next(iter(trainer.dataset.train.batches(8, trainer.mean, trainer.std)))[0]
    with trainer.autocast():
        logits = trainer.model(x)
    assert logits.dtype == (torch.bfloat16 if native else torch.float32)


def test_lenet_recipe_uses_bf16_on_full_mnist_only():
    assert resolve_config("lenet5_modern", {"data": "mnist"}).bf16 == "auto"
    mini = resolve_config("lenet5_modern", {"data": "mnist-mini"})
    assert mini.bf16 is False and mini.portable_kernels is True  # the README's quoted run
