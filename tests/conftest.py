"""Shared fixtures: the ../shared folder (reference records, datasets) when it is beside the repo."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

SHARED = Path(os.environ.get("CONVZOO_SHARED", Path(__file__).resolve().parents[2] / "shared"))
REFERENCE_DIR = SHARED / "reference"


def load_seeded():
    """The reference helper module shared/reference/seeded.py, or None without ../shared."""
    path = REFERENCE_DIR / "seeded.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("seeded", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def seeded():
    module = load_seeded()
    if module is None:
        pytest.skip(f"reference records not found at {REFERENCE_DIR} (set CONVZOO_SHARED)")
    return module


@pytest.fixture(scope="session")
def shared_data() -> Path:
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"datasets not found at {data} (set CONVZOO_SHARED)")
    return data


# Models whose parametrized tests (test_models.py) are too heavy for the default run: marked slow.
SLOW_MODELS = {
    "yolo_v1",  # 448x448 only: tests/models/test_yolo.py runs it once
    "fast_yolo_v1",
    "yolo_v1_resnet18",
    "preact_resnet101",
    "preact_resnet152",
    "preact_resnet200",
    "preact_resnet1001",
    "densenet169",
    "densenet201",
    "densenet264",
    "densenet_bc_250_24",
    "densenet_bc_190_40",
    "efficientnet_b7",
    "efficientnet_b7_tv",
    "vit_h_14",  # 632M parameters
    "efficientnet_v2_l",
    # the deepest residual nets; the 101/152-layer ones that load a checkpoint still run
    # tests/test_references.py by default
    "resnet1202",
    "resnet101",
    "resnet101_v1_5",
    "resnet152",
    "resnet152_v1_5",
    "seresnet101",
    "seresnet152",
    "seresnext101_32x4d",
    "preact_resnet101_timm",
    "preact_resnet152_timm",
    "senet154",
    "resnext101_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet101_2",
    # Inception-ResNet as printed in the paper: the same blocks as inception_resnet_v2_tf, which runs
    "inception_resnet_v1",
    "inception_resnet_v2",
}


@pytest.hookimpl(tryfirst=True)  # before `-m 'not slow'` deselects
def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        in_model_tests = item.path.name in (
            "test_every_model.py",
            "test_every_backbone.py",
            "test_every_export.py",
        )
        if in_model_tests and callspec is not None and callspec.params.get("name") in SLOW_MODELS:
            item.add_marker(pytest.mark.slow)
