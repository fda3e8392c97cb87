"""The training engine: real short runs on mnist-mini, checkpoints, exact resume, NaN stop, options."""

from __future__ import annotations

import math
import os

import pytest
import torch
import yaml

from convzoo.contract import ClassifierOutput
from convzoo.io import atomic_write_bytes
from convzoo.train import (
    NonFiniteLossError,
    Trainer,
    load_checkpoint,
    read_config_file,
    resolve_config,
    train,
)
from convzoo.train.checkpoint import read_meta, read_tensors
from convzoo.train.config import TrainConfig
from convzoo.train.metrics import evaluate
from convzoo.train.schedule import build_optimizer, lr_factor, param_groups

SMALL = dict(data="mnist-mini", train_limit=640, test_limit=200, epochs=2, batch_size=32, threads=1)
TIMING = ("train_seconds", "eval_seconds", "elapsed", "images_per_s")


pytestmark = pytest.mark.usefixtures("restore_threads")  # tests/conftest.py


def small(model: str = "lenet5_modern", **changes) -> TrainConfig:
    return resolve_config(model, {**SMALL, **changes})


def untimed(history):
    return [{k: v for k, v in row.items() if k not in TIMING} for row in history]


def test_short_run_learns_and_writes_its_run_directory(tmp_path):
    result = train(small(), tmp_path / "run")
    assert result.final["top1"] > 0.6  # 10 classes: chance is 0.1
    run = tmp_path / "run"
    doc = yaml.safe_load((run / "config.yaml").read_text())
    assert doc["config"]["model"] == "lenet5_modern" and doc["seed"] == 0
    assert doc["versions"]["torch"] == str(torch.__version__) and doc["machine"]["cpu_count"] >= 1
    assert doc["input_size"] == [1, 32, 32]  # MNIST's 28x28 padded to LeNet's 32x32
    assert len((run / "metrics.csv").read_text().splitlines()) == 3
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2
    for png in ("curves.png", "confusion.png"):
        assert (run / png).read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in run.rglob("*") if p.name.endswith(".tmp")]
    model, meta = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert meta["epoch"] == 2 and meta["classes"][:2] == ["0", "1"] and meta["data_size"] == 28
    test = Trainer(small()).dataset.test
    again = evaluate(model, test.batches(100, torch.tensor(meta["mean"]), torch.tensor(meta["std"])), 10)
    assert again["top1"] == result.final["top1"]
    with pytest.raises(FileExistsError, match="already holds a run; pass --resume"):
        train(small(), run)


@pytest.mark.parametrize("portable", [True, False], ids=["loop-step", "fused-step"])
def test_resume_after_a_crash_matches_an_uninterrupted_run(tmp_path, portable):
    # AdamW state and the EMA must come back too; the resume tensors are kept to compare them
    cfg = small(ema_decay=0.9, train_limit=320, keep_resume=True, portable_kernels=portable)
    whole = train(cfg, tmp_path / "whole")

    def crash(row, model):
        if row["epoch"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path / "crashed", callbacks=[crash])
    resumed = train(cfg, tmp_path / "crashed", resume=True)
    assert untimed(resumed.history) == untimed(whole.history)
    a = read_tensors(tmp_path / "whole" / "checkpoints" / "resume.safetensors")
    b = read_tensors(tmp_path / "crashed" / "checkpoints" / "resume.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    def poison(row, model):
        with torch.no_grad():
            next(model.parameters()).fill_(math.nan)

    with pytest.raises(
        NonFiniteLossError, match=r"epoch 2, step 1: training stopped; the last good checkpoint \(epoch 1\)"
    ):
        train(small(train_limit=128), tmp_path / "run", callbacks=[poison])
    last = tmp_path / "run" / "checkpoints" / "last.safetensors"
    assert read_meta(last)["epoch"] == 1
    assert all(torch.isfinite(t).all() for t in read_tensors(last).values())


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "last.safetensors"
    atomic_write_bytes(target, b"old")

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["last.safetensors"]


def test_options_run_bf16_channels_last_clipping_smoothing_step_schedule(tmp_path):
    cfg = small(
        optimizer="sgd", lr=0.05, schedule="step", step_epochs=1, step_gamma=0.5, warmup_epochs=0.0,
        bf16=True, channels_last=True, grad_clip=1.0, label_smoothing=0.1, train_limit=128, test_limit=64,
    )  # fmt: skip
    result = train(cfg)
    assert [round(r["lr"], 6) for r in result.history] == [0.025, 0.0125]
    assert all(math.isfinite(r["train_loss"]) for r in result.history) and result.run_dir is None


def test_steps_are_fused_except_on_the_portable_kernels():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.Linear(8, 2))
    for optimizer in ("sgd", "adamw"):
        fused = build_optimizer(net, TrainConfig(optimizer=optimizer, portable_kernels=False))
        loop = build_optimizer(net, TrainConfig(optimizer=optimizer, portable_kernels=True))
        assert fused.defaults["fused"] is True and not loop.defaults["fused"], optimizer


def test_schedules():
    cfg = TrainConfig(epochs=10, warmup_epochs=1, schedule="cosine")
    assert lr_factor(cfg, 0, 10) < lr_factor(cfg, 5, 10) < lr_factor(cfg, 10, 10) == 1.0
    assert lr_factor(cfg, 99, 10) < 1e-3
    one = cfg.replace(schedule="onecycle")
    factors = [lr_factor(one, s, 10) for s in range(100)]
    assert factors.index(max(factors)) == 25 and factors[0] == pytest.approx(0.04) and factors[-1] < 1e-3


def test_weight_decay_skips_biases_and_norms():
    bn_net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.Linear(8, 2))
    decay, no_decay = param_groups(bn_net, 5e-4, decay_norm_and_bias=False)
    assert [tuple(p.shape) for p in decay["params"]] == [(8, 3, 3, 3), (2, 8)]
    assert len(no_decay["params"]) == 4 and no_decay["weight_decay"] == 0.0


def test_models_adapt_to_the_dataset_and_aux_losses_are_weighted():
    trainer = Trainer(resolve_config("lenet5", {**SMALL, "data": "shapes"}))
    assert (trainer.model.in_chans, trainer.model.num_classes, trainer.size) == (3, 4, 32)
    y = torch.tensor([0, 1])
    logits, aux = torch.zeros(2, 4), torch.tensor([[5.0, 0, 0, 0], [5.0, 0, 0, 0]])
    trainer.model.aux_loss_weights = (0.3,)
    loss, out = trainer.loss_and_logits(ClassifierOutput(logits, (aux,)), y)
    plain = torch.nn.functional.cross_entropy
    assert out is logits and loss.item() == pytest.approx((plain(logits, y) + 0.3 * plain(aux, y)).item())


def test_config_files(tmp_path):
    (tmp_path / "flat.yaml").write_text("epochs: 3\nlr: 0.01\n")
    assert resolve_config("lenet5", read_config_file(tmp_path / "flat.yaml"), {"lr": 0.02}).epochs == 3
    (tmp_path / "bad.yaml").write_text("epochz: 3\n")
    with pytest.raises(ValueError, match=r"unknown setting\(s\) epochz; valid: .*epochs"):
        read_config_file(tmp_path / "bad.yaml")
    with pytest.raises(ValueError, match="optimizer must be one of sgd, adamw"):
        resolve_config("lenet5", {"optimizer": "adam"})


def test_the_trainer_is_told_how_to_prepare_the_model_and_refuses_weights_it_would_ignore(tmp_path):
    told = []

    def prepare(model, log):
        told.append(model)
        return [
            {
                "params": [p for n, p in model.named_parameters() if n.startswith("head")],
                "lr": 0.5,
                "name": "head",
            }
        ]

    trainer = Trainer(small(), prepare=prepare, log=lambda _: None)
    assert told == [trainer.model]
    groups = trainer.optimizer.param_groups  # the head's weights and its biases (not decayed)
    assert {g["name"] for g in groups} == {"head"} and {g["initial_lr"] for g in groups} == {0.5}
    with pytest.raises(ValueError, match=r"prepare step: use convzoo\.train\.train"):
        Trainer(small(weights=str(tmp_path / "x.safetensors")), log=lambda _: None)


def test_grad_checkpointing_trains_the_same_run():
    plain = train(small(epochs=1, train_limit=128, test_limit=64))
    checkpointed = train(small(epochs=1, train_limit=128, test_limit=64, grad_checkpointing=True))
    loss = [r["train_loss"] for r in plain.history]
    assert [r["train_loss"] for r in checkpointed.history] == pytest.approx(loss, rel=1e-5)
