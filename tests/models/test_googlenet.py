"""GoogLeNet facts beyond the model contract: Table 1 grid, aux heads, torchvision variant."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convzoo
from convzoo.analysis.macs import count_macs
from convzoo.contract import ClassifierOutput
from convzoo.layers.lrn import LocalResponseNorm
from convzoo.models import googlenet as googlenet_module
from convzoo.weights import UnplacedKeysError
from tests.models.helpers import n_params, on_meta, output_shapes


def test_googlenet_grid_follows_table_1():
    """Table 1's "output size" column at 224x224, which needs Caffe's rounded-up pooling."""
    model = on_meta("googlenet")
    expected = {
        "features.conv1": (64, 112, 112),
        "features.pool1": (64, 56, 56),
        "features.conv3": (192, 56, 56),
        "features.pool2": (192, 28, 28),
        "features.inception3a": (256, 28, 28),
        "features.inception3b": (480, 28, 28),
        "features.inception4a": (512, 14, 14),
        "features.inception4b": (512, 14, 14),
        "features.inception4c": (512, 14, 14),
        "features.inception4d": (528, 14, 14),
        "features.inception4e": (832, 14, 14),
        "features.pool4": (832, 7, 7),
        "features.inception5a": (832, 7, 7),
        "features.inception5b": (1024, 7, 7),
    }
    assert output_shapes(model, 224, list(expected)) == expected


def test_googlenet_keeps_the_papers_budget_of_1_5_billion_multiply_adds():
    """Section 1: "a computational budget of 1.5 billion multiply-adds at inference time"."""
    model = on_meta("googlenet")
    macs = count_macs(model, torch.empty(1, 3, 224, 224, device="meta"))
    assert 1.45e9 < macs < 1.65e9


def test_googlenet_is_the_papers_and_googlenet_tv_is_torchvisions():
    paper, tv = on_meta("googlenet"), on_meta("googlenet_tv")
    # The 5x5 branch: 5x5 in the paper, 3x3 in torchvision.
    assert paper.features.inception3a.branch3[1].conv.kernel_size == (5, 5)
    assert tv.features.inception3a.branch3[1].conv.kernel_size == (3, 3)
    # LRN after pool1 and conv2/3x3 in the paper; BatchNorm instead in torchvision.
    assert isinstance(paper.features.norm1, LocalResponseNorm)
    assert isinstance(paper.features.norm2, LocalResponseNorm)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in paper.modules())
    assert not any(isinstance(m, LocalResponseNorm) for m in tv.modules())
    assert paper.head.drop.p == 0.4 and tv.head.drop.p == 0.2
    assert paper.features.pool4.kernel_size == 3 and tv.features.pool4.kernel_size == 2


def test_googlenet_aux_heads_only_in_training():
    torch.manual_seed(0)
    model = convzoo.create_model("googlenet", num_classes=10)
    assert model.aux_loss_weights == (0.3, 0.3)  # Section 5
    assert list(model.aux_heads) == ["inception4a", "inception4d"]
    x = torch.randn(2, 3, 32, 32)
    out = model.train()(x)
    assert isinstance(out, ClassifierOutput)
    assert out.logits.shape == (2, 10)
    assert [a.shape for a in out.aux_logits] == [(2, 10), (2, 10)]
    with torch.no_grad():
        plain = model.eval()(x)
    assert isinstance(plain, torch.Tensor) and plain.shape == (2, 10)


def test_googlenet_aux_head_is_section_5s():
    model = on_meta("googlenet")
    head = model.aux_heads["inception4a"]
    # 5x5/3 average pooling turns (4a)'s 14x14x512 into 4x4x512 at 224x224 input.
    assert head.pool(torch.empty(1, 512, 14, 14, device="meta")).shape == (1, 512, 4, 4)
    assert head.conv[0].conv.kernel_size == (1, 1) and head.conv[0].conv.out_channels == 128
    fc1, _, dropout = head.hidden
    assert (fc1.in_features, fc1.out_features) == (4 * 4 * 128, 1024)
    assert dropout.p == 0.7
    assert model.aux_heads["inception4d"].conv[0].conv.in_channels == 528


def test_googlenet_parameters_with_and_without_aux_heads():
    with_aux, without = on_meta("googlenet"), on_meta("googlenet", aux_logits=False)
    aux = (512 * 128 + 128 + 528 * 128 + 128) + 2 * (2048 * 1024 + 1024 + 1024 * 1000 + 1000)
    assert n_params(with_aux) == 13_378_280
    assert n_params(without) == 13_378_280 - aux == 6_998_552
    assert without.aux_loss_weights == ()


def test_reset_classifier_resets_or_removes_the_aux_heads():
    model = convzoo.create_model("googlenet_tv")
    model.reset_classifier(5)
    assert all(h.fc.out_features == 5 for h in model.aux_heads.values())
    out = model.train()(torch.randn(2, 3, 15, 15))
    assert [a.shape for a in out.aux_logits] == [(2, 5), (2, 5)]
    model.reset_classifier(0)
    assert len(model.aux_heads) == 0 and model.aux_loss_weights == ()
    out = model.train()(torch.randn(2, 3, 15, 15))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 1024)


def test_googlenet_torchvision_converter_places_aux_heads():
    sd = {
        "aux2.fc1.weight": torch.zeros(1),
        "aux1.conv.bn.running_mean": torch.zeros(1),
        "inception5b.branch4.1.conv.weight": torch.zeros(1),
        "conv3.bn.bias": torch.zeros(1),
        "fc.bias": torch.zeros(1),
    }
    assert set(googlenet_module.from_torchvision(sd)) == {
        "aux_heads.inception4d.hidden.0.weight",
        "aux_heads.inception4a.conv.0.bn.running_mean",
        "features.inception5b.branch4.1.conv.weight",
        "features.conv3.bn.bias",
        "head.fc.bias",
    }
    with pytest.raises(UnplacedKeysError, match="aux3"):
        googlenet_module.from_torchvision({"aux3.fc1.weight": torch.zeros(1)})
