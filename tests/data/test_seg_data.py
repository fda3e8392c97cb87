"""Segmentation data: shapes-seg's touching instances, VOC palette PNGs, images/ + masks/, bad masks,
augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from convzoo.data import DataError, SegAugment, SegSplit, load_dataset, make_shapes_seg
from convzoo.data.seg_folder import VOC_CLASSES


def test_shapes_seg_has_several_instances_some_touching_across_one_pixel():
    s = make_shapes_seg(40, 64, seed=1)
    assert torch.equal(make_shapes_seg(40, 64, seed=1).images, s.images)
    counts = [len(np.unique(i)) - 1 for i in s.instances.numpy()]
    assert min(counts) >= 2 and max(counts) <= 5
    # class and instance masks agree: every instance has one class, background is background
    for mask, inst in zip(s.masks.numpy(), s.instances.numpy(), strict=True):
        assert ((mask == 0) == (inst == 0)).all()
        assert all(len(np.unique(mask[inst == k])) == 1 for k in np.unique(inst) if k)
    # touching: a background pixel with two different instances among its 8 neighbours
    touching = 0
    for inst in s.instances.numpy():
        padded = np.pad(inst, 1)
        neighbours = np.stack(
            [padded[1 + dy : 65 + dy, 1 + dx : 65 + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
        )
        sorted_ = np.sort(neighbours, axis=0)
        lo = np.where(sorted_ > 0, sorted_, 255).min(0)
        touching += bool(((inst == 0) & (sorted_.max(0) > lo) & (lo < 255)).any())
    assert touching >= 10  # of 40 images
    # instances never overlap or touch directly: a one-pixel gap at least
    for inst in s.instances.numpy():
        assert not ((inst[:, 1:] != inst[:, :-1]) & (inst[:, 1:] > 0) & (inst[:, :-1] > 0)).any()


def test_shapes_seg_dataset():
    ds = load_dataset("shapes-seg")
    assert ds.task == "segmentation" and ds.classes[0] == "background" and ds.num_classes == 5
    assert ds.train.images.shape == (400, 3, 64, 64) and ds.test.masks.shape == (100, 64, 64)


def write_pair(folder, name, image, mask, mode="L"):
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(folder / "images" / f"{name}.png")
    m = Image.fromarray(mask)
    if mode == "P":
        m = m.convert("P")
        m.putpalette([0, 0, 0, 128, 0, 0] + [0] * 762)
    elif mode == "RGB":
        m = m.convert("RGB")
    m.save(folder / "masks" / f"{name}.png")


def test_images_and_masks_folder(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(5):
        mask = rng.integers(0, 3, (20, 30)).astype(np.uint8)
        mask[0] = 255
        write_pair(tmp_path, f"im{i}", rng.integers(0, 255, (20, 30, 3), dtype=np.uint8), mask)
    ds = load_dataset(str(tmp_path), image_size=16)
    assert ds.task == "segmentation" and ds.classes == ["0", "1", "2"]
    assert len(ds.train) + len(ds.test) == 5 and ds.train.images.shape[1:] == (3, 16, 16)
    assert set(np.unique(ds.train.masks.numpy())) <= {0, 1, 2, 255}


@pytest.mark.parametrize(
    "problem, message",
    [
        ("missing", r"im1.png: no mask .*im1.png for this image"),
        ("size", r"masks/im1.png: mask is 10x10 but its image im1.png is 30x20"),
        ("range", r"masks/im1.png: label 7 out of range 0..2 \(255 = ignore\)"),
        ("rgb", r"masks/im1.png: expected an index PNG \(mode L or P"),
    ],
)
def test_a_bad_mask_is_named_in_one_line(tmp_path, problem, message):
    (tmp_path / "classes.txt").write_text("bg\na\nb\n")
    image = np.zeros((20, 30, 3), np.uint8)
    write_pair(tmp_path, "im0", image, np.zeros((20, 30), np.uint8))
    mask = {"size": np.zeros((10, 10), np.uint8), "range": np.full((20, 30), 7, np.uint8)}.get(
        problem, np.zeros((20, 30), np.uint8)
    )
    write_pair(tmp_path, "im1", image, mask, mode="RGB" if problem == "rgb" else "L")
    if problem == "missing":
        (tmp_path / "masks" / "im1.png").unlink()
    with pytest.raises(DataError, match=message) as err:
        load_dataset(str(tmp_path))
    assert "\n" not in str(err.value)


def test_pascal_voc_palette_masks_with_ignored_borders(tmp_path):
    voc = tmp_path / "VOC2012"
    for d in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (voc / d).mkdir(parents=True)
    for split, ids in (("train", ["a", "b"]), ("val", ["c"])):
        (voc / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(ids) + "\n")
        for i in ids:
            Image.fromarray(np.full((24, 32, 3), 100, np.uint8)).save(voc / "JPEGImages" / f"{i}.jpg")
            labels = np.zeros((24, 32), np.uint8)
            labels[5:15, 5:20] = 15  # person
            labels[4, 4:21] = 255  # the object's outline: ignored
            mask = Image.fromarray(labels, mode="L").convert("P")
            mask.putpalette([v for k in range(256) for v in (k, 255 - k, (7 * k) % 256)])
            mask.save(voc / "SegmentationClass" / f"{i}.png")
    ds = load_dataset(str(voc), image_size=32)
    assert ds.classes == list(VOC_CLASSES) and len(ds.train) == 2 and len(ds.test) == 1
    assert set(np.unique(ds.train.masks.numpy())) == {0, 15, 255}


def test_augmentation_moves_image_mask_and_weights_together_and_repeats():
    s = make_shapes_seg(4, 64, seed=2)
    weights = torch.rand(4, 64, 64)
    aug = SegAugment.preset("elastic", 64)
    seeds = torch.tensor([[1], [2], [3], [4]])
    a = aug.apply(s.images, s.masks, weights, seeds)
    b = aug.apply(s.images, s.masks, weights, seeds)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    images, masks, _ = a
    assert not torch.equal(images, s.images)
    assert set(masks.unique().tolist()) <= set(s.masks.unique().tolist())  # nearest: no new labels
    # the image's bright shapes land where the mask says foreground
    bright = images.float().mean(1) > 120
    assert (bright == (masks > 0)).float().mean() > 0.97
    assert SegSplit(s.images, s.masks).resized(32).masks.shape == (4, 32, 32)


def test_resizing_keeps_image_and_mask_aligned():
    s = make_shapes_seg(4, 64, seed=2)
    for size in (70, 40):  # 70 is a few pixels more: resized too, never padded
        small = SegSplit(s.images, s.masks).resized(size)
        bright = small.images.float().mean(1) > 120
        assert small.images.shape[-1] == size and (bright == (small.masks > 0)).float().mean() > 0.95
