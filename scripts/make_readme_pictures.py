"""Make the README's interpretability pictures in docs/ with the public commands.

Trains lenet5_modern on mnist-mini (seed 0, about 15 s), then runs `convzoo interpret` and
`convzoo visualize` on its checkpoint:  python scripts/make_readme_pictures.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PIL import Image

from convzoo.cli import main
from convzoo.data import load_dataset

DOCS = Path(__file__).resolve().parents[1] / "docs"


def run(*argv: str) -> None:
    if main(list(argv)) != 0:
        raise SystemExit(f"convzoo {' '.join(argv)} failed")


def make_pictures() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        run("train", "lenet5_modern", "--seed", "0", "--out", str(out))
        checkpoint = str(out / "checkpoints" / "best.safetensors")
        digit = Path(tmp) / "digit.png"
        test = load_dataset("mnist-mini").test
        Image.fromarray(test.images[0, 0].numpy()).save(digit)
        run(
            "interpret",
            checkpoint,
            str(digit),
            "--method",
            "gradcam",
            "--out",
            str(DOCS / "gradcam.png"),
        )
        run("visualize", checkpoint, "--what", "filters", "--out", str(DOCS / "filters.png"))
        run(
            "visualize",
            checkpoint,
            "--what",
            "class-model",
            "--target",
            "3",
            "--steps",
            "300",
            "--out",
            str(DOCS / "class_model.png"),
        )


if __name__ == "__main__":
    make_pictures()
