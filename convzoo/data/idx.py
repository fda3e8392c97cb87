"""IDX files (MNIST, Fashion-MNIST, KMNIST), plain or gzipped, read with every failure named."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError

# Third magic byte -> element type (big-endian), from the format description on the MNIST page.
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801


def file_md5(path: str | Path) -> str:
    """The MD5 of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_md5(path: str | Path, expected: str | None) -> None:
    """Raise DataError unless the file's MD5 is `expected` (None: no check)."""
    if expected is None:
        return
    got = file_md5(path)
    if got != expected:
        raise DataError(
            f"{path}: wrong checksum: md5 {got}, expected {expected} (the published one); "
            "the file is corrupt, truncated or not the original - fetch it again (--download)"
        )


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:
        raise DataError(f"{path}: truncated or corrupt gzip stream ({e})") from None


def read_idx(path: str | Path, magic: int | None = None, count: int | None = None) -> np.ndarray:
    """Read an IDX file into an array; `magic` and `count` (first dimension) are checked when given."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in IDX_DTYPES or data[3] == 0:
        found = int.from_bytes(data[:4].ljust(4, b"\x00"), "big")
        wanted = f"0x{magic:08x}" if magic is not None else "0x000008NN"
        raise DataError(f"{path}: not an IDX file: magic number 0x{found:08x}, expected {wanted}")
    found = int.from_bytes(data[:4], "big")
    if magic is not None and found != magic:
        kind = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}.get(magic, "this file")
        raise DataError(f"{path}: wrong magic number 0x{found:08x}, expected 0x{magic:08x} for {kind}")
    ndim, dtype = data[3], IDX_DTYPES[data[2]]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated header ({len(data)} bytes, expected {header})")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        state = "truncated" if len(data) - header < expected else "has trailing bytes"
        raise DataError(
            f"{path}: {state}: {len(data) - header} bytes of data, expected {expected} for shape {shape}"
        )
    if count is not None and shape[0] != count:
        raise DataError(f"{path}: holds {shape[0]} items, expected {count}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzipped IDX file (how mnist-mini and the tests make theirs)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + array.tobytes())
