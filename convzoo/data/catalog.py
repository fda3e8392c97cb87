"""The datasets convzoo knows by name: where their files live, their checksums, classes and statistics."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MNIST_MINI_DIR = Path(__file__).with_name("mnist_mini")
IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: its format, files (name -> published md5), download location and statistics."""

    name: str
    kind: str  # "idx", "cifar", "shapes", "shapes-seg"
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    augment: str  # batched augmentation preset for training (see augment.AUGMENT_PRESETS)
    files: dict[str, str | None] = field(default_factory=dict)
    url: str = ""  # base URL of the files, or of the single archive for "cifar"
    archive: str = ""  # archive file name (its md5 is in `files`)
    note: str = ""


DIGITS = tuple(str(i) for i in range(10))


def mnist_like(
    name: str, classes: tuple[str, ...], mean: float, std: float, md5s: str, **kw: str
) -> DatasetSpec:
    """An MNIST-format dataset: the four IDX files (md5s in IDX_FILES order, space-separated), 28x28 grey."""
    files = dict(zip(IDX_FILES, md5s.split(), strict=True))
    return DatasetSpec(name, "idx", classes, (mean,), (std,), "translate", files, **kw)


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        mnist_like(
            "mnist", DIGITS, 0.1307, 0.3081,
            "f68b3c2dcbeaaa9fbdd348bbdeb94873 d53e105ee54ea40749a09fcbcd1e9432 "
            "9fb629c4189551a2d022fa330f9573f3 ec29112dd5afa0611ce80d1b7f02629c",
            url="https://ossci-datasets.s3.amazonaws.com/mnist/",
            note="handwritten digits, 60,000 train / 10,000 test, 28x28 grey",
        ),
        mnist_like(
            "mnist-mini", DIGITS, 0.1307, 0.3081,
            "33f2f00b68cdd9945707ebf61da5b7ae c6fd960577271828c6999042e155db4f "
            "8a8863fb523a56618eb127dc7d5cb15d fffdc6dc3b4a3c0ebfe685a37055e3f1",
            note="6,000 train / 1,000 test drawn (seed 0) from MNIST's training set; ships with convzoo",
        ),
        mnist_like(
            "fashion-mnist",
            ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot"),
            0.2860, 0.3530,
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d 25c81989df183df01b3e8a0aad5dffbe "
            "bef4ecab320f06d8554ea6380940ec79 bb300cfdad3c16e7a12a480ee83cd310",
            url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            note="Zalando clothing, 60,000 train / 10,000 test, 28x28 grey",
        ),
        mnist_like(
            "kmnist", ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"), 0.1918, 0.3483,
            "bdb82020997e1d708af4cf47b453dcf7 e144d726b3acfaa3e44228e80efcd344 "
            "5c965bf0a639b31b8f53240b1b52f4d7 7320c461ea6c1c855c0b718fb2a4b134",
            url="http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
            note="Kuzushiji-MNIST cursive Japanese, 60,000 train / 10,000 test, 28x28 grey",
        ),
        DatasetSpec(
            "cifar10", "cifar",
            ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
            (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), "crop-flip",
            {"cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a"},
            url="https://www.cs.toronto.edu/~kriz/", archive="cifar-10-python.tar.gz",
            note="50,000 train / 10,000 test, 32x32 colour, python pickle batches",
        ),
        DatasetSpec(
            "cifar100", "cifar", (),  # class names come from the meta file
            (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762), "crop-flip",
            {"cifar-100-python.tar.gz": "eb9058c3a382ffc7106e4002c42a8d85"},
            url="https://www.cs.toronto.edu/~kriz/", archive="cifar-100-python.tar.gz",
            note="50,000 train / 10,000 test, 32x32 colour, 100 fine classes",
        ),
        DatasetSpec(
            "shapes", "shapes", ("circle", "square", "triangle", "diamond"),
            (0.28, 0.28, 0.28), (0.245, 0.245, 0.245), "flip",
            note="generated: a coloured shape on noise, 2,000 train / 500 test, 32x32, with masks and boxes",
        ),
        DatasetSpec(
            "shapes-seg", "shapes-seg", ("background", "circle", "square", "triangle", "diamond"),
            (0.286, 0.285, 0.286), (0.245, 0.242, 0.244), "elastic",
            note="generated segmentation: 2-5 shapes per image, half of them touching another across a "
            "one-pixel gap; class and instance masks, 400 train / 100 test, 64x64",
        ),
    )
}  # fmt: skip
# Statistics of class-per-folder datasets: ImageNet's, as for the photos such folders usually hold.
FOLDER_MEAN, FOLDER_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def convzoo_home() -> Path:
    """$CONVZOO_HOME, else ~/.cache/convzoo: where downloads are cached."""
    return Path(os.environ.get("CONVZOO_HOME") or Path.home() / ".cache" / "convzoo")


def default_data_dir(name: str) -> Path:
    """Where a named dataset's files are looked for when no --data-dir is given."""
    return MNIST_MINI_DIR if name == "mnist-mini" else convzoo_home() / "datasets" / name
