"""Reference records of the torchvision / timm models the cards claim beyond ../shared/reference.

Each record is made exactly as ../shared/reference/make_references.py makes its own (random init,
weights and input derived from the seed, gain chosen the same way, atol from 2-thread and
channels_last reruns); only the list of models and the output folder differ. A record holds the
state-dict manifest, seed, gain, input shape and logits - never weights.

Run with a Python that has torch, torchvision and timm (none is a convzoo dependency):

    python scripts/make_library_records.py                      # every record below
    python scripts/make_library_records.py timm_resnet50 vit_b_32
    python scripts/make_library_records.py --verify             # re-check the records on disk

Large models are recorded at a reduced input size where the network allows any size (the size
is in the record's input_shape); the ViTs keep 224x224, the size their position embeddings fix.
timm's VGGs are recorded at 224, 64 and 256, the three cases of their head (see the entries).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "reference_records"
SHARED = Path(os.environ.get("CONVZOO_SHARED", REPO.parent / "shared")) / "reference"

SAME_KEYS = "same keys, shapes and order as torchvision's {}"
TF_SAME_NOTE = "TensorFlow SAME padding (even sides: the padded pixel after), BatchNorm eps 1e-3"

# record name, library, library model name, input size, note
RECORDS = [
    ("vgg13_bn", "torchvision", "vgg13_bn", 224, "BatchNorm uses the seeded running stats in eval"),
    ("squeezenet1_1", "torchvision", "squeezenet1_1", 224, "no BatchNorm; 3x3 stem conv, 64 wide"),
    ("densenet161", "torchvision", "densenet161", 128, "growth rate 48, 96 stem channels"),
    ("densenet169", "torchvision", "densenet169", 128, "dense concatenation"),
    ("densenet201", "torchvision", "densenet201", 128, "dense concatenation"),
    ("resnext101_32x8d", "torchvision", "resnext101_32x8d", 128, "grouped 3x3 convs (groups=32)"),
    ("wide_resnet101_2", "torchvision", "wide_resnet101_2", 128, "Bottleneck with width_per_group=128"),
    ("efficientnet_b1", "torchvision", "efficientnet_b1", 160, "BatchNorm eps 1e-5"),
    ("efficientnet_b2", "torchvision", "efficientnet_b2", 160, "BatchNorm eps 1e-5"),
    ("efficientnet_b3", "torchvision", "efficientnet_b3", 160, "BatchNorm eps 1e-5"),
    ("efficientnet_b4", "torchvision", "efficientnet_b4", 160, "BatchNorm eps 1e-5"),
    ("efficientnet_b5", "torchvision", "efficientnet_b5", 128, "BatchNorm eps 1e-3 (B5-B7 only)"),
    ("efficientnet_b6", "torchvision", "efficientnet_b6", 128, "BatchNorm eps 1e-3 (B5-B7 only)"),
    ("efficientnet_b7", "torchvision", "efficientnet_b7", 64, "BatchNorm eps 1e-3 (B5-B7 only)"),
    ("efficientnet_v2_m", "torchvision", "efficientnet_v2_m", 128, "BatchNorm eps 1e-3"),
    ("efficientnet_v2_l", "torchvision", "efficientnet_v2_l", 128, "BatchNorm eps 1e-3"),
    ("convnext_small", "torchvision", "convnext_small", 128, "layer_scale follows the 'anything else' rule"),
    ("convnext_base", "torchvision", "convnext_base", 128, "layer_scale follows the 'anything else' rule"),
    ("convnext_large", "torchvision", "convnext_large", 64, "layer_scale follows the 'anything else' rule"),
    (
        "vit_b_32",
        "torchvision",
        "vit_b_32",
        224,
        "class_token and pos_embedding follow the 'anything else' rule",
    ),
    (
        "vit_l_16",
        "torchvision",
        "vit_l_16",
        224,
        "class_token and pos_embedding follow the 'anything else' rule",
    ),
    (
        "vit_l_32",
        "torchvision",
        "vit_l_32",
        224,
        "class_token and pos_embedding follow the 'anything else' rule",
    ),
    (
        "vit_h_14",
        "torchvision",
        "vit_h_14",
        224,
        "class_token and pos_embedding follow the 'anything else' rule",
    ),
    ("timm_resnet18", "timm", "resnet18", 224, SAME_KEYS.format("resnet18")),
    ("timm_resnet34", "timm", "resnet34", 224, SAME_KEYS.format("resnet34")),
    ("timm_resnet50", "timm", "resnet50", 160, SAME_KEYS.format("resnet50") + "; stride on the 3x3"),
    ("timm_resnet101", "timm", "resnet101", 128, SAME_KEYS.format("resnet101") + "; stride on the 3x3"),
    ("timm_resnet152", "timm", "resnet152", 128, SAME_KEYS.format("resnet152") + "; stride on the 3x3"),
    ("timm_resnext50_32x4d", "timm", "resnext50_32x4d", 160, SAME_KEYS.format("resnext50_32x4d")),
    ("timm_resnext101_32x4d", "timm", "resnext101_32x4d", 128, "grouped 3x3 convs (groups=32), 128 wide"),
    ("timm_resnext101_32x8d", "timm", "resnext101_32x8d", 128, SAME_KEYS.format("resnext101_32x8d")),
    ("timm_resnext101_64x4d", "timm", "resnext101_64x4d", 128, SAME_KEYS.format("resnext101_64x4d")),
    ("timm_wide_resnet50_2", "timm", "wide_resnet50_2", 128, SAME_KEYS.format("wide_resnet50_2")),
    ("timm_wide_resnet101_2", "timm", "wide_resnet101_2", 128, SAME_KEYS.format("wide_resnet101_2")),
    ("timm_densenet121", "timm", "densenet121", 160, SAME_KEYS.format("densenet121")),
    ("timm_densenet161", "timm", "densenet161", 128, SAME_KEYS.format("densenet161")),
    ("timm_densenet169", "timm", "densenet169", 128, SAME_KEYS.format("densenet169")),
    ("timm_densenet201", "timm", "densenet201", 128, SAME_KEYS.format("densenet201")),
    ("timm_efficientnet_b1", "timm", "efficientnet_b1", 160, "BatchNorm eps 1e-5"),
    ("timm_efficientnet_b2", "timm", "efficientnet_b2", 160, "BatchNorm eps 1e-5"),
    ("timm_efficientnet_b3", "timm", "efficientnet_b3", 160, "BatchNorm eps 1e-5"),
    ("timm_efficientnet_b4", "timm", "efficientnet_b4", 160, "BatchNorm eps 1e-5"),
    ("timm_efficientnet_b5", "timm", "efficientnet_b5", 128, "BatchNorm eps 1e-5"),
    ("timm_efficientnet_b6", "timm", "efficientnet_b6", 128, "BatchNorm eps 1e-5"),
    ("timm_efficientnet_b7", "timm", "efficientnet_b7", 64, "BatchNorm eps 1e-5"),
    ("legacy_seresnet101", "timm", "legacy_seresnet101", 128, "stride on the first 1x1 conv of each stage"),
    ("legacy_seresnet152", "timm", "legacy_seresnet152", 128, "stride on the first 1x1 conv of each stage"),
    ("legacy_seresnext50_32x4d", "timm", "legacy_seresnext50_32x4d", 160, "grouped 3x3 convs (groups=32)"),
    ("legacy_seresnext101_32x4d", "timm", "legacy_seresnext101_32x4d", 128, "grouped 3x3 convs (groups=32)"),
    ("legacy_senet154", "timm", "legacy_senet154", 128, "3-conv stem, 64x4d grouped bottlenecks"),
    ("timm_mobilenetv2_100", "timm", "mobilenetv2_100", 224, "depthwise convs; ReLU6; BatchNorm eps 1e-5"),
    ("timm_mobilenetv2_140", "timm", "mobilenetv2_140", 224, "depthwise convs; ReLU6; BatchNorm eps 1e-5"),
    ("timm_mobilenetv2_035", "timm", "mobilenetv2_035", 224, "width 0.35: stem 16, last conv 1280"),
    ("timm_mobilenetv2_050", "timm", "mobilenetv2_050", 224, "width 0.5: stem 16, last conv 1280"),
    ("timm_mobilenetv2_075", "timm", "mobilenetv2_075", 224, "width 0.75: stem 24, last conv 1280"),
    (
        "timm_convnext_tiny",
        "timm",
        "convnext_tiny",
        160,
        "LayerNorm eps 1e-6; gamma follows the 'anything else' rule",
    ),
    (
        "timm_convnext_small",
        "timm",
        "convnext_small",
        128,
        "LayerNorm eps 1e-6; gamma follows the 'anything else' rule",
    ),
    (
        "timm_convnext_base",
        "timm",
        "convnext_base",
        128,
        "LayerNorm eps 1e-6; gamma follows the 'anything else' rule",
    ),
    (
        "timm_convnext_large",
        "timm",
        "convnext_large",
        128,
        "LayerNorm eps 1e-6; gamma follows the 'anything else' rule",
    ),
    (
        "timm_convnext_xlarge",
        "timm",
        "convnext_xlarge",
        64,
        "ConvNeXt-XL (ImageNet-22K pre-trained); LayerNorm eps 1e-6; gamma follows the 'anything else' rule",
    ),
    (
        "timm_vit_tiny_patch16_224",
        "timm",
        "vit_tiny_patch16_224",
        224,
        "qkv packed [3D, D]; cls_token, pos_embed 'anything else'",
    ),
    (
        "timm_vit_small_patch16_224",
        "timm",
        "vit_small_patch16_224",
        224,
        "qkv packed [3D, D]; cls_token, pos_embed 'anything else'",
    ),
    (
        "timm_vit_small_patch32_224",
        "timm",
        "vit_small_patch32_224",
        224,
        "qkv packed [3D, D]; cls_token, pos_embed 'anything else'",
    ),
    (
        "timm_vit_base_patch16_224",
        "timm",
        "vit_base_patch16_224",
        224,
        "qkv packed [3D, D]; cls_token, pos_embed 'anything else'",
    ),
    (
        "timm_vit_base_patch32_224",
        "timm",
        "vit_base_patch32_224",
        224,
        "qkv packed [3D, D]; cls_token, pos_embed 'anything else'",
    ),
    (
        "timm_vit_large_patch16_224",
        "timm",
        "vit_large_patch16_224",
        224,
        "qkv packed [3D, D]; cls_token, pos_embed 'anything else'",
    ),
    (
        "timm_inception_v3",
        "timm",
        "inception_v3",
        128,
        "torchvision's keys without AuxLogits (aux_logits=False)",
    ),
    (
        "timm_mobilenetv3_large_100",
        "timm",
        "mobilenetv3_large_100",
        224,
        "BatchNorm eps 1e-5; conv_head is the 1x1 conv after pooling",
    ),
    (
        "timm_mobilenetv3_small_100",
        "timm",
        "mobilenetv3_small_100",
        224,
        "BatchNorm eps 1e-5; conv_head is the 1x1 conv after pooling",
    ),
    # timm's VGG applies fc6 / fc7 as convolutions over the map: 224 (a 7x7 map, one window),
    # 64 (a 2x2 map stretched to 7x7) and 256 (an 8x8 map, 2x2 windows averaged: where the
    # torchvision form, pooling to 7x7 first, would differ)
    ("timm_vgg11", "timm", "vgg11", 224, "fc6 / fc7 as 7x7 / 1x1 convs; one 7x7 window"),
    ("timm_vgg11_bn", "timm", "vgg11_bn", 64, "fc6 / fc7 as 7x7 / 1x1 convs; 2x2 map stretched to 7x7"),
    ("timm_vgg13", "timm", "vgg13", 256, "fc6 / fc7 as 7x7 / 1x1 convs; 2x2 windows averaged"),
    ("timm_vgg13_bn", "timm", "vgg13_bn", 224, "fc6 / fc7 as 7x7 / 1x1 convs; one 7x7 window"),
    ("timm_vgg16", "timm", "vgg16", 256, "fc6 / fc7 as 7x7 / 1x1 convs; 2x2 windows averaged"),
    ("timm_vgg16_bn", "timm", "vgg16_bn", 224, "fc6 / fc7 as 7x7 / 1x1 convs; one 7x7 window"),
    ("timm_vgg19", "timm", "vgg19", 224, "fc6 / fc7 as 7x7 / 1x1 convs; one 7x7 window"),
    ("timm_vgg19_bn", "timm", "vgg19_bn", 256, "fc6 / fc7 as 7x7 / 1x1 convs; 2x2 windows averaged"),
    ("timm_resnetv2_101", "timm", "resnetv2_101", 128, "pre-activation, stride on the 3x3"),
    ("timm_resnetv2_152", "timm", "resnetv2_152", 128, "pre-activation, stride on the 3x3"),
    # timm's tf_* models pad as TensorFlow: recorded at even sides, where SAME padding is uneven
    ("tf_efficientnet_b0", "timm", "tf_efficientnet_b0", 224, TF_SAME_NOTE),
    ("tf_efficientnet_b1", "timm", "tf_efficientnet_b1", 160, TF_SAME_NOTE),
    ("tf_efficientnet_b2", "timm", "tf_efficientnet_b2", 160, TF_SAME_NOTE),
    ("tf_efficientnet_b3", "timm", "tf_efficientnet_b3", 160, TF_SAME_NOTE),
    ("tf_efficientnet_b4", "timm", "tf_efficientnet_b4", 160, TF_SAME_NOTE),
    ("tf_efficientnet_b5", "timm", "tf_efficientnet_b5", 128, TF_SAME_NOTE),
    ("tf_efficientnet_b6", "timm", "tf_efficientnet_b6", 128, TF_SAME_NOTE),
    ("tf_efficientnet_b7", "timm", "tf_efficientnet_b7", 64, TF_SAME_NOTE),
    ("tf_efficientnetv2_s", "timm", "tf_efficientnetv2_s", 160, TF_SAME_NOTE + "; Fused-MBConv stages"),
    ("tf_efficientnetv2_m", "timm", "tf_efficientnetv2_m", 128, TF_SAME_NOTE + "; Fused-MBConv stages"),
    ("tf_efficientnetv2_l", "timm", "tf_efficientnetv2_l", 128, TF_SAME_NOTE + "; Fused-MBConv stages"),
    ("tf_efficientnetv2_xl", "timm", "tf_efficientnetv2_xl", 128, TF_SAME_NOTE + "; Fused-MBConv stages"),
    ("timm_efficientnetv2_s", "timm", "efficientnetv2_s", 160, "BatchNorm eps 1e-5; Fused-MBConv stages"),
    ("timm_efficientnetv2_m", "timm", "efficientnetv2_m", 128, "BatchNorm eps 1e-5; Fused-MBConv stages"),
    ("timm_efficientnetv2_l", "timm", "efficientnetv2_l", 128, "BatchNorm eps 1e-5; Fused-MBConv stages"),
    ("timm_efficientnetv2_xl", "timm", "efficientnetv2_xl", 128, "BatchNorm eps 1e-5; Fused-MBConv stages"),
    (
        "timm_vit_tiny_patch16_384",
        "timm",
        "vit_tiny_patch16_384",
        384,
        "the paper's fine-tuning resolution: 577 position embeddings",
    ),
    (
        "timm_vit_small_patch16_384",
        "timm",
        "vit_small_patch16_384",
        384,
        "the paper's fine-tuning resolution: 577 position embeddings",
    ),
    (
        "timm_vit_small_patch32_384",
        "timm",
        "vit_small_patch32_384",
        384,
        "the paper's fine-tuning resolution: 145 position embeddings",
    ),
    (
        "timm_vit_base_patch16_384",
        "timm",
        "vit_base_patch16_384",
        384,
        "the paper's fine-tuning resolution: 577 position embeddings",
    ),
    (
        "timm_vit_base_patch32_384",
        "timm",
        "vit_base_patch32_384",
        384,
        "the paper's fine-tuning resolution: 145 position embeddings",
    ),
    (
        "timm_vit_large_patch16_384",
        "timm",
        "vit_large_patch16_384",
        384,
        "the paper's fine-tuning resolution: 577 position embeddings",
    ),
    (
        "timm_vit_large_patch32_384",
        "timm",
        "vit_large_patch32_384",
        384,
        "the paper's fine-tuning resolution: 145 position embeddings",
    ),
    ("tf_mobilenetv3_large_100", "timm", "tf_mobilenetv3_large_100", 224, TF_SAME_NOTE),
    ("tf_mobilenetv3_small_100", "timm", "tf_mobilenetv3_small_100", 224, TF_SAME_NOTE),
    ("tf_mobilenetv3_large_075", "timm", "tf_mobilenetv3_large_075", 224, TF_SAME_NOTE + "; width 0.75"),
    ("tf_mobilenetv3_small_075", "timm", "tf_mobilenetv3_small_075", 224, TF_SAME_NOTE + "; width 0.75"),
    ("timm_mobilenetv3_large_075", "timm", "mobilenetv3_large_075", 224, "BatchNorm eps 1e-5; width 0.75"),
    ("timm_mobilenetv3_small_075", "timm", "mobilenetv3_small_075", 224, "BatchNorm eps 1e-5; width 0.75"),
]


def specs() -> list[dict]:
    return [
        dict(name=name, library=library, model=model, kwargs={}, size=size, note=note)
        for name, library, model, size, note in RECORDS
    ]


def build(spec: dict):
    """The library's model with random init (nothing downloaded), in eval mode."""
    if spec["library"] == "torchvision":
        import torchvision

        model = getattr(torchvision.models, spec["model"])(weights=None, **spec["kwargs"])
    else:
        import timm

        model = timm.create_model(spec["model"], pretrained=False, **spec["kwargs"])
    return model.eval()


def main() -> None:
    sys.path.insert(0, str(SHARED))
    import make_references  # ../shared/reference: the records' method

    make_references.specs = specs
    make_references.build = build
    OUT.mkdir(parents=True, exist_ok=True)
    sys.argv = [sys.argv[0], "--out", str(OUT), *sys.argv[1:]]
    make_references.main()


if __name__ == "__main__":
    main()
