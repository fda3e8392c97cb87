"""Analysis: MACs equal the reference records, receptive fields by hand, rows add up, the JSON schema."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import convzoo
from convzoo.analysis import AxisField, summarize_registered, summary
from convzoo.analysis.build import build_on_meta
from convzoo.analysis.design import design
from convzoo.analysis.zoo_costs import count, load_cache, zoo_points
from convzoo.cli import main
from tests.conftest import REFERENCE_DIR

RECORDS = sorted(p.stem for p in REFERENCE_DIR.glob("*.json"))


def models_loading(ref: dict) -> list[str]:
    """Registered models whose card lists the record's library:model as compatible."""
    return [
        n
        for n in convzoo.list_models()
        if convzoo.model_card(n).compatible.get(ref["library"]) == ref["model"]
    ]


@pytest.mark.parametrize("record", RECORDS)
def test_total_macs_equal_the_reference_record(record, seeded):
    ref = seeded.load(record)
    names = models_loading(ref)
    if not names:
        pytest.skip(f"no registered model loads {ref['library']}:{ref['model']} yet")
    for name in names:
        result = summarize_registered(name, tuple(ref["input_shape"][1:]))
        assert result.total_macs == ref["macs"], f"{name} at {ref['input_shape'][1:]}"
        assert result.total_params == ref["params"]


def one_model_per_family() -> list[str]:
    """The smallest model (by parameters) of each family; every model runs in the slow sweep."""
    smallest: dict[str, str] = {}
    for name in convzoo.list_models():
        card = convzoo.model_card(name)
        if card.family not in smallest or card.params < convzoo.model_card(smallest[card.family]).params:
            smallest[card.family] = name
    return sorted(smallest.values())


def check_summary_adds_up(name: str) -> None:
    model = build_on_meta(name)
    size = max(getattr(model, "min_input_size", 32), 32)
    patch = getattr(model, "patch_size", 1)  # a ViT takes whole patches: 32 -> 42 for vit_h_14
    size = -(-size // patch) * patch
    result = summarize_registered(name, (model.in_chans, size, size)).to_dict()
    rows, total = result["layers"], result["total"]
    assert rows and total["macs"] > 0
    for key in ("params", "trainable_params", "macs", "activation_bytes"):
        assert sum(r[key] for r in rows) == total[key], key
    assert total["params"] == convzoo.model_card(name).params
    assert any(r["rf_size"] and r["rf_size"][0] > 1 for r in rows)


@pytest.mark.parametrize("name", one_model_per_family())
def test_summary_rows_add_up_for_each_family(name):
    check_summary_adds_up(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", convzoo.list_models())
def test_summary_rows_add_up_for_every_model(name):
    check_summary_adds_up(name)


def rf_of(result, name: str) -> tuple:
    row = result.row(name)
    return row.rf_size[0], row.rf_stride[0]


def test_vgg16_receptive_fields_match_araujo_et_al():
    result = summarize_registered("vgg16")
    assert rf_of(result, "stages.4.2.conv") == (196, 16)  # conv5_3
    assert rf_of(result, "stages.4.pool") == (212, 32)  # pool5
    assert rf_of(result, "stages.0.0.conv") == (3, 1)
    # centred windows: the field of pool5's first unit spans [-90, 121], 90 pixels of padding
    assert result.row("stages.4.pool").rf_start == [15.5, 15.5]


@pytest.mark.parametrize("name", ["alexnet", "alexnet_owt"])
def test_alexnet_receptive_fields(name):
    result = summarize_registered(name)
    assert rf_of(result, "features.conv1.conv") == (11, 4)
    assert rf_of(result, "features.conv5.conv") == (163, 16)
    assert rf_of(result, "features.conv5.pool") == (195, 32)
    assert result.row("head.fc6").rf_stride == [None, None]  # fully connected: no spatial layout left


class TwoPaths(nn.Module):
    """A 1x1 path and a 3x3-3x3 path, added: the sum sees the larger field (5), not the first (1)."""

    def __init__(self) -> None:
        super().__init__()
        self.short = nn.Conv2d(1, 1, 1)
        self.long = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, stride=2, padding=1))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.pool(self.short(x)), self.long(x)], dim=1) * 2


def test_branches_take_the_largest_field_over_all_paths():
    result = summary(TwoPaths(), (1, 16, 16))
    assert rf_of(result, "pool") == (2, 2)
    assert rf_of(result, "long.1") == (5, 2)
    assert result.row("(top)").rf_size == [5, 5]  # the cat and the multiply, outside any submodule


class GatedStack(nn.Module):
    """conv -> squeeze-and-excitation gate -> conv: after the gate every unit sees the whole image."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(4, 4, 1), nn.Sigmoid())
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(x)
        return self.conv2(y * self.gate(y))


def test_a_gate_from_global_pooling_makes_the_field_global():
    result = summary(GatedStack(), (1, 16, 16))
    assert rf_of(result, "conv1") == (3, 1)
    assert result.row("conv2").rf_stride == [None, None]  # global, not a 3x3 window grown from it
    assert result.row("conv2").rf_size == result.row("gate.0").rf_size  # all the pooled map saw


@pytest.mark.parametrize("name", ["seresnet50", "efficientnet_b0"])
def test_fields_after_the_first_se_gate_are_global(name):
    """Issue 20 measured these as local fields of 3,831 (SE-ResNet-50) and 4,153 pixels (B0)."""
    rows = [r for r in summarize_registered(name).layers if r.ran and r.rf_stride]
    first_gate = next(i for i, r in enumerate(rows) if r.name.endswith(".se"))
    block = rows[first_gate].name.rsplit(".", 1)[0]
    assert all(r.rf_stride[0] is not None for r in rows[:first_gate] if not r.name.startswith(block + ".se"))
    later = [r for r in rows[first_gate:] if not r.name.startswith((block + ".", "stem"))]
    assert later and all(r.rf_stride == [None, None] for r in later)
    assert max(r.rf_size[0] for r in rows) < 1000


def last_spatial_field(result) -> tuple:
    row = [r for r in result.layers if r.rf_stride and r.rf_stride[0] is not None][-1]
    return row.rf_size[0], row.rf_stride[0]


# Araujo et al. 2019, Table 1: receptive fields of the last feature map of branching nets
@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("resnet50", 483),
        ("resnet101", 1027),
        ("resnet152", 1507),
        ("mobilenet_v1", 315),
        ("inception_v3", 1311),
        ("inception_v4", 2071),
        ("inception_resnet_v2_tf", 3039),  # the TF-slim release Araujo et al. measured (10/20/10 blocks)
    ],
)
def test_receptive_fields_of_published_nets(name, size):
    if name not in convzoo.list_models():
        pytest.skip(f"{name} is not registered")
    assert last_spatial_field(summarize_registered(name)) == (size, 32)


def test_summary_json_schema_and_depth(capsys):
    assert main(["summary", "alexnet", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"model", "input_size", "layers", "total"}
    keys = {"name", "type", "output_shape", "params", "macs", "rf_size", "rf_stride", "rf_start"}
    assert all(keys | {"activation_bytes"} <= set(r) for r in result["layers"])
    assert set(result["total"]) >= {"params", "trainable_params", "macs", "activation_bytes"}
    assert result["input_size"] == [3, 227, 227] and result["total"]["params"] == 60_965_224
    conv1 = result["layers"][0]
    assert conv1["macs"] == 96 * 3 * 11 * 11 * 55 * 55
    assert conv1["activation_bytes"] == 96 * 55 * 55 * 4
    assert main(["summary", "alexnet", "--depth", "1", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in top["layers"]] == ["features", "head"]
    assert sum(r["macs"] for r in top["layers"]) == result["total"]["macs"]
    assert main(["summary", "alexnet", "--depth", "2"]) == 0
    assert "features.conv5" in capsys.readouterr().out


def test_frozen_parameters_and_skipped_aux_heads_are_reported():
    model = build_on_meta("googlenet")
    for p in model.parameters():
        p.requires_grad_(False)
    result = summary(model, (3, 224, 224))
    assert result.trainable_params == 0 and result.total_params == convzoo.model_card("googlenet").params
    skipped = [r for r in result.layers if not r.ran]
    assert skipped and all(r.name.startswith("aux") for r in skipped)
    assert sum(r.params for r in result.layers) == result.total_params


def test_summary_on_meta_leaves_the_weights_alone():
    model = convzoo.create_model("lenet5_modern")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = summary(model, device="meta")
    assert result.total_macs > 0
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert next(model.parameters()).device.type == "cpu"


def test_axis_field_union_covers_every_unit():
    assert AxisField(3, 2, 0).union(4) == AxisField(9, None, 3.0)


@pytest.mark.parametrize(
    ("topic", "ratio"),
    [
        ("5x5-vs-3x3", Fraction(25, 18)),
        ("7x7-vs-3x3", Fraction(49, 27)),
        ("bottleneck", Fraction(589824, 69632)),
    ],
)
def test_design_ratios_are_exact(topic, ratio):
    result = design(topic, size=8)
    assert result.macs_ratio == ratio and result.params_ratio == ratio
    assert result.rows[0].rf_size == result.rows[1].rf_size


def test_bottleneck_counts_per_output_position_at_256_channels(capsys):
    assert main(["design", "bottleneck", "--size", "7", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [r["macs_per_position"] for r in result["rows"]] == [589_824, 16_384 + 36_864 + 16_384]
    assert result["rows"][0]["macs"] == 589_824 * 7 * 7
    assert result["ratio"]["of"] == ["3x3 conv", "bottleneck"]


def test_separable_inception_se_and_mbconv_designs():
    c = 64
    sep = design("separable", channels=c, size=4)
    assert sep.macs_ratio == Fraction(9 * c * c, 9 * c + c * c)
    # GoogLeNet 3a at 28x28: naive 1x1/3x3/5x5 on 192 maps vs the reductions of Table 1
    inc = design("inception")
    assert inc.row("naive").macs == 28 * 28 * 192 * (64 + 128 * 9 + 32 * 25)
    assert inc.row("reduced").macs == 28 * 28 * (192 * (64 + 96 + 16 + 32) + 96 * 128 * 9 + 16 * 32 * 25)
    squeeze = design("se", channels=c, size=4)
    assert squeeze.row("with SE").params - squeeze.row("plain").params == 2 * c * (c // 16) + c + c // 16
    assert squeeze.row("with SE").macs - squeeze.row("plain").macs == 2 * c * (c // 16)
    mb = design("mbconv", channels=16, size=4)
    macs = [mb.row(f"MBConv t={t}").macs_per_position for t in (2, 4, 6)]
    assert macs == [2 * t * 16 * 16 + 9 * t * 16 for t in (2, 4, 6)]


def test_design_rejects_an_unknown_topic_and_tiny_widths(capsys):
    with pytest.raises(ValueError, match="unknown design topic"):
        design("7x7-vs-1x1")
    assert main(["design", "se", "--channels", "2"]) == 2
    assert "at least 4 channels" in capsys.readouterr().err
    assert main(["design", "inception"]) == 0
    out = capsys.readouterr().out
    assert "756/319" in out and "naive" in out


def assert_picture(path: Path, min_bytes: int = 20_000) -> None:
    """A real PNG: large enough, and not one flat colour."""
    assert path.stat().st_size > min_bytes
    pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
    assert min(pixels.shape) > 300 and pixels.std() > 10


def test_zoo_chart_draws_parameters_against_macs(tmp_path, capsys):
    out = tmp_path / "zoo.png"
    assert main(["chart", "zoo", "--models", "vgg1[16]*", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert_picture(out)
    points = {p["name"]: p for p in result["points"]}
    assert set(points) == set(convzoo.list_models("vgg1[16]*"))
    assert points["vgg16"]["macs"] == 15_470_264_320 and points["vgg16"]["params"] == 138_357_544
    assert points["vgg16"]["top1"] == pytest.approx(100 - 25.6)


def test_zoo_points_skip_cifar_models_and_recount_stale_cache():
    names = {p.name for p in zoo_points("resnet[12]*")}
    assert "resnet18" in names and "resnet20" not in names  # resnet20 is a CIFAR-10 net
    stale = {"vgg11": {"params": 1, "macs": 1, "input_size": [3, 224, 224]}}
    (point,) = zoo_points("vgg11", cache=stale)
    assert point.macs_from == "counted" and point.macs == 7_609_090_048


def test_cached_zoo_costs_match_a_fresh_count():
    cache = load_cache()
    if "alexnet" not in cache:
        pytest.skip("no zoo_costs.json: run benchmarks/zoo_costs.py")
    assert cache["alexnet"] == count("alexnet")


def test_timeline_reads_the_cards_and_says_where_each_number_is_from(tmp_path, capsys):
    out = tmp_path / "t.png"
    assert main(["chart", "timeline", "--out", str(out), "--json"]) == 0
    assert_picture(out)
    points = json.loads(capsys.readouterr().out)["points"]
    errors = {(p["year"], p["top5_error"]) for p in points}
    assert errors == {(2012, 15.3), (2012, 16.4), (2013, 11.2), (2014, 6.67), (2014, 7.32), (2015, 3.57)}
    sources = {p["top5_error"]: p["source"] for p in points}
    assert sources[15.3] == sources[16.4] == "card alexnet"  # the AlexNet card lists both
    assert sources[11.2].startswith("ILSVRC results")  # Clarifai has no model in the zoo
    winners = sorted((p["year"], p["top5_error"]) for p in points if p["winner"])
    assert [e for _, e in winners] == sorted((e for _, e in winners), reverse=True)


def test_chart_wants_a_png(capsys):
    assert main(["chart", "zoo", "--out", "zoo.svg"]) == 2
    assert ".png" in capsys.readouterr().err


def test_summary_of_a_training_checkpoint(tmp_path, capsys):
    from convzoo.train.checkpoint import save_tensors

    model = convzoo.create_model("lenet5_modern", num_classes=3, in_chans=1)
    path = tmp_path / "best.safetensors"
    meta = {
        "model": "lenet5_modern",
        "num_classes": 3,
        "in_chans": 1,
        "input_size": [1, 32, 32],
        "mean": [0.5],
        "std": [0.25],
    }
    save_tensors(path, model.state_dict(), meta)
    assert main(["summary", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["input_size"] == [1, 32, 32] and result["layers"][-1]["output_shape"] == [3]
    assert result["total"]["params"] == sum(p.numel() for p in model.parameters())
    assert main(["summary", str(tmp_path / "missing.safetensors")]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_activation_memory_counts_views_and_in_place_results_once():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    rows = summary(net, (1, 8, 8)).layers
    assert [r.activation_bytes for r in rows] == [4 * 6 * 6 * 4, 0, 0, 5 * 4]
    assert [r.macs for r in rows] == [4 * 9 * 36, 0, 0, 144 * 5]


def unet_fields_by_interval_propagation(size: int = 572) -> list[int]:
    """Every output unit's field along one axis of the original U-Net, by brute force: each unit
    carries the interval of input pixels it depends on (valid 3x3 convs, 2x2 pools, 2x2/2 up-convs,
    centre-cropped skips concatenated)."""

    def conv(x):
        return [(x[i][0], x[i + 2][1]) for i in range(len(x) - 2)]

    x, skips = [(i, i) for i in range(size)], []
    for _ in range(4):
        x = conv(conv(x))
        skips.append(x)
        x = [(x[2 * i][0], x[2 * i + 1][1]) for i in range(len(x) // 2)]
    x = conv(conv(x))
    for _ in range(4):
        up = [x[j // 2] for j in range(2 * len(x))]
        skip = skips.pop()
        off = (len(skip) - len(up)) // 2
        x = conv(
            conv(
                [
                    (min(a[0], b[0]), max(a[1], b[1]))
                    for a, b in zip(skip[off : off + len(up)], up, strict=True)
                ]
            )
        )
    return [hi - lo + 1 for lo, hi in x]


def test_unet_field_is_the_largest_over_its_output_units():
    exact = unet_fields_by_interval_propagation()
    assert len(exact) == 388 and (min(exact), max(exact)) == (188, 204)
    result = summarize_registered("unet")
    assert result.layers[-1].output_shape[-1] == 388
    assert result.layers[-1].rf_size == [max(exact)] * 2 and result.layers[-1].rf_stride == [1, 1]
