"""YOLO v1 as Figure 3 of Redmon et al. 2016, Fast YOLO, the backbone and CPU variants."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convzoo
from convzoo.contract import Detector


def convs(model: nn.Module) -> list[nn.Conv2d]:
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


@pytest.fixture(scope="module")
def yolo():
    torch.manual_seed(0)
    return convzoo.create_model("yolo_v1").eval()


def test_yolo_v1_has_figure_3s_24_conv_layers_and_2_fully_connected(yolo):
    layers = convs(yolo)
    assert len(layers) == 24
    assert [c.kernel_size[0] for c in layers].count(1) == 9  # the 1x1 reduction layers
    assert (layers[0].kernel_size, layers[0].stride, layers[0].out_channels) == ((7, 7), (2, 2), 64)
    assert [c.out_channels for c in layers[-5:]] == [1024] * 5
    assert layers[-3].stride == (2, 2)
    fcs = [m for m in yolo.modules() if isinstance(m, nn.Linear)]
    assert [(f.in_features, f.out_features) for f in fcs] == [(7 * 7 * 1024, 4096), (4096, 1470)]
    assert all(c.bias is not None for c in layers)  # no BatchNorm in v1
    assert not any(isinstance(m, nn.BatchNorm2d) for m in yolo.modules())


def test_yolo_v1_activations_are_leaky_relu_01_and_dropout_05_follows_the_first_fc(yolo):
    leaky = [m for m in yolo.modules() if isinstance(m, nn.LeakyReLU)]
    assert len(leaky) == 24 + 1  # every layer but the last, which is linear
    assert all(m.negative_slope == 0.1 for m in leaky)
    hidden = list(yolo.head.hidden)
    assert [type(m) for m in hidden] == [nn.Flatten, nn.Linear, nn.LeakyReLU, nn.Dropout]
    assert hidden[-1].p == 0.5


def test_yolo_v1_maps_448x448_to_7x7x30(yolo):
    with torch.no_grad():
        out = yolo(torch.randn(1, 3, 448, 448))
    assert out.shape == (1, 7, 7, 30)
    assert yolo.output_shape((448, 448)) == (7, 7, 30)
    with pytest.raises(ValueError, match="exactly 448x448"):
        yolo(torch.randn(1, 3, 480, 480))


def test_yolo_v1_parameter_count_is_exact(yolo):
    # conv: 7*7*3*64+64 + ... ; fc: 50176*4096+4096 + 4096*1470+1470
    fc = 50176 * 4096 + 4096 + 4096 * 1470 + 1470
    assert sum(p.numel() for p in yolo.head.parameters()) == fc
    assert sum(p.numel() for p in yolo.parameters()) == convzoo.model_card("yolo_v1").params == 271_703_550


def test_fast_yolo_v1_has_9_conv_layers_of_yolo_tiny_cfg():
    model = convzoo.create_model("fast_yolo_v1")
    assert [c.out_channels for c in convs(model)] == [16, 32, 64, 128, 256, 512, 1024, 1024, 1024]
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == 6  # 448 / 2^6 = 7
    fcs = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [f.out_features for f in fcs] == [256, 4096, 1470]
    assert sum(p.numel() for p in model.parameters()) == convzoo.model_card("fast_yolo_v1").params


def test_cards_carry_the_papers_voc2007_results_and_speeds():
    results = {
        n: {r.metric: r.value for r in convzoo.model_card(n).results} for n in ("yolo_v1", "fast_yolo_v1")
    }
    assert results == {"yolo_v1": {"mAP": 63.4, "FPS": 45.0}, "fast_yolo_v1": {"mAP": 52.7, "FPS": 155.0}}
    tasks = {n: convzoo.model_card(n).task for n in convzoo.list_models("*yolo*")}
    assert tasks.pop("yolo_v1_mini_classifier") == "classification"  # the pretraining network
    assert set(tasks.values()) == {"detection"}


def test_yolo_head_on_a_zoo_backbone_sees_its_stride_32_stage():
    model = convzoo.create_model("yolo_v1_resnet18", num_classes=3).eval()
    assert isinstance(model, Detector)
    assert model.encoder.feature_info[0]["reduction"] == 32
    assert [c.out_channels for c in convs(model.neck)] == [1024] * 4
    with torch.no_grad():
        assert model(torch.randn(1, 3, 448, 448)).shape == (1, 7, 7, 13)


def test_mini_config_is_a_112_input_7x7_grid_any_class_count():
    model = convzoo.create_model("yolo_v1_mini", num_classes=4).eval()
    assert model.default_input_size == (3, 112, 112)
    with torch.no_grad():
        out = model(torch.randn(3, 3, 112, 112))
    assert out.shape == (3, 7, 7, 14)
    convs = [m for m in model.features.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 64, 128, 128]
    fc1 = model.head.hidden[1]
    assert (fc1.in_features, fc1.out_features) == (7 * 7 * 128, 512)
    assert not any(isinstance(m, torch.nn.Dropout) and m.p > 0 for m in model.modules())
    twenty = convzoo.create_model("yolo_v1_mini")
    assert sum(p.numel() for p in twenty.parameters()) == convzoo.model_card("yolo_v1_mini").params
    detections = model.decode(out, image_size=(50, 80), score_threshold=0.0)
    assert len(detections) == 3
    for d in detections:
        assert d.boxes.shape[1] == 4 and len(d.boxes) == len(d.scores) == len(d.labels) <= 100


def test_the_mini_classifier_pretrains_exactly_the_detectors_convolutions():
    """Section 2.2: the convolutions learn classification first (average pooling, one fully connected
    layer), and the detector starts from them: every conv and BatchNorm tensor carries over."""
    from convzoo.transfer import init_from

    torch.manual_seed(0)
    classifier = convzoo.create_model("yolo_v1_mini_classifier").eval()
    assert [type(m) for m in classifier.head.children()] == [
        nn.AdaptiveAvgPool2d, nn.Dropout, nn.Linear
    ]  # fmt: skip
    assert classifier.head.fc.in_features == 128 and classifier.num_classes == 4
    assert sum(p.numel() for p in classifier.parameters()) == convzoo.model_card(classifier.model_name).params
    detector = convzoo.create_model("yolo_v1_mini", num_classes=4).eval()
    report = init_from(detector, classifier.state_dict())
    assert sorted(report.copied) == sorted(k for k in classifier.state_dict() if k.startswith("features."))
    assert sorted(report.skipped) == ["head.fc.bias", "head.fc.weight"]
    x = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        assert torch.equal(detector.features(x), classifier.forward_features(x))
    assert classifier.feature_info[-1] == dict(module="features.conv6", num_chs=128, reduction=16)
