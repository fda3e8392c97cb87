"""benchmarks/segment_shapes.py: its touching-instance measures, and the README quoting its table."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "segment_shapes.py"


@pytest.fixture(scope="module")
def segment_shapes():
    spec = importlib.util.spec_from_file_location("segment_shapes", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_gap_pixels_and_touching_pairs(segment_shapes):
    instances = np.zeros((1, 12, 12), dtype=np.uint8)
    instances[0, 2:8, 1:5] = 1
    instances[0, 2:8, 6:10] = 2  # column 5 is the one-pixel gap
    truth = (instances > 0).astype(np.uint8)
    kept = segment_shapes.touching_effect(truth, instances)
    # d1 + d2 <= 4: the 6 gap pixels of column 5, and rows 1 and 8 at columns 4-6 (1 + sqrt(5),
    # 2 sqrt(2), sqrt(5) + 1)
    assert kept == {"gap_pixels": 12, "gap_as_background": 12, "touching_pairs": 1, "pairs_apart": 1}
    merged = truth.copy()
    merged[0, 4, 5] = 1  # one predicted pixel bridges the gap: the pair is one component
    bridged = segment_shapes.touching_effect(merged, instances)
    assert bridged == {"gap_pixels": 12, "gap_as_background": 11, "touching_pairs": 1, "pairs_apart": 0}


def test_readme_quotes_the_results_table():
    readme = (ROOT / "README.md").read_text()
    results = (ROOT / "benchmarks" / "RESULTS-segmentation.md").read_text()
    paragraph = readme[readme.index("`convzoo train unet_small --data shapes-seg` (the recipe") :]
    paragraph = paragraph[: paragraph.index("- **A task of your own**")]
    quoted = re.findall(r"\b\d+\.\d{3,4}\b|\b\d+/\d+\b|\d+\.\d+%|\b\d{3,4} s\b", paragraph)
    assert len(quoted) >= 8
    for number in quoted:
        assert number.replace(" s", "s").removesuffix("s") in results, number
