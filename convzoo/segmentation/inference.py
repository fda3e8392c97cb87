"""Using a segmentation checkpoint: metrics over a split, and mask + overlay PNGs for image files."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from ..data.folder import decode_image
from ..data.tensors import normalize
from ..io import atomic_write_bytes
from .loss import weighted_cross_entropy
from .metrics import SegmentationMeter
from .plots import as_rgb, overlay, palette
from .tiling import fit_to_output, predict_tiled


def dense_logits(model: nn.Module, x: torch.Tensor, tile: int | None = None) -> torch.Tensor:
    """Logits for every pixel of x: overlap-tile prediction with `tile` x `tile` inputs, else one
    input covering the image (borders mirrored as the model needs)."""
    return predict_tiled(model, x, tile) if tile else fit_to_output(model, x)


@torch.inference_mode()
def evaluate_segmentation(
    model: nn.Module,
    batches: Iterable,
    num_classes: int,
    prepare: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    tile: int | None = None,
) -> SegmentationMeter:
    """The pixel confusion matrix and (unweighted) loss of the model over (x, DenseTarget) batches."""
    model.eval()
    meter = SegmentationMeter(num_classes)
    for x, target in batches:
        logits = dense_logits(model, prepare(x), tile).float().cpu()
        meter.update(logits, target.mask, weighted_cross_entropy(logits, target.mask))
    return meter


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@torch.inference_mode()
def segment_images(
    model: nn.Module,
    meta: dict[str, Any],
    paths: Sequence[str | Path],
    out_dir: str | Path,
    tile: int | None = None,
) -> list[dict[str, Any]]:
    """For each image, at its own size: the predicted mask as an index PNG (the palette of the
    overlays) and the overlay PNG in out_dir, and the fraction of pixels of each class."""
    classes = meta.get("classes") or [str(i) for i in range(meta["num_classes"])]
    out_dir = Path(out_dir)
    device = next(model.parameters()).device
    model.eval()
    colours = palette(len(classes))
    results = []
    for path in paths:
        array = decode_image(path, meta["in_chans"])
        image = torch.from_numpy(np.array(array)).permute(2, 0, 1)[None]
        x = normalize(image, torch.tensor(meta["mean"]), torch.tensor(meta["std"])).to(device)
        mask = dense_logits(model, x, tile).argmax(1)[0].cpu().numpy().astype(np.uint8)
        indexed = Image.fromarray(mask, mode="L").convert("P")
        indexed.putpalette(colours.ravel().tolist())
        stem = Path(path).stem
        mask_path, overlay_path = out_dir / f"{stem}_mask.png", out_dir / f"{stem}_overlay.png"
        atomic_write_bytes(mask_path, _png(indexed))
        atomic_write_bytes(overlay_path, _png(Image.fromarray(overlay(as_rgb(image[0]), mask, len(classes)))))
        counts = np.bincount(mask.ravel(), minlength=len(classes)) / mask.size
        results.append(
            {
                "image": str(path),
                "mask": str(mask_path),
                "overlay": str(overlay_path),
                "pixels": {c: float(f) for c, f in zip(classes, counts, strict=True)},
            }
        )
    return results
