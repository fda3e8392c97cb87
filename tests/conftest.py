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


@pytest.fixture
def restore_threads():
    """Give back torch's thread count after a test that sets it (a run's --threads sets it)."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


# The per-model test files: there a model over the limits of tests/models/costs.py runs only with -m slow.
PER_MODEL_TESTS = ("test_every_model.py", "test_every_backbone.py", "test_every_export.py")


@pytest.hookimpl(tryfirst=True)  # before `-m 'not slow'` deselects
def pytest_collection_modifyitems(items):
    from tests.models.costs import is_heavy

    for item in items:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("name") if callspec is not None else None
        if item.path.name in PER_MODEL_TESTS and name is not None and is_heavy(name):
            item.add_marker(pytest.mark.slow)
