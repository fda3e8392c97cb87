"""Using a trained checkpoint: test-time augmentation for evaluation, and top-k predictions for images."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .data import DataError, fit_to_size, normalize
from .data.augment import translate
from .data.folder import decode_image
from .data.pipelines import build_pipeline
from .preprocessing import DataConfig

TTA_MODES = ("none", "flip", "multicrop")


def tta_predictor(mode: str) -> Callable[[nn.Module, torch.Tensor], torch.Tensor] | None:
    """A predict(model, x) averaging softmax over views: 'flip' (x, mirrored x), 'multicrop' (centre
    and four views shifted by 1/16 of the size, toward each corner); None for 'none'."""
    if mode not in TTA_MODES:
        raise ValueError(f"unknown TTA mode {mode!r}; expected one of {', '.join(TTA_MODES)}")
    if mode == "none":
        return None

    def views(x: torch.Tensor) -> list[torch.Tensor]:
        if mode == "flip":
            return [x, x.flip(-1)]
        s = max(1, x.shape[-1] // 16)
        n = len(x)
        shifted = [
            translate(x, torch.full((n,), dy), torch.full((n,), dx), s) for dy in (-s, s) for dx in (-s, s)
        ]
        return [x, *shifted]

    def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        probs = torch.stack([model(v).float().softmax(1) for v in views(x)]).mean(0)
        return probs.clamp(min=1e-12).log()  # log of the averaged probabilities: usable as logits

    return predict


def load_image(path: str | Path, meta: dict[str, Any], notes: list[str] | None = None) -> torch.Tensor:
    """An image file as the normalised 1 x C x H x W input the checkpoint's model was trained on.

    When the file's channels or size differ from the model's input, a line saying what was done is
    appended to `notes` ("photo.jpg: RGB 640x480 read as grey 32x32, lenet5's input").
    """
    in_chans, size = meta["in_chans"], meta["input_size"][-1]
    array = decode_image(path, in_chans)
    if meta.get("data_size"):  # an in-memory dataset: its size, then the model's (MNIST 28 -> 32)
        x = fit_to_size(
            fit_to_size(torch.from_numpy(array.copy()).permute(2, 0, 1)[None], meta["data_size"]), size
        )
    else:  # an image folder: the evaluation pipeline (shorter side, centre crop), as the weights' release
        resize, interpolation = None, "bilinear"  # resized when the checkpoint records one
        if meta.get("preprocessing"):
            config = DataConfig.from_dict(meta["preprocessing"])
            resize, interpolation = config.resize_for(size), config.interpolation
        pipeline = build_pipeline(size, train=False, resize=resize, interpolation=interpolation)
        x = torch.from_numpy(np.ascontiguousarray(pipeline(array))).permute(2, 0, 1)[None]
    if notes is not None:
        note = conversion_note(path, meta)
        if note:
            notes.append(note)
    return normalize(x, torch.tensor(meta["mean"]), torch.tensor(meta["std"]))


def conversion_note(path: str | Path, meta: dict[str, Any]) -> str | None:
    """What load_image did to the file beyond the model's own preprocessing, in one line; None when
    nothing: another number of channels, or (for a model trained on in-memory images, such as
    MNIST's 28x28) another size than its training images'. Image-folder models resize every file."""
    from PIL import Image

    with Image.open(path) as img:  # the header only
        mode, (width, height) = img.mode, img.size
    size, native = meta["input_size"][-1], meta.get("data_size")
    grey = meta["in_chans"] == 1
    channels_change = grey != (mode in ("1", "L", "I", "I;16", "F", "LA"))
    size_change = native is not None and (width, height) != (native, native)
    if not (channels_change or size_change):
        return None
    how = "grey" if grey else "RGB"
    return f"{path}: {mode} {width}x{height} read as {how} {size}x{size}, the input {meta['model']} takes"


@torch.inference_mode()
def predict_images(
    model: nn.Module, meta: dict[str, Any], paths: Sequence[str | Path], k: int = 5
) -> list[dict]:
    """For each image: {"image", "top": [{"class", "index", "probability"}] of the top k classes},
    or {"image", "error"} for a file that cannot be read (the others are still predicted); a
    "converted" entry says how an image was fitted to the model's input."""
    classes = meta.get("classes") or [str(i) for i in range(meta["num_classes"])]
    k = max(1, min(k, len(classes)))
    results = []
    for path in paths:
        notes: list[str] = []
        try:
            x = load_image(path, meta, notes)
        except DataError as e:
            results.append({"image": str(path), "error": str(e)})
            continue
        probs = model.eval()(x).float().softmax(1)[0]
        top = probs.topk(k)
        item = {
            "image": str(path),
            "top": [
                {"class": classes[i], "index": int(i), "probability": float(p)}
                for p, i in zip(top.values, top.indices, strict=True)
            ],
        }
        if notes:
            item["converted"] = notes[0]
        results.append(item)
    return results
