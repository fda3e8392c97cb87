"""Record torchvision.ops.batched_nms on seeded random boxes: tests/detection/fixtures/batched_nms.json.

Run with a Python that has torchvision (it is not a convzoo dependency):
    python scripts/make_nms_fixture.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torchvision

OUT = Path(__file__).resolve().parents[1] / "tests" / "detection" / "fixtures" / "batched_nms.json"


def main() -> None:
    rng = np.random.default_rng(14)
    cases = []
    for count, classes, threshold in [(40, 1, 0.5), (80, 3, 0.3), (80, 4, 0.5), (150, 2, 0.6)]:
        xy = rng.uniform(0, 200, (count, 2))
        wh = rng.uniform(5, 80, (count, 2))
        boxes = np.round(np.concatenate([xy, xy + wh], 1), 2)
        scores = np.round(rng.permutation(count) / count + 0.001, 4)  # distinct: no ties to break
        labels = rng.integers(0, classes, count)
        keep = torchvision.ops.batched_nms(
            torch.tensor(boxes, dtype=torch.float32),
            torch.tensor(scores, dtype=torch.float32),
            torch.tensor(labels),
            threshold,
        )
        cases.append(
            {
                "iou_threshold": threshold,
                "boxes": boxes.tolist(),
                "scores": scores.tolist(),
                "labels": labels.tolist(),
                "keep": keep.tolist(),
            }
        )
    meta = {"torch": torch.__version__, "torchvision": torchvision.__version__, "seed": 14}
    OUT.write_text(json.dumps({"recorded_with": meta, "cases": cases}) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
