"""Seeded, stratified subsets of image folders (--train-limit / --test-limit)."""

from __future__ import annotations

from collections import Counter

from PIL import Image

from convzoo.data import load_dataset
from convzoo.data.subsets import stratified_indices


def test_every_class_gets_its_share():
    labels = [0] * 60 + [1] * 30 + [2] * 10
    chosen = stratified_indices(labels, 20, seed=0)
    assert Counter(labels[i] for i in chosen) == {0: 12, 1: 6, 2: 2}
    assert chosen == sorted(chosen) and len(set(chosen)) == 20


def test_small_budgets_still_reach_every_class_and_seeds_differ():
    labels = [0] * 98 + [1] + [2]
    assert {labels[i] for i in stratified_indices(labels, 3)} == {0, 1, 2}
    assert stratified_indices(labels, 50, seed=0) != stratified_indices(labels, 50, seed=1)
    assert stratified_indices(labels, 50, seed=3) == stratified_indices(labels, 50, seed=3)
    assert stratified_indices(labels, 500) == list(range(100))


def test_a_folder_subset_is_not_the_first_class(tmp_path):
    for name, count in (("ants", 20), ("bees", 20)):
        (tmp_path / name).mkdir()
        for i in range(count):
            Image.new("RGB", (8, 8), (i, 0, 0)).save(tmp_path / name / f"{i:02d}.png")
    ds = load_dataset(str(tmp_path), in_chans=3)
    test = ds.test.subset(4, seed=0)
    assert Counter(label for _, label in test.samples) == {0: 2, 1: 2}
