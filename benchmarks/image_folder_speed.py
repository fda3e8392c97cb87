"""Image folders at scale: start-up time of the class scan and decoding throughput against --workers.

    python benchmarks/image_folder_speed.py [--images 50000] [--classes 100] [--size 48] [--rounds 3]

Generates a class-per-folder tree of small JPEGs under the system's temporary folder (deleted
afterwards, also on Ctrl-C), then measures, in one run:
- start-up: seconds of load_dataset (the scan lists files by name, nothing is decoded) and of the
  first batch;
- throughput: training-split images/s (decode + the training pipeline + normalise, batches of
  --batch-size) for each worker count from 0 to the core count, interleaved over --rounds rounds
  (the order rotates every round), median per count and its ratio to workers=0.
Writes benchmarks/RESULTS-folders.md (machine, versions, load, seed).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from convzoo.data import load_dataset
from convzoo.train.config import environment

HERE = Path(__file__).resolve().parent
SEED = 0


def load_avg() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def generate(root: Path, images: int, classes: int, size: int) -> float:
    """images JPEGs of size x size in root/class_XXX/ (random colour blobs); returns seconds taken."""
    start = time.perf_counter()
    rng = np.random.default_rng(SEED)
    blocks = rng.integers(0, 256, (64, size // 4, size // 4, 3), dtype=np.uint8)
    tiles = [np.kron(b, np.ones((4, 4, 1), dtype=np.uint8)) for b in blocks]  # blocky, like photos
    for c in range(classes):
        (root / f"class_{c:03d}").mkdir(parents=True)
    for i in range(images):
        tile = np.roll(tiles[i % 64], i % size, axis=1)
        Image.fromarray(tile).save(root / f"class_{i % classes:03d}" / f"{i:07d}.jpg", quality=85)
    return time.perf_counter() - start


def throughput(split, batch_size: int, batches: int, mean, std) -> float:
    """Images/s over `batches` training batches, worker start-up included (as in an epoch)."""
    sub = split.subset(batch_size * batches)
    start = time.perf_counter()
    seen = 0
    for x, _ in sub.batches(batch_size, mean, std, generator=torch.Generator().manual_seed(SEED)):
        seen += len(x)
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--size", type=int, default=48, help="side of the generated JPEGs")
    parser.add_argument("--input-size", type=int, default=32, help="side the training pipeline produces")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--batches", type=int, default=20, help="batches per throughput trial")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default=str(HERE / "RESULTS-folders.md"))
    args = parser.parse_args()
    torch.manual_seed(SEED)

    load_before = load_avg()
    tmp = Path(tempfile.mkdtemp(prefix="convzoo-folder-bench-"))
    try:
        gen_s = generate(tmp / "images", args.images, args.classes, args.size)
        print(f"generated {args.images:,} JPEGs ({args.size}x{args.size}) in {gen_s:.1f} s", flush=True)
        start = time.perf_counter()
        ds = load_dataset(str(tmp / "images"), seed=SEED)
        scan_s = time.perf_counter() - start
        train = ds.train.resized(args.input_size)
        mean, std = ds.stats()
        start = time.perf_counter()
        next(iter(train.batches(args.batch_size, mean, std, generator=torch.Generator().manual_seed(SEED))))
        first_s = time.perf_counter() - start
        print(f"start-up: scan {scan_s:.2f} s ({len(ds.train) + len(ds.test):,} files, "
              f"{ds.num_classes} classes), first batch {first_s:.2f} s", flush=True)  # fmt: skip
        counts = list(range(0, args.max_workers + 1))
        trials: dict[int, list[float]] = {w: [] for w in counts}
        for r in range(args.rounds):
            for w in counts[r % len(counts) :] + counts[: r % len(counts)]:
                ips = throughput(
                    replace(train, workers=w),
                    args.batch_size,
                    args.batches,
                    mean,
                    std,
                )
                trials[w].append(ips)
                print(f"round {r + 1} workers {w}: {ips:,.0f} images/s (load {load_avg()})", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = load_avg()

    env = environment()
    medians = {w: statistics.median(v) for w, v in trials.items()}
    lines = [
        "# Image folders at scale: start-up and decoding throughput",
        "",
        f"Command: `python benchmarks/image_folder_speed.py --images {args.images} --classes {args.classes} "
        f"--size {args.size} --rounds {args.rounds}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Machine: {env['machine']['cpu']}, {env['machine']['cpu_count']} cores visible, "
        f"{platform.platform()}.",
        f"Versions: convzoo {env['versions']['convzoo']}, torch {env['versions']['torch']}, "
        f"Pillow {Image.__version__}, Python {env['versions']['python']}. Seed: {SEED}.",
        f"Load average (1/5/15 min) before: {load_before}; after: {load_after} (shared machine: absolute "
        "numbers are upper bounds on time, ratios come from interleaved trials).",
        "",
        f"Folder: {args.images:,} JPEGs of {args.size}x{args.size} in {args.classes} class folders "
        f"(generated in {gen_s:.0f} s under the temporary folder, deleted afterwards); seeded 80/20 split.",
        "",
        "| start-up | seconds |",
        "| --- | ---: |",
        f"| class scan + split (`load_dataset`, no decoding) | {scan_s:.2f} |",
        f"| first training batch of {args.batch_size} (workers 0) | {first_s:.2f} |",
        "",
        "Training-split throughput (decode, random-resized crop/flip/jitter to "
        f"{args.input_size}x{args.input_size}, normalise; {args.batches} batches of {args.batch_size} "
        "per trial, worker start-up included; "
        f"median of {args.rounds} interleaved rounds):",
        "",
        "| --workers | images/s (median) | trials | vs workers 0 |",
        "| ---: | ---: | --- | ---: |",
    ]
    for w in counts:
        lines.append(
            f"| {w} | {medians[w]:,.0f} | {', '.join(f'{v:,.0f}' for v in trials[w])} | "
            f"{medians[w] / medians[0]:.2f}x |"
        )
    lines.append("")
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
