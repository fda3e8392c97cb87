"""Datasets from their files: IDX, CIFAR pickles, image folders, shapes, mnist-mini, batched augmentation."""

from __future__ import annotations

import gzip
import logging
import pickle
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from convzoo.data import (
    ArraySplit,
    BatchAugment,
    DataError,
    fit_to_size,
    folder,
    load_dataset,
    make_shapes,
    read_idx,
    write_idx,
)
from convzoo.data.cifar import load_cifar
from convzoo.data.idx import IMAGES_MAGIC, LABELS_MAGIC


def write_mnist_like(folder, n_train=20, n_test=10, max_label=9):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, max_label + 1, n))
    return folder


# ---- IDX ----------------------------------------------------------------------------------------


def test_idx_round_trip_and_magic(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    write_idx(tmp_path / "a.gz", images)
    assert np.array_equal(read_idx(tmp_path / "a.gz", IMAGES_MAGIC, count=3), images)
    with pytest.raises(DataError, match=r"wrong magic number 0x00000803, expected 0x00000801 for labels"):
        read_idx(tmp_path / "a.gz", LABELS_MAGIC)
    with pytest.raises(DataError, match="holds 3 items, expected 4"):
        read_idx(tmp_path / "a.gz", count=4)


def test_idx_garbage_truncation_and_trailing_bytes_are_named(tmp_path):
    (tmp_path / "junk.gz").write_bytes(gzip.compress(b"PK\x03\x04 not idx at all"))
    with pytest.raises(DataError, match=r"junk.gz: not an IDX file: magic number 0x504b0304"):
        read_idx(tmp_path / "junk.gz", IMAGES_MAGIC)
    header = bytes([0, 0, 8, 3]) + (10).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    (tmp_path / "short").write_bytes(header + bytes(28 * 28 * 10 - 5))
    with pytest.raises(DataError, match=r"short: truncated: 7835 bytes of data, expected 7840"):
        read_idx(tmp_path / "short")
    (tmp_path / "long").write_bytes(header + bytes(28 * 28 * 10 + 1))
    with pytest.raises(DataError, match="trailing bytes"):
        read_idx(tmp_path / "long")
    whole = gzip.compress(header + bytes(28 * 28 * 10))
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"cut\.gz: truncated or corrupt gzip"):
        read_idx(tmp_path / "cut.gz")


def test_named_idx_dataset_checks_published_checksums(tmp_path):
    folder = write_mnist_like(tmp_path / "mnist")
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte.gz: wrong checksum: md5 [0-9a-f]{32}, expected f68b3c2d"
    ):
        load_dataset("mnist", folder)
    ds = load_dataset("mnist", folder, verify=False)
    assert (len(ds.train), len(ds.test), ds.num_classes, ds.in_chans) == (20, 10, 10, 1)
    assert ds.train.images.shape == (20, 1, 28, 28) and ds.train.labels.dtype == torch.int64


def test_missing_files_and_out_of_range_labels(tmp_path):
    with pytest.raises(DataError, match=r"fashion-mnist: .*not found in .*--data-dir"):
        load_dataset("fashion-mnist", tmp_path)
    folder = write_mnist_like(tmp_path / "bad", max_label=12)
    with pytest.raises(
        DataError, match=r"labels-idx1-ubyte.gz: label 1[0-2] at index \d+ is out of range 0..9"
    ):
        load_dataset("kmnist", folder, verify=False)
    with pytest.raises(DataError, match="unknown dataset 'mnsit': expected one of mnist, mnist-mini"):
        load_dataset("mnsit")


def test_mnist_mini_ships_with_the_package():
    ds = load_dataset("mnist-mini")
    assert (len(ds.train), len(ds.test)) == (6000, 1000)
    counts = torch.bincount(ds.train.labels, minlength=10)
    assert counts.min() > 500  # a random draw: every digit well represented
    assert abs(ds.train.images.float().mean().item() / 255 - ds.mean[0]) < 0.01


def test_shared_mnist_and_fashion_load_with_their_checksums(shared_data):
    mnist = load_dataset("mnist", shared_data / "mnist")
    assert (len(mnist.train), len(mnist.test)) == (60000, 10000)
    assert torch.bincount(mnist.train.labels).tolist()[:3] == [5923, 6742, 5958]
    assert round(mnist.train.images.double().mean().item(), 3) == 33.318
    fashion = load_dataset("fashion-mnist", shared_data / "fashion-mnist")
    assert torch.bincount(fashion.test.labels).tolist() == [1000] * 10


# ---- CIFAR --------------------------------------------------------------------------------------


def write_cifar(root, n=6, classes=10, fine=False):
    root.mkdir(parents=True)
    rng = np.random.default_rng(1)
    label_key = b"fine_labels" if fine else b"labels"

    def batch(name):
        data = {
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            label_key: list(rng.integers(0, classes, n)),
        }
        with open(root / name, "wb") as f:
            pickle.dump(
                {k: (v if k == b"data" else [int(x) for x in v]) for k, v in data.items()}, f, protocol=2
            )

    names = [f"c{i}".encode() for i in range(classes)]
    if fine:
        batch("train"), batch("test")
        meta = {b"fine_label_names": names}
        meta_name = "meta"
    else:
        for i in range(1, 6):
            batch(f"data_batch_{i}")
        batch("test_batch")
        meta, meta_name = {b"label_names": names}, "batches.meta"
    with open(root / meta_name, "wb") as f:
        pickle.dump(meta, f, protocol=2)


def test_cifar10_and_100_python_batches(tmp_path):
    write_cifar(tmp_path / "cifar-10-batches-py")
    train, test, classes = load_cifar("cifar10", tmp_path)
    assert train.images.shape == (30, 3, 32, 32) and len(test) == 6 and classes[:2] == ["c0", "c1"]
    write_cifar(tmp_path / "c100", classes=100, fine=True)
    ds = load_dataset("cifar100", tmp_path / "c100")
    assert ds.num_classes == 100 and ds.in_chans == 3 and len(ds.train) == 6


def test_cifar_pickle_with_code_is_refused(tmp_path):
    write_cifar(tmp_path / "cifar-10-batches-py")

    class Evil:
        def __reduce__(self):
            return (shutil.rmtree, (str(tmp_path),))

    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as f:
        pickle.dump({b"data": Evil()}, f)
    with pytest.raises(
        DataError, match=r"test_batch: not a readable CIFAR python batch \(.*refusing to load shutil\.rmtree"
    ):
        load_dataset("cifar10", tmp_path)
    assert tmp_path.exists()


# ---- image folders ------------------------------------------------------------------------------


def make_folder(root, counts=None):
    rng = np.random.default_rng(2)
    for cls, n in (counts or {"ants": 4, "bees": 3}).items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (20 + i, 30, 3), dtype=np.uint8)).save(
                root / cls / f"{i}.png"
            )
    return root


def test_image_folder_scan_lists_without_decoding(tmp_path, caplog, monkeypatch):
    root = make_folder(tmp_path / "pics")
    (root / "ants" / "notes.txt").write_text("not an image")
    (root / "bees" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")

    def no_decoding(*args, **kwargs):
        raise AssertionError("the class scan opened an image")

    monkeypatch.setattr(folder.Image, "open", no_decoding)
    with caplog.at_level(logging.WARNING, logger="convzoo.data"):
        ds = load_dataset(str(root), seed=3)
    assert "notes.txt: not a supported image file" in caplog.text
    assert ds.classes == ["ants", "bees"] and len(ds.train) + len(ds.test) == 8  # broken.jpg listed
    again = load_dataset(str(root), seed=3)
    assert [p for p, _ in again.test.samples] == [p for p, _ in ds.test.samples]  # seeded split


@pytest.mark.parametrize("workers", [0, 2])
def test_image_folder_skips_unreadable_file_when_read(tmp_path, caplog, workers):
    root = make_folder(tmp_path / "pics", {"ants": 3, "bees": 2})
    (root / "bees" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    samples, _ = folder.scan_classes(root)
    split = folder.FolderSplit(samples, workers=workers).resized(16)
    mean, std = torch.zeros(3), torch.ones(3)
    with caplog.at_level(logging.WARNING, logger="convzoo.data"):
        seen = [y for _, ys in split.batches(4, mean, std) for y in ys.tolist()]
        again = [y for _, ys in split.batches(4, mean, std) for y in ys.tolist()]
    assert seen == again == [0, 0, 0, 1, 1]  # the unreadable file's item is left out
    assert caplog.text.count("broken.jpg: unreadable or truncated image") == 1  # logged once
    assert split.skipped == {str(root / "bees" / "broken.jpg")}


def test_image_folder_train_val_batches_and_empty_class(tmp_path):
    make_folder(tmp_path / "d" / "train")
    make_folder(tmp_path / "d" / "val", {"ants": 2, "bees": 2})
    ds = load_dataset("d", tmp_path / "d").resized(24)
    mean, std = ds.stats()
    x, y = next(ds.train.batches(5, mean, std, generator=torch.Generator().manual_seed(0)))
    assert x.shape == (5, 3, 24, 24) and x.dtype == torch.float32 and set(y.tolist()) <= {0, 1}
    x, y = next(ds.test.batches(8, mean, std))
    assert x.shape == (4, 3, 24, 24) and y.tolist() == [0, 0, 1, 1]
    (tmp_path / "d" / "train" / "wasps").mkdir()
    (tmp_path / "d" / "train" / "wasps" / "readme.md").write_text("-")
    with pytest.raises(DataError, match=r"wasps: class folder holds no image file"):
        load_dataset(str(tmp_path / "d"))


def test_hymenoptera_counts_match_torchvision(shared_data):
    ds = load_dataset(str(shared_data / "hymenoptera_data"))
    assert ds.classes == ["ants", "bees"] and (len(ds.train), len(ds.test)) == (244, 153)


# ---- generated shapes, sizes, augmentation --------------------------------------------------------


def test_shapes_masks_and_boxes_agree():
    s = make_shapes(40, size=24, seed=5)
    assert s.images.shape == (40, 3, 24, 24) and torch.equal(
        make_shapes(40, size=24, seed=5).images, s.images
    )
    assert torch.bincount(s.labels).tolist() == [10, 10, 10, 10]
    for i in range(40):
        ys, xs = torch.nonzero(s.masks[i], as_tuple=True)
        assert set(s.masks[i].unique().tolist()) == {0, int(s.labels[i]) + 1}
        assert s.boxes[i].tolist() == [
            xs.min().item(),
            ys.min().item(),
            xs.max().item() + 1,
            ys.max().item() + 1,
        ]


def test_fit_to_size_pads_mnist_for_lenet():
    x = torch.full((2, 1, 28, 28), 7, dtype=torch.uint8)
    out = fit_to_size(x, 32)
    assert out.shape == (2, 1, 32, 32) and out[0, 0, 2:30, 2:30].eq(7).all() and out[0, 0, :2].eq(0).all()
    assert fit_to_size(x, 64).shape == (2, 1, 64, 64)


def test_batched_translate_and_flip_move_pixels():
    x = torch.zeros(2, 1, 8, 8, dtype=torch.uint8)
    x[:, 0, 3, 3] = 255
    aug = BatchAugment(shift=2, hflip=True)
    params = torch.tensor([[1, -2, 0], [0, 0, 1]])
    out = aug.apply(x, params)
    assert out[0, 0, 4, 1] == 255 and out[0].sum() == 255  # down 1, left 2
    assert out[1, 0, 3, 4] == 255  # mirrored: column 3 -> 4


def test_sharded_batches_match_the_global_batch():
    split = ArraySplit(torch.randint(0, 256, (50, 1, 8, 8), dtype=torch.uint8), torch.arange(50) % 10)
    mean, std = torch.tensor([0.5]), torch.tensor([0.25])
    aug = BatchAugment.preset("translate", 8)

    def run(rank, world):
        gen = torch.Generator().manual_seed(4)
        return list(split.batches(10, mean, std, generator=gen, augment=aug, rank=rank, world=world))

    whole, r0, r1 = run(0, 1), run(0, 2), run(1, 2)
    for (x, y), (x0, _), (x1, y1) in zip(whole, r0, r1, strict=True):
        assert torch.equal(x[0::2], x0) and torch.equal(x[1::2], x1) and torch.equal(y[1::2], y1)


# ---- --download against a local server ------------------------------------------------------------


@pytest.fixture
def http_files():
    """A 127.0.0.1 server of an in-memory {path: bytes} dict, honouring Range; records each request."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    files: dict[str, bytes] = {}
    requests: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append((self.path, self.headers.get("Range")))
            body = files.get(self.path.lstrip("/"))
            if body is None:
                self.send_error(404)
                return
            start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            self.wfile.write(body[start:])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", files, requests
    server.shutdown()
    server.server_close()


def test_download_verifies_caches_and_resumes(tmp_path, http_files):
    from dataclasses import replace

    from convzoo.data.catalog import DATASETS
    from convzoo.data.download import fetch_dataset
    from convzoo.data.idx import file_md5

    url, files, requests = http_files
    source = write_mnist_like(tmp_path / "source")
    for path in source.iterdir():
        files[path.name] = path.read_bytes()
    spec = replace(DATASETS["mnist"], url=url, files={p.name: file_md5(p) for p in source.iterdir()})
    root = tmp_path / "home" / "mnist"
    first = files["train-images-idx3-ubyte.gz"]
    root.mkdir(parents=True)
    (root / "train-images-idx3-ubyte.gz.part").write_bytes(first[:1000])  # an interrupted download
    fetch_dataset(spec, root)
    assert ("/train-images-idx3-ubyte.gz", "bytes=1000-") in requests and len(requests) == 4
    assert (root / "train-images-idx3-ubyte.gz").read_bytes() == first
    fetch_dataset(spec, root)
    assert len(requests) == 4  # cached: nothing fetched again
    assert len(load_dataset("mnist", root, verify=False).train) == 20

    bad = replace(spec, files={**spec.files, "t10k-labels-idx1-ubyte.gz": "0" * 32})
    (root / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz: downloaded file has the wrong checksum"):
        fetch_dataset(bad, root)
    assert not list(root.glob("*.part")) and not (root / "t10k-labels-idx1-ubyte.gz").exists()


def test_download_extracts_archives_safely(tmp_path, http_files):
    import io
    import tarfile
    from dataclasses import replace

    from convzoo.data.catalog import DATASETS
    from convzoo.data.download import fetch_dataset

    url, files, _ = http_files
    write_cifar(tmp_path / "src" / "cifar-10-batches-py")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    files["good.tar.gz"] = buf.getvalue()
    spec = replace(DATASETS["cifar10"], url=url, archive="good.tar.gz", files={"good.tar.gz": None})
    fetch_dataset(spec, tmp_path / "cifar")
    assert len(load_cifar("cifar10", tmp_path / "cifar")[0]) == 30

    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    files["evil.tar.gz"] = evil.getvalue()
    with pytest.raises(DataError, match=r"evil.tar.gz: cannot extract safely"):
        fetch_dataset(replace(spec, archive="evil.tar.gz", files={}), tmp_path / "x")
    assert not (tmp_path / "escaped.txt").exists()


def test_segmentation_pipeline_moves_masks_with_images():
    pytest.importorskip("albumentations")
    from convzoo.data.pipelines import build_pair_pipeline

    s = make_shapes(8, size=48, seed=1)
    pipeline = build_pair_pipeline(32, train=True)
    for i in range(8):
        image, mask = pipeline(s.images[i].permute(1, 2, 0).numpy(), s.masks[i].numpy())
        assert image.shape == (32, 32, 3) and mask.shape == (32, 32)
        assert set(np.unique(mask)) <= {0, int(s.labels[i]) + 1}  # nearest-neighbour: no blended labels
        if mask.any():  # the shape is bright (>= 128 before jitter), the background dark noise (< 96)
            assert image[mask > 0].mean() > image[mask == 0].mean() + 30
