"""The CIFAR reader turns every failure of a malformed pickle into its DataError (seeded, bounded fuzz)."""

from __future__ import annotations

import random

import pytest

from convzoo.data import DataError
from convzoo.data.cifar import load_cifar

from .test_datasets import write_cifar

FILES = ("data_batch_1", "test_batch", "batches.meta")


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: flipped bytes, a cut, bytes inserted, a slice duplicated, an opcode swapped for another."""
    data = bytearray(data)
    kind = rng.randrange(5)
    at = rng.randrange(len(data))
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 1:
        del data[at:]
    elif kind == 2:
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == 3:
        end = min(len(data), at + rng.randint(1, 64))
        data[at:at] = data[at:end]
    else:
        data[at] = rng.choice(b"()]}ltdeacsuq.0N\x80\x88\x89KMJGXTU")
    return bytes(data)


@pytest.mark.parametrize("seed", range(4))
def test_fuzzed_cifar_pickles_raise_only_the_data_error(tmp_path, seed):
    root = tmp_path / "cifar-10-batches-py"
    write_cifar(root)
    originals = {name: (root / name).read_bytes() for name in FILES}
    rng = random.Random(seed)
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(75):  # 300 in all
        name = rng.choice(FILES)
        (root / name).write_bytes(mutate(originals[name], rng))
        try:
            load_cifar("cifar10", tmp_path)
            outcomes["loaded"] += 1
        except DataError as e:
            assert str(root / name) in str(e) and "\n" not in str(e)
            outcomes["refused"] += 1
        (root / name).write_bytes(originals[name])
    assert outcomes["refused"] > 30  # most mutations break the file
