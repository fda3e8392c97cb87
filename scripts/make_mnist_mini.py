"""Write convzoo/data/mnist_mini: 6,000 train + 1,000 test images drawn (seed 0) from MNIST's training set.

    python scripts/make_mnist_mini.py [MNIST_DIR]   (default ../shared/data/mnist)

The two parts are disjoint and drawn without replacement; the files are gzipped IDX, like MNIST's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from convzoo.data.catalog import DATASETS, IDX_FILES, MNIST_MINI_DIR
from convzoo.data.idx import IMAGES_MAGIC, LABELS_MAGIC, check_md5, file_md5, read_idx, write_idx

TRAIN, TEST, SEED = 6000, 1000, 0


def main(mnist_dir: Path) -> None:
    spec = DATASETS["mnist"]
    for name in IDX_FILES[:2]:
        check_md5(mnist_dir / name, spec.files[name])
    images = read_idx(mnist_dir / IDX_FILES[0], IMAGES_MAGIC)
    labels = read_idx(mnist_dir / IDX_FILES[1], LABELS_MAGIC, count=len(images))
    order = np.random.default_rng(SEED).permutation(len(images))
    parts = {"train": order[:TRAIN], "t10k": order[TRAIN : TRAIN + TEST]}
    MNIST_MINI_DIR.mkdir(exist_ok=True)
    for prefix, idx in parts.items():
        idx = np.sort(idx)
        write_idx(MNIST_MINI_DIR / f"{prefix}-images-idx3-ubyte.gz", images[idx])
        write_idx(MNIST_MINI_DIR / f"{prefix}-labels-idx1-ubyte.gz", labels[idx])
    for name in IDX_FILES:
        path = MNIST_MINI_DIR / name
        print(f"{name}  {path.stat().st_size:>9,} bytes  md5 {file_md5(path)}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/mnist"
    )
