"""Transfer learning: pretrained loading with new heads/channels, fine-tuning modes, --init-from."""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.transfer import (
    adapt_input_channels,
    init_from,
    load_pretrained,
    plan_finetune,
    vgg_progressive_keys,
)
from convzoo.weights import WeightsMismatchError


def test_new_class_count_reinitialises_only_the_head(tmp_path):
    torch.manual_seed(0)
    source = convzoo.create_model("lenet5_modern")
    torch.save(source.state_dict(), tmp_path / "src.pth")
    target = convzoo.create_model("lenet5_modern", num_classes=3)
    before = target.head.fc.weight.clone()
    report = load_pretrained(target, tmp_path / "src.pth")
    assert report.head_reinitialised == ["head.fc.weight", "head.fc.bias"]
    assert torch.equal(target.c1.weight, source.c1.weight)
    assert torch.equal(target.head.fc.weight, before)


def test_one_channel_sums_rgb_kernels_and_keeps_grey_responses():
    torch.manual_seed(0)
    rgb = convzoo.create_model("alexnet_owt", num_classes=4).eval()
    grey = convzoo.create_model("alexnet_owt", num_classes=4, in_chans=1).eval()
    report = load_pretrained(grey, rgb.state_dict())
    assert report.channels_adapted == ["features.conv1.conv.weight"]
    x = torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        assert torch.allclose(grey(x), rgb(x.expand(1, 3, 64, 64)), atol=1e-4)


@pytest.mark.parametrize("in_chans", [1, 2, 4, 5, 6])
def test_adapted_kernels_keep_the_response_to_equal_channels(in_chans):
    kernel = torch.randn(8, 3, 3, 3)
    adapted = adapt_input_channels(kernel, in_chans)
    assert adapted.shape == (8, in_chans, 3, 3)
    x = torch.rand(1, 1, 6, 6)
    same = torch.nn.functional.conv2d(x.expand(1, in_chans, 6, 6), adapted)
    assert torch.allclose(same, torch.nn.functional.conv2d(x.expand(1, 3, 6, 6), kernel), atol=1e-5)
    if in_chans == 6:  # RGBRGB, each copy halved
        assert torch.allclose(adapted[:, 3], kernel[:, 0] / 2)


def test_another_architecture_is_refused():
    with pytest.raises(WeightsMismatchError):
        load_pretrained(convzoo.create_model("nin_cifar"), convzoo.create_model("lenet5_modern").state_dict())


@pytest.mark.parametrize("mode", ["linear", "partial", "full"])
def test_finetune_modes_train_what_they_say(mode):
    torch.manual_seed(0)
    model = convzoo.create_model("vgg11_bn", num_classes=3)
    plan = plan_finetune(model, mode, lr=0.1, unfreeze=1, lr_decay=0.5)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    stats_before = model.stages[0][0].bn.running_mean.clone()
    optimizer = torch.optim.SGD(plan.param_groups, lr=0.1)
    model.train()
    loss = model(torch.randn(2, 3, 32, 32)).logsumexp(1).mean()
    loss.backward()
    optimizer.step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    if mode == "linear":
        assert changed == {"head.fc.weight", "head.fc.bias"}
        assert torch.equal(model.stages[0][0].bn.running_mean, stats_before)  # frozen BN stays in eval
    elif mode == "partial":
        assert all(n.startswith(("head.", "stages.4.")) for n in changed)
        assert any(n.startswith("stages.4.") for n in changed) and "head.fc6.weight" in changed
    else:
        assert changed == set(before)
        lrs = {g["name"]: g["lr"] for g in plan.param_groups}
        assert (
            lrs["head"] == 0.1 and lrs["stages.4"] == 0.05 and lrs["stages.0"] == pytest.approx(0.1 * 0.5**5)
        )
    assert set(plan.trainable) | set(plan.frozen) == set(before)


def test_unknown_mode_is_explained():
    with pytest.raises(ValueError, match="unknown fine-tuning mode 'half'"):
        plan_finetune(convzoo.create_model("lenet5_modern"), "half", lr=0.1)
    with pytest.raises(ValueError, match=r"leaves nothing to train.*use --mode partial"):
        plan_finetune(convzoo.create_model("lenet5"), "linear", lr=0.1)  # fixed RBF output


def test_vgg_progressive_initialisation_copies_four_convs_and_three_fcs():
    torch.manual_seed(0)
    a = convzoo.create_model("vgg11", num_classes=10)
    d = convzoo.create_model("vgg16", num_classes=10)
    keys = vgg_progressive_keys(a.state_dict())
    report = init_from(d, a.state_dict(), keys)
    copied_layers = sorted({k.rsplit(".", 1)[0] for k in report.copied})
    assert copied_layers == [
        "head.fc",
        "head.fc6",
        "head.fc7",
        "stages.0.0.conv",
        "stages.1.0.conv",
        "stages.2.0.conv",
        "stages.2.1.conv",
    ]  # conv1_1, conv2_1, conv3_1, conv3_2 of configuration A
    assert torch.equal(d.stages[2][1].conv.weight, a.stages[2][1].conv.weight)
    assert not torch.equal(d.stages[3][0].conv.weight, a.stages[3][0].conv.weight)


def test_init_from_copies_matching_layers_and_refuses_strangers():
    source = convzoo.create_model("lenet5_modern", num_classes=5)
    target = convzoo.create_model("lenet5_modern", num_classes=10)
    report = init_from(target, source.state_dict())
    assert "head.fc.weight" in report.skipped and "c1.weight" in report.copied
    with pytest.raises(ValueError, match="no tensor of the source"):
        init_from(convzoo.create_model("nin_cifar"), {"x.weight": torch.zeros(1)})


def test_torchvision_googlenet_weights_move_to_new_classes_with_fresh_auxiliary_heads(seeded):
    """torchvision's GoogLeNet file holds 1000-way auxiliary classifiers as well: to a new number of
    classes they are re-initialised with the main head, and everything else loads."""
    state = seeded.state_dict(seeded.load("googlenet"))
    assert any(k.startswith("aux1.fc2") for k in state)
    model = convzoo.create_model("googlenet_tv", num_classes=5)
    report = load_pretrained(model, state)
    fresh = set(report.head_reinitialised)
    assert len(fresh) == 6 and all(k.endswith(("weight", "bias")) for k in fresh)  # main + 2 aux heads
    model.train()
    out = model(torch.randn(2, 3, 96, 96))
    assert out.logits.shape == (2, 5) and all(a.shape == (2, 5) for a in out.aux_logits)
