"""timm's conventions on the model base class: no_weight_decay, reset_classifier(global_pool=...),
building under torch.device("meta")."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

import convzoo
from convzoo.train.schedule import param_groups


def _decayed_names(model, decay_norm_and_bias=False) -> set[str]:
    decayed = {id(p) for p in param_groups(model, 0.1, decay_norm_and_bias)[0]["params"]}
    return {n for n, p in model.named_parameters() if id(p) in decayed}


def test_vit_position_embedding_and_class_token_are_not_weight_decayed():
    model = convzoo.create_model("vit_ti_16")
    assert model.no_weight_decay() == {"pos_embed", "class_token"}
    decayed = _decayed_names(model)
    assert "pos_embed" not in decayed and "class_token" not in decayed
    assert "patch_embed.weight" in decayed and "blocks.0.attn.qkv.weight" in decayed
    assert "blocks.0.norm1.weight" not in decayed
    # a recipe that decays everything (as the paper's) still decays them
    assert {"pos_embed", "class_token"} <= _decayed_names(model, decay_norm_and_bias=True)
    resnet = convzoo.create_model("resnet20")
    assert resnet.no_weight_decay() == set() and "stem.conv1.conv.weight" in _decayed_names(resnet)


@pytest.mark.parametrize("kind", ["avg", "max", "avgmax"])
def test_reset_classifier_sets_the_global_pooling(kind):
    torch.manual_seed(0)
    model = convzoo.create_model("resnet20").eval()
    model.reset_classifier(5, global_pool=kind)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feats = model.forward_features(x)
        avg, top = F.adaptive_avg_pool2d(feats, 1).flatten(1), F.adaptive_max_pool2d(feats, 1).flatten(1)
        pooled = {"avg": avg, "max": top, "avgmax": 0.5 * (avg + top)}[kind]
        assert torch.allclose(model(x), model.get_classifier()(pooled), atol=1e-6)
    assert model.num_classes == 5 and model.get_classifier().out_features == 5


def test_reset_classifier_refuses_a_pooling_the_head_does_not_have():
    with pytest.raises(ValueError, match="has no global pooling"):
        convzoo.create_model("vit_ti_16").reset_classifier(3, global_pool="max")
    with pytest.raises(ValueError, match="global_pool must be one of avg, max, avgmax"):
        convzoo.create_model("resnet20").reset_classifier(3, global_pool="catavgmax")


@pytest.mark.parametrize("name", ["convnext_tiny", "vit_ti_16", "resnet18"])
def test_models_build_on_the_meta_device(name):
    with torch.device("meta"):
        model = convzoo.create_model(name)
    assert all(p.is_meta for p in model.parameters())
    assert sum(p.numel() for p in model.parameters()) == convzoo.model_card(name).params


def test_group_matcher_gives_the_stem_and_one_group_per_stage():
    import re

    model = convzoo.create_model("resnet20")
    matcher = model.group_matcher()
    assert len(matcher["blocks"]) == len(model.feature_info)
    names = [n for n, _ in model.named_parameters()]
    stem = [n for n in names if re.match(matcher["stem"], n)]
    first = [n for n in names if re.match(matcher["blocks"][0][0], n)]
    assert stem == ["stem.conv1.conv.weight", "stem.conv1.bn.weight", "stem.conv1.bn.bias"]
    assert first and all(n.startswith("stages.0.") for n in first)
    patterns = [matcher["stem"], *(p for p, _ in matcher["blocks"])]
    assert [n for n in names if not any(re.match(p, n) for p in patterns)] == [
        "head.fc.weight",
        "head.fc.bias",
    ]
    # timm's group_parameters orders the groups by (dict position, *captures, *ordinal)
    assert [ordinal for _, ordinal in matcher["blocks"]] == [(i,) for i in range(len(model.feature_info))]


def test_vit_group_matcher_gives_the_stem_each_block_and_the_head():
    """timm's VisionTransformer.group_matcher: stem = embeddings and class token, one group per
    encoder block (the final norm joins the last), the head in none; layer-wise decay per block."""
    import re

    from convzoo.transfer import plan_finetune, stage_of_parameters

    with torch.device("meta"):
        model = convzoo.create_model("vit_ti_16", num_classes=3)
    matcher = model.group_matcher()
    names = [n for n, _ in model.named_parameters()]
    assert len(model.blocks) == 12 and len(matcher["blocks"]) == 12 and len(model.feature_info) == 4
    assert {n for n in names if re.match(matcher["stem"], n)} == {
        "class_token",
        "pos_embed",
        "patch_embed.weight",
        "patch_embed.bias",
    }
    for i, (pattern, ordinal) in enumerate(matcher["blocks"]):
        group = {n for n in names if re.match(pattern, n)}
        expected = {n for n in names if n.startswith(f"blocks.{i}.")}
        assert group == (expected | {"norm.weight", "norm.bias"} if i == 11 else expected) and ordinal == (i,)
    depth = stage_of_parameters(model)
    assert depth["head.fc.weight"] == 0 and depth["norm.weight"] == depth["blocks.11.mlp.fc1.weight"] == 1
    assert depth["blocks.0.attn.qkv.weight"] == 12 and depth["pos_embed"] == depth["patch_embed.weight"] == 13
    plan = plan_finetune(model, "full", lr=1.0, lr_decay=0.5)
    lrs = {g["name"]: g["lr"] for g in plan.param_groups}
    assert len(lrs) == 14 and lrs["head"] == 1.0 and lrs["blocks.11"] == 0.5
    assert lrs["blocks.0"] == 0.5**12 and lrs["stem"] == 0.5**13
    partial = plan_finetune(model, "partial", lr=1.0, unfreeze=2)
    trained_blocks = {".".join(n.split(".")[:2]) for n in partial.trainable if n.startswith("blocks.")}
    assert trained_blocks == {"blocks.10", "blocks.11"}
    assert {"norm.weight", "head.fc.weight"} <= set(partial.trainable)
    assert "blocks.9.norm1.weight" in partial.frozen
