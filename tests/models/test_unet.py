"""U-Net as Fig. 1 of Ronneberger et al. draws it, its padded variant and its zoo-backbone variants."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import convzoo
from convzoo.layers.decoder import center_crop
from convzoo.models.unet import UNet, UNetConfig, level_sizes
from convzoo.models.vgg import VGG_CONFIGS, parse_layer


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope="module")
def unet() -> UNet:
    torch.manual_seed(0)
    return convzoo.create_model("unet").eval()


def test_unet_has_the_papers_31030658_parameters(unet):
    assert count(unet) == 31_030_658 == convzoo.model_card("unet").params
    assert count(unet.encoder[0]) == (1 * 9 + 1) * 64 + (64 * 9 + 1) * 64
    assert count(unet.decoder[0].up) == 1024 * 512 * 2 * 2 + 512  # 2x2 up-convolution halving channels
    assert count(unet.head) == 64 * 2 + 2  # the final 1x1 convolution to 2 classes
    assert unet.drop.p == 0.5  # dropout at the end of the contracting path (Section 3.1)


def test_unet_maps_are_those_of_figure_1():
    with torch.device("meta"):  # shapes only: the 572x572 forward costs nothing on the meta device
        model = convzoo.create_model("unet")
    seen = {}
    for name, module in model.named_modules():
        if name.count(".") <= 3 and name.rsplit(".", 1)[-1] in ("0", "1", "up", "head"):
            module.register_forward_hook(lambda m, i, o, n=name: seen.__setitem__(n, tuple(o.shape[1:])))
    pooled = []
    model.pool.register_forward_hook(lambda m, i, o: pooled.append(tuple(o.shape[1:])))
    out = model(torch.empty(1, 1, 572, 572, device="meta"))
    assert tuple(out.shape) == (1, 2, 388, 388)
    contracting = [(64, 570, 568), (128, 282, 280), (256, 138, 136), (512, 66, 64), (1024, 30, 28)]
    for level, (chs, first, second) in enumerate(contracting):
        assert seen[f"encoder.{level}.0"] == (chs, first, first)
        assert seen[f"encoder.{level}.1"] == (chs, second, second)
    assert pooled == [(64, 284, 284), (128, 140, 140), (256, 68, 68), (512, 32, 32)]
    expanding = [(512, 56, 54, 52), (256, 104, 102, 100), (128, 200, 198, 196), (64, 392, 390, 388)]
    for i, (chs, up, first, second) in enumerate(expanding):
        assert seen[f"decoder.{i}.up"] == (chs, up, up)
        assert seen[f"decoder.{i}.conv.0"] == (chs, first, first)
        assert seen[f"decoder.{i}.conv.1"] == (chs, second, second)
    assert seen["head"] == (2, 388, 388)


def test_unet_output_size_and_valid_input_sizes(unet):
    assert unet.output_size((572, 572)) == (388, 388)
    assert level_sizes(572, UNetConfig()) == [568, 280, 136, 64, 28, 52, 100, 196, 388]
    valid = [s for s in range(1, 700) if level_sizes(s, UNetConfig())]
    assert valid == list(range(188, 700, 16))  # every pooled map even
    assert unet.min_input_size == 188 and unet.output_size((188, 204)) == (4, 20)


@pytest.mark.parametrize(
    ("size", "side", "below", "above"),
    [((200, 188), 200, 188, 204), ((188, 190), 190, 188, 204), ((572, 574), 574, 572, 588)],
)
def test_unet_refuses_sizes_with_odd_pooled_maps(unet, size, side, below, above):
    with pytest.raises(ValueError, match=rf"188 \+ 16k.*for {side} use {below} or {above}"):
        unet(torch.zeros(1, 1, *size))
    with pytest.raises(ValueError, match="every pooled map is even"):
        unet.output_size(size)


def test_center_crop_takes_the_middle():
    x = torch.arange(36.0).reshape(1, 1, 6, 6)
    assert torch.equal(center_crop(x, (2, 2)), torch.tensor([[[[14.0, 15.0], [20.0, 21.0]]]]))
    assert center_crop(x, (4, 6)).shape == (1, 1, 4, 6)
    with pytest.raises(ValueError, match="cannot crop"):
        center_crop(x, (7, 6))


def test_unet_concatenates_the_cropped_encoder_map(unet):
    seen = {}
    unet.encoder[3].register_forward_hook(lambda m, i, o: seen.__setitem__("skip", o))
    unet.encoder[4].register_forward_hook(lambda m, i, o: seen.__setitem__("bottom", o))
    handle = unet.decoder[0].conv.register_forward_pre_hook(lambda m, i: seen.__setitem__("joined", i[0]))
    try:
        with torch.no_grad():
            unet(torch.randn(1, 1, 188, 188))
            up = unet.decoder[0].up(seen["bottom"])
    finally:
        unet.encoder[3]._forward_hooks.clear()
        unet.encoder[4]._forward_hooks.clear()
        handle.remove()
    assert seen["skip"].shape[-2:] == (16, 16) and up.shape[-2:] == (8, 8)
    assert torch.equal(seen["joined"][:, :512], up)  # the up-convolution's channels first
    assert torch.equal(seen["joined"][:, 512:], seen["skip"][..., 4:12, 4:12])


@pytest.mark.slow
def test_unet_572_gives_388_for_real(unet):
    with torch.no_grad():
        out = unet(torch.randn(1, 1, 572, 572))
    assert out.shape == (1, 2, 388, 388) and torch.isfinite(out).all()


@pytest.fixture(scope="module")
def padded() -> UNet:
    torch.manual_seed(0)
    return convzoo.create_model("unet_padded").eval()


def test_padded_unet_keeps_the_size_and_refuses_other_sizes(padded):
    model = padded
    assert count(model) == 31_030_658 and model.min_input_size == 16
    with torch.no_grad():
        assert model(torch.randn(1, 1, 48, 32)).shape == (1, 2, 48, 32)
    with pytest.raises(ValueError, match=r"divisible by 16.*pad_input=True.*for 40 use 32 or 48"):
        model(torch.randn(1, 1, 40, 48))
    with pytest.raises(ValueError, match="needs padded convolutions"):
        UNet(UNetConfig(), pad_input=True)


def test_padded_unet_pad_input_mirrors_and_crops_back(padded):
    x = torch.randn(1, 1, 40, 21)
    padded.pad_input = True
    try:
        with torch.no_grad():
            out = padded(x)
        assert padded.output_size((40, 21)) == (40, 21)
    finally:
        padded.pad_input = False
    with torch.no_grad():  # 40 -> 48 (4 above, 4 below), 21 -> 32 (5 left, 6 right), mirrored
        full = padded(F.pad(x, (5, 6, 4, 4), mode="reflect"))
    assert out.shape == (1, 2, 40, 21)
    assert torch.allclose(out, full[..., 4:44, 5:26], atol=1e-6)


def test_padded_unet_with_batch_norm():
    with torch.device("meta"):
        model = convzoo.create_model("unet_padded", batch_norm=True)
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 18  # after both 3x3 convolutions of 9 levels
    assert all(m.conv.bias is None for m in model.modules() if hasattr(m, "bn"))
    assert count(model) == 31_036_546


def vgg11_conv_params() -> int:
    widths = [parse_layer(i)[1] for i in VGG_CONFIGS["A"] if i != "M"]
    return sum((c_in * 9 + 1) * c_out for c_in, c_out in zip([3, *widths[:-1]], widths, strict=True))


def test_unet_vgg11_drops_the_classifier_head():
    model = convzoo.create_model("unet_vgg11")
    assert not any(isinstance(m, nn.Linear) for m in model.modules())
    assert not any(p.is_meta for p in model.parameters())
    assert count(model.encoder) == vgg11_conv_params() == 9_220_480
    assert [e["reduction"] for e in model.encoder.feature_info] == [2, 4, 8, 16, 32]
    assert [b.conv[1].conv.out_channels for b in model.decoder] == [256, 128, 64, 32, 16]
    with torch.no_grad():
        assert model.eval()(torch.randn(1, 3, 40, 56)).shape == (1, 2, 40, 56)


def test_unet_resnet34_joins_layer1_to_layer4_and_doubles_twice_to_full_size():
    with torch.device("meta"):  # shapes only
        model = convzoo.create_model("unet_resnet34").eval()
    assert count(model.encoder) == 21_797_672 - (512 * 1000 + 1000)  # resnet34 without its fc
    assert [e["num_chs"] for e in model.encoder.feature_info] == [64, 128, 256, 512]
    assert model.num_unjoined == 2  # layer1 is at stride 4: two 2x steps without a skip
    assert [b.conv[0].conv.in_channels for b in model.decoder] == [512 + 256, 256 + 128, 128 + 64, 64, 32]
    seen = []
    model.decoder[3].register_forward_hook(lambda m, i, o: seen.append(o.shape[-2:]))
    assert model(torch.empty(1, 3, 50, 70, device="meta")).shape == (1, 2, 50, 70)
    assert seen == [(26, 36)]  # 2x layer1's 13x18, then the last step to exactly 50x70
