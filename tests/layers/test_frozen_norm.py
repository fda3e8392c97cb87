"""Frozen BatchNorm for fine-tuning: eval-mode statistics that survive deepcopy (EMA) and pickling."""

from __future__ import annotations

import copy
import io
import pickle

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

import convzoo
from convzoo.layers.frozen_norm import FrozenBatchNorm2d, FrozenBatchNormReLU, FrozenNorm, freeze_batchnorm
from convzoo.layers.preact import BatchNormReLU
from convzoo.transfer.finetune import plan_finetune


def linear_finetuned():
    model = convzoo.create_model("resnet18", num_classes=3)
    plan_finetune(model, "linear", lr=0.1)
    return model


def norms(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]


def test_linear_finetuning_keeps_frozen_norms_in_eval_mode_and_the_head_training():
    model = linear_finetuned().train()
    assert norms(model) and all(isinstance(m, FrozenBatchNorm2d) and not m.training for m in norms(model))
    assert model.training and model.get_classifier().training
    before = model.stem.bn.running_mean.clone() if hasattr(model.stem, "bn") else None
    model(torch.randn(2, 3, 64, 64))
    first = norms(model)[0]
    assert first.num_batches_tracked == 0  # no statistics updated
    if before is not None:
        assert torch.equal(before, model.stem.bn.running_mean)


def test_deepcopy_and_ema_model_follow_their_own_mode():
    model = linear_finetuned()
    twin = copy.deepcopy(model)
    twin.eval()
    assert model.training and not any(m.training for m in twin.modules())  # the copy's eval is its own
    ema = AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.99), use_buffers=True
    )
    ema.module.eval()
    assert not any(m.training for m in ema.module.modules())
    ema.module.train()
    assert all(not m.training for m in norms(ema.module)) and ema.module.get_classifier().training


def test_frozen_model_pickles_and_saves_whole():
    model = linear_finetuned()
    restored = pickle.loads(pickle.dumps(model))
    assert all(isinstance(m, FrozenBatchNorm2d) for m in norms(restored))
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False).train()
    assert all(not m.training for m in norms(loaded))
    assert set(loaded.state_dict()) == set(convzoo.create_model("resnet18", num_classes=3).state_dict())


def test_unfreezing_restores_the_plain_class_and_subclasses_keep_their_forward():
    layer = BatchNormReLU(4)
    layer.requires_grad_(False)
    assert freeze_batchnorm(nn.Sequential(layer)) == ["0"]
    assert type(layer) is FrozenBatchNormReLU
    x = torch.randn(2, 4, 3, 3)
    assert (layer.train()(x) >= 0).all()  # still the ReLU after the norm
    layer.requires_grad_(True)
    freeze_batchnorm(nn.Sequential(layer))
    assert type(layer) is BatchNormReLU and not isinstance(layer, FrozenNorm)
    assert layer.train().training
