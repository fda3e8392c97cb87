"""eval and predict for checkpoints of detection models (card task "detection"): the mAP table,
and images with their boxes drawn (PNG) and listed (JSON)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .common import CliError, evaluation_head, print_json


def evaluate(args: argparse.Namespace, model: nn.Module, meta: dict[str, Any]) -> int:
    """The test split's mAP@0.5 (all-point and VOC 2007 11-point), mAP@[.5:.95] and per-class AP."""
    from ..data import DataError
    from ..data.detection import load_detection
    from ..detection.evaluate import evaluate_detector
    from ..train.checkpoint import checkpoint_stats

    start = time.perf_counter()
    data = args.data or meta["dataset"]
    size = meta["input_size"][-1]
    try:
        ds = load_detection(str(args.data_dir or data), image_size=size)
    except DataError as e:
        raise CliError(str(e)) from None
    if ds.num_classes != meta["num_classes"]:
        raise CliError(
            f"{args.checkpoint} detects {meta['num_classes']} classes; {data} has {ds.num_classes}"
        )
    test = ds.test.subset(args.limit).resized(size)
    mean, std = checkpoint_stats(meta)
    result = evaluate_detector(model, test.batches(min(args.batch_size, 64), mean, std), ds.classes)
    summary = {
        **evaluation_head(meta, data, start),
        "count": result["count"],
        **{k: result[k] for k in ("map50", "map50_voc07", "map", "map50_coco", "recall50", "loss")},
        "per_class": result["per_class"],
        "checkpoint": args.checkpoint,
    }
    print(f"{meta['model']} on {data} test ({result['count']} images):")
    print(
        f"  mAP@0.5 {result['map50']:.4f}   VOC 2007 11-point {result['map50_voc07']:.4f}   "
        f"mAP@[.5:.95] {result['map']:.4f}"
    )
    print(format_ap_table(result["per_class"]))
    if args.json:
        print_json(summary)
    return 0


def format_ap_table(rows: list[dict]) -> str:
    """The per-class table: objects, AP@0.5 (all-point, 11-point) and AP@[.5:.95]."""
    width = max([len(r["class"]) for r in rows] + [5])

    def cell(v: float | None) -> str:
        return "     -" if v is None else f"{v:6.4f}"

    lines = [f"  {'class'.ljust(width)}  objects  AP@0.5  11-point  AP@[.5:.95]"]
    for r in rows:
        lines.append(
            f"  {r['class'].ljust(width)}  {r['positives']:7d}  {cell(r['ap50'])}  {cell(r['ap50_voc07'])}  "
            f"  {cell(r['ap'])}"
        )
    return "\n".join(lines)


@torch.inference_mode()
def predict(args: argparse.Namespace, model: nn.Module, meta: dict[str, Any]) -> int:
    """Boxes for each image at its own size: a PNG per image in --out, and --out/boxes.json."""
    import numpy as np
    from PIL import Image

    from ..data import DataError
    from ..data.folder import decode_image
    from ..data.tensors import normalize
    from ..detection.plots import plot_prediction
    from ..io import atomic_write_bytes
    from ..train.checkpoint import checkpoint_stats

    classes = meta.get("classes") or [str(i) for i in range(meta["num_classes"])]
    size = meta["input_size"][-1]
    mean, std = checkpoint_stats(meta)
    out_dir = Path(args.out)
    results = []
    for path in args.images:
        try:
            image = decode_image(path, 3)
        except DataError as e:
            raise CliError(str(e)) from None
        h, w = image.shape[:2]
        resized = np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR))
        x = normalize(torch.from_numpy(resized.copy()).permute(2, 0, 1)[None], mean, std)
        (det,) = model.decode(model(x), image_size=(h, w), score_threshold=args.score_threshold)
        boxes = [
            {"class": classes[int(c)], "index": int(c), "score": round(float(s), 4),
             "box": [round(float(v), 1) for v in b]}
            for b, s, c in zip(det.boxes, det.scores, det.labels, strict=True)
        ]  # fmt: skip
        item: dict[str, Any] = {"image": str(path), "width": w, "height": h, "boxes": boxes}
        item["picture"] = str(plot_prediction(image, det, classes, out_dir / f"{Path(path).stem}.png"))
        results.append(item)
    atomic_write_bytes(out_dir / "boxes.json", (json.dumps(results, indent=2) + "\n").encode())
    if args.json:
        print_json(results)
        return 0
    for item in results:
        print(
            f"{item['image']}: {len(item['boxes'])} boxes"
            + (f" -> {item['picture']}" if "picture" in item else "")
        )
        for b in item["boxes"]:
            x0, y0, x1, y1 = b["box"]
            print(f"  {b['score']:.2f}  {b['class']}  ({x0:g}, {y0:g}, {x1:g}, {y1:g})")
    return 0
