"""Write convzoo/library_data_configs.json: the preprocessing each torchvision / timm release expects.

Run in an environment with torchvision and timm (no weights are downloaded: torchvision's weight
enums carry their transforms, timm's registry its pretrained_cfg):

    python scripts/library_data_configs.py > convzoo/library_data_configs.json
"""

from __future__ import annotations

import fnmatch
import inspect
import json

import timm
import torchvision
from timm.models import get_pretrained_cfg
from torchvision import models

# timm: the models named after the papers' configurations in the families convzoo has
TIMM_PATTERNS = (
    "resnet18", "resnet26", "resnet34", "resnet50", "resnet101", "resnet152", "resnet200",
    "resnetv2_50", "resnetv2_101", "resnetv2_152", "resnext*", "wide_resnet*", "seresnet*",
    "seresnext*", "legacy_se*", "senet154", "efficientnet_b?", "efficientnet_b?_*", "tf_efficientnet_*",
    "efficientnetv2_*", "tf_efficientnetv2_*", "inception_*", "*xception*", "vit_*_patch16_*",
    "vit_*_patch32_*", "deit_*", "convnext_*", "mobilenetv1_*", "mobilenetv2_*", "mobilenetv3_*",
    "tf_mobilenetv3_*", "densenet*", "vgg*", "nasnetalarge", "pnasnet5large", "googlenet",
)  # fmt: skip


def torchvision_rows() -> dict[str, dict]:
    rows = {}
    for name in sorted(models.list_models(module=models)):
        weights = models.get_model_weights(name).DEFAULT
        t = weights.transforms()
        mean, std = tuple(t.mean), tuple(t.std)
        if "transform_input" in inspect.getsource(models.get_model_builder(name)):
            # built with transform_input=True for its weights: the network itself maps the
            # ImageNet-normalised input to (x - 0.5) / 0.5, which convzoo's model is fed directly
            mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
        rows[name] = {
            "mean": mean,
            "std": std,
            "input_size": (3, t.crop_size[0], t.crop_size[0]),
            "resize": t.resize_size[0],
            "crop_pct": round(t.crop_size[0] / t.resize_size[0], 4),
            "interpolation": t.interpolation.value,
            "weights": str(weights),
        }
    return rows


def timm_rows() -> dict[str, dict]:
    rows = {}
    # every architecture, released weights or not: timm's declared config ("NAME.untrained") is what
    # resolve_data_config gives a file trained with timm's defaults
    names = timm.list_models(pretrained=True) + timm.list_models()
    bases = sorted({n.split(".")[0] for n in names})
    for name in bases:
        if not any(fnmatch.fnmatch(name, p) for p in TIMM_PATTERNS):
            continue
        cfg = get_pretrained_cfg(name)
        if cfg is None:
            continue
        size = tuple(cfg.input_size)
        crop_pct = round(float(cfg.crop_pct), 4)
        rows[name] = {
            "mean": tuple(round(float(v), 4) for v in cfg.mean),
            "std": tuple(round(float(v), 4) for v in cfg.std),
            "input_size": size,
            "resize": int(size[-1] / crop_pct) if cfg.crop_mode == "center" else size[-1],
            "crop_pct": crop_pct,
            "interpolation": cfg.interpolation,
            "weights": f"{name}.{cfg.tag}" if cfg.tag else name,
        }
    return rows


def main() -> None:
    """One entry per line: {"library": {"name": {mean, std, input_size, resize, crop_pct, ...}}}."""
    tables = {"torchvision": torchvision_rows(), "timm": timm_rows()}
    lines = ["{", '  "generated_by": "scripts/library_data_configs.py",']
    lines.append(
        f'  "versions": {json.dumps({"torchvision": torchvision.__version__, "timm": timm.__version__})},'
    )
    for i, (library, rows) in enumerate(tables.items()):
        lines.append(f'  "{library}": {{')
        items = list(rows.items())
        for j, (name, row) in enumerate(items):
            lines.append(f"    {json.dumps(name)}: {json.dumps(row)}" + ("," if j < len(items) - 1 else ""))
        lines.append("  }" + ("," if i < len(tables) - 1 else ""))
    lines.append("}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
