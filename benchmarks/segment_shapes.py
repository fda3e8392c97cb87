"""U-Net on shapes-seg on a CPU: mIoU against training time, with and without the paper's weight map,
and what the weight map does to the pixels between touching instances.

    python benchmarks/segment_shapes.py run --weight-map on  --out runs/bench-seg-on   # one arm
    python benchmarks/segment_shapes.py run --weight-map off --out runs/bench-seg-off  # (in parallel)
    python benchmarks/segment_shapes.py table runs/bench-seg-on runs/bench-seg-off

`run` trains unet_small with the shapes-seg recipe (convzoo train unet_small --data shapes-seg),
then measures on the 100 test images: mIoU, the gap pixels (background pixels within 2 px of two
different instances, d1 + d2 <= 4) predicted as background, and the touching pairs of instances
(at most 2 px apart) that the predicted foreground keeps in different connected components.
`table` writes benchmarks/RESULTS-segmentation.md and the weighted run's overlays (image | truth |
prediction, its first six test images) to benchmarks/segment_shapes_overlays.png.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from convzoo.data import load_dataset
from convzoo.segmentation.plots import plot_overlays, predict_masks
from convzoo.train import load_checkpoint, resolve_config, train
from convzoo.train.config import environment

HERE = Path(__file__).resolve().parent


def load_avg() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def instance_distances(instances: np.ndarray) -> tuple[list[int], np.ndarray]:
    ids = [int(i) for i in np.unique(instances) if i]
    return ids, np.stack([ndimage.distance_transform_edt(instances != i) for i in ids])


def touching_effect(pred: np.ndarray, instances: np.ndarray) -> dict[str, int]:
    """Gap pixels (and how many are predicted background), touching pairs (and how many stay apart)."""
    gap = gap_bg = pairs = apart = 0
    for p, inst in zip(pred, instances, strict=True):
        ids, dist = instance_distances(inst)
        if len(ids) < 2:
            continue
        two = np.sort(dist, axis=0)[:2]
        is_gap = (inst == 0) & (two[0] + two[1] <= 4)
        gap += int(is_gap.sum())
        gap_bg += int((is_gap & (p == 0)).sum())
        components, _ = ndimage.label(p > 0)
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                if dist[b][inst == ids[a]].min() > 2:
                    continue
                pairs += 1
                ca = set(np.unique(components[inst == ids[a]])) - {0}
                cb = set(np.unique(components[inst == ids[b]])) - {0}
                apart += not (ca & cb)
    return {"gap_pixels": gap, "gap_as_background": gap_bg, "touching_pairs": pairs, "pairs_apart": apart}


def run(args: argparse.Namespace) -> None:
    torch.set_num_threads(1)
    out = Path(args.out)
    settings = {"data": "shapes-seg", "weight_map": args.weight_map == "on", "seed": args.seed}
    if args.epochs:
        settings["epochs"] = args.epochs
    cfg = resolve_config("unet_small", settings)
    curve = []
    start = time.perf_counter()
    result = train(cfg, out, callbacks=[lambda row, model: curve.append((row["elapsed"], row["test_miou"]))])
    wall = time.perf_counter() - start
    model, _meta = load_checkpoint(out / "checkpoints" / "last.safetensors")
    ds = load_dataset("shapes-seg", seed=cfg.seed)
    pred = predict_masks(model, ds.test.images, ds.mean, ds.std).numpy()
    effect = touching_effect(pred, ds.test.instances.numpy())
    doc = {
        "weight_map": cfg.weight_map,
        "epochs": cfg.epochs,
        "miou": result.final["miou"],
        "dice": result.final["dice"],
        "pixel_acc": result.final["pixel_acc"],
        "curve": curve,
        "train_seconds": curve[-1][0],
        "wall_seconds": wall,
        "load": load_avg(),
        **effect,
        **environment(),
    }
    (out / "benchmark.json").write_text(json.dumps(doc, indent=1))
    print(json.dumps({k: v for k, v in doc.items() if k not in ("curve", "versions", "machine")}))


def table(args: argparse.Namespace) -> None:
    docs = [json.loads((Path(d) / "benchmark.json").read_text()) for d in args.runs]
    env = docs[0]
    lines = [
        "# U-Net on shapes-seg: the weight map (Ronneberger et al. 2015, Sec. 3)",
        "",
        "`python benchmarks/segment_shapes.py` — unet_small with the shapes-seg recipe (AdamW, one-cycle, "
        "batch 8, elastic deformation), 400 train / 100 test images of 64x64, seed "
        f"{args.seed}, one torch thread per run.",
        f"Machine: {env['machine']['cpu']} ({env['machine']['cpu_count']} cores), torch "
        f"{env['versions']['torch']}; load average at the end of each run below (the machine was shared, "
        "so seconds are only comparable within this table).",
        "",
        "| loss | epochs | train s | test mIoU | Dice | pixel acc. | gap pixels kept background | "
        "touching pairs kept apart | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for d in docs:
        name = "weight map (w0 = 10, sigma = 5)" if d["weight_map"] else "plain cross-entropy"
        lines.append(
            f"| {name} | {d['epochs']} | {d['train_seconds']:.0f} | {d['miou']:.4f} | {d['dice']:.4f} | "
            f"{d['pixel_acc']:.2%} | {d['gap_as_background'] / max(1, d['gap_pixels']):.1%} "
            f"({d['gap_as_background']}/{d['gap_pixels']}) | "
            f"{d['pairs_apart'] / max(1, d['touching_pairs']):.1%} "
            f"({d['pairs_apart']}/{d['touching_pairs']}) | "
            f"{d['load']} |"
        )
    lines += ["", "mIoU against training seconds (after each epoch):", ""]
    for d in docs:
        name = "weight map" if d["weight_map"] else "plain"
        points = ", ".join(f"{s:.0f}s {m:.3f}" for s, m in d["curve"])
        lines.append(f"- {name}: {points}")
    (HERE / "RESULTS-segmentation.md").write_text("\n".join(lines) + "\n")
    weighted = next((r for r, d in zip(args.runs, docs, strict=True) if d["weight_map"]), args.runs[0])
    # the run's overlays.png, drawn again from its final weights by the same function
    model, _ = load_checkpoint(Path(weighted) / "checkpoints" / "last.safetensors")
    plot_overlays(model, load_dataset("shapes-seg", seed=args.seed), HERE / "segment_shapes_overlays.png")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    one = sub.add_parser("run")
    one.add_argument("--weight-map", choices=("on", "off"), default="on")
    one.add_argument("--epochs", type=int, help="default: the recipe's")
    one.add_argument("--out", required=True)
    one.add_argument("--seed", type=int, default=0)
    both = sub.add_parser("table")
    both.add_argument("runs", nargs="+")
    both.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run(args) if args.step == "run" else table(args)


if __name__ == "__main__":
    main()
