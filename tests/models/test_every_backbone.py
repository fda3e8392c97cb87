"""Every classifier as a backbone (timm's conventions): forward_intermediates runs the family's own
stage loop, its maps have the channels and reductions feature_info states, and features_only returns
exactly those maps."""

from __future__ import annotations

import pytest
import torch

import convzoo
from convzoo.models._features import features_only

CLASSIFIERS = [n for n in convzoo.list_models() if convzoo.model_card(n).task == "classification"]


# The default run checks one cheap classifier per kind of stage loop (named chain, opened
# nn.Sequential, stem-stages-head, auxiliary taps, valid poolings, fully connected, tokens); the
# whole zoo, NASNet's cell loop among it (50 s on a loaded machine), is slow-marked.
QUICK = {
    "lenet5",
    "alexnet",
    "resnet20",
    "densenet_40_12",
    "mobilenet_v3_small",
    "googlenet",
    "squeezenet1_1",
    "highway_fc10",
    "vit_ti_16",
    "blockqnn_s",
    "xception",
}
# (the whole-zoo sweep also carries the `zoo` marker: CI's slow pass leaves it out, `-m zoo` runs it)
ZOO = [n if n in QUICK else pytest.param(n, marks=[pytest.mark.slow, pytest.mark.zoo]) for n in CLASSIFIERS]


def test_every_family_of_classifiers_is_covered():
    assert set(CLASSIFIERS) >= QUICK and len(CLASSIFIERS) > 100
    assert {convzoo.model_card(n).family for n in CLASSIFIERS} >= {"vit", "nasnet", "resnet", "convnext"}


def _cloned_stage_outputs(model, x) -> dict[str, torch.Tensor]:
    """forward_features with hooks that copy each stage's output as it is produced."""
    outputs = {}
    handles = [
        model.get_submodule(e["module"]).register_forward_hook(
            lambda m, i, out, name=e["module"]: outputs.__setitem__(name, out.clone())
        )
        for e in model.feature_info
    ]
    try:
        features = model.forward_features(x)
    finally:
        for h in handles:
            h.remove()
    return features, outputs


@pytest.mark.parametrize("name", ZOO)
def test_stage_maps_match_feature_info(name):
    torch.manual_seed(0)
    model = convzoo.create_model(name).eval()
    info = model.feature_info
    step = max(e["reduction"] for e in info)
    side = -(-max(model.min_input_size, 32) // step) * step
    x = torch.randn(1, model.in_chans, side, side)
    with torch.no_grad():
        final, maps = model.forward_intermediates(x)
        features, hooked = _cloned_stage_outputs(model, x)
        assert torch.equal(final, features)
        # `step` more pixels of input give step / reduction more positions in every map, whatever
        # the valid convolutions and poolings trim at the borders
        larger = model.forward_intermediates(torch.randn(1, model.in_chans, side + step, side + step))[1]
        for entry, m, m2 in zip(info, maps, larger, strict=True):
            assert m.dim() == 4 and m.shape[1] == entry["num_chs"], entry
            grown = [a - b for a, b in zip(m2.shape[-2:], m.shape[-2:], strict=True)]
            assert grown == [step // entry["reduction"]] * 2, (entry, m.shape, m2.shape)
            # the very tensor the stage produced, not changed in place by a later layer
            seen = hooked[entry["module"]]
            assert torch.equal(m, seen if seen.dim() == 4 else seen[:, 1:].mT.reshape(m.shape)), entry
        backbone = features_only(model)
        assert backbone.feature_info.channels() == [m.shape[1] for m in maps]
        assert backbone.feature_info.reductions() == [e["reduction"] for e in info]
        assert all(torch.equal(a, b) for a, b in zip(backbone(x), maps, strict=True))
