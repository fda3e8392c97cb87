"""CIFAR-10 and CIFAR-100 from their "python version" pickle batches, unpickled with a whitelist."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from .errors import DataError
from .tensors import ArraySplit

# What the original batches (pickled by Python 2 numpy) and numpy's own pickles refer to; nothing else loads.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}

CIFAR_LAYOUTS = {
    # name: (folder in the archive, train files, test file, meta file, label key, names key)
    "cifar10": (
        "cifar-10-batches-py",
        tuple(f"data_batch_{i}" for i in range(1, 6)),
        "test_batch",
        "batches.meta",
        "labels",
        "label_names",
    ),
    "cifar100": ("cifar-100-python", ("train",), "test", "meta", "fine_labels", "fine_label_names"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def read_batch(path: Path) -> dict[str, object]:
    """One pickled batch as a dict with str keys (the originals have bytes keys)."""
    if not path.is_file():
        raise DataError(f"{path}: no such file (expected a CIFAR python batch)")
    try:
        with open(path, "rb") as f:
            obj = _SafeUnpickler(f, encoding="bytes").load()
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e})") from None
    except Exception as e:  # a malformed pickle fails in many ways: each is this file's data error
        raise DataError(f"{path}: not a readable CIFAR python batch ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    try:
        return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}
    except Exception as e:  # unhashable or undecodable keys
        raise DataError(f"{path}: not a readable CIFAR python batch ({type(e).__name__}: {e})") from None


def _split(path: Path, label_key: str) -> ArraySplit:
    batch = read_batch(path)
    if "data" not in batch or label_key not in batch:
        raise DataError(f"{path}: expected keys 'data' and {label_key!r}, found {sorted(map(str, batch))}")
    try:
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch[label_key], dtype=np.int64)
    except Exception as e:  # objects, ragged lists, numbers out of range ...
        raise DataError(
            f"{path}: 'data' and {label_key!r} must be arrays of numbers ({type(e).__name__}: {e})"
        ) from None
    if labels.ndim != 1:
        raise DataError(f"{path}: expected {label_key!r} as a list of labels, got shape {labels.shape}")
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise DataError(
            f"{path}: expected 'data' of shape N x 3072 with N labels, "
            f"got {data.shape} and {len(labels)} labels"
        )
    return ArraySplit(torch.from_numpy(data.reshape(-1, 3, 32, 32).copy()), torch.from_numpy(labels))


def load_cifar(name: str, root: Path) -> tuple[ArraySplit, ArraySplit, list[str]]:
    """(train, test, class names) of CIFAR-10 or -100 from `root` or its archive folder inside it."""
    folder, train_files, test_file, meta_file, label_key, names_key = CIFAR_LAYOUTS[name]
    if (root / folder).is_dir():
        root = root / folder
    parts = [_split(root / f, label_key) for f in train_files]
    train = ArraySplit(torch.cat([p.images for p in parts]), torch.cat([p.labels for p in parts]))
    test = _split(root / test_file, label_key)
    names = read_batch(root / meta_file).get(names_key)
    if not isinstance(names, list):
        raise DataError(f"{root / meta_file}: expected a list under {names_key!r}")
    classes = [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in names]
    for split, file in ((train, train_files[0]), (test, test_file)):
        split.check_labels(len(classes), str(root / file))
    return train, test, classes
