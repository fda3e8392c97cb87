"""Batched augmentation of in-memory image tensors: random crop with padding, flips, translation.

Small images make per-image pipelines slow (Python per sample dominates), so these work on a whole
uint8 batch at once. Random parameters are drawn for the global batch, then applied to any slice of
it, so that DDP ranks see exactly the images a single process would.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

AUGMENT_PRESETS = ("none", "translate", "crop-flip", "flip")


@dataclass(frozen=True)
class BatchAugment:
    """A batched augmentation: shift by up to `shift` pixels (crop of a zero-padded image), flip."""

    shift: int = 0
    hflip: bool = False

    @classmethod
    def preset(cls, name: str, image_size: int) -> BatchAugment:
        """'none', 'translate' (+-2 px), 'crop-flip' (pad 1/8 of the size, then crop; flip), 'flip'."""
        if name not in AUGMENT_PRESETS:
            raise ValueError(f"unknown augmentation {name!r}; expected one of {', '.join(AUGMENT_PRESETS)}")
        return {
            "none": cls(),
            "translate": cls(shift=2),
            "crop-flip": cls(shift=max(1, image_size // 8), hflip=True),
            "flip": cls(hflip=True),
        }[name]

    @property
    def active(self) -> bool:
        return self.shift > 0 or self.hflip

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Random parameters for n images: columns (dy, dx, flip)."""
        shifts = torch.randint(-self.shift, self.shift + 1, (n, 2), generator=generator)
        flips = torch.randint(0, 2 if self.hflip else 1, (n, 1), generator=generator)
        return torch.cat([shifts, flips], 1)

    def apply(self, images: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Shift (zero fill) and flip a N x C x H x W batch by per-image parameters from sample()."""
        if self.shift > 0:
            images = translate(images, params[:, 0], params[:, 1], self.shift)
        if self.hflip:
            flip = params[:, 2].bool().view(-1, 1, 1, 1)
            images = torch.where(flip, images.flip(-1), images)
        return images


def translate(images: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, pad: int) -> torch.Tensor:
    """Per-image shift by (dy, dx) with |d| <= pad: a crop of the zero-padded batch, gathered at once."""
    n, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (pad, pad, pad, pad))
    rows = (pad - dy).view(n, 1) + torch.arange(h).view(1, h)  # N x H
    cols = (pad - dx).view(n, 1) + torch.arange(w).view(1, w)  # N x W
    batch = torch.arange(n).view(n, 1, 1)
    out = padded.permute(0, 2, 3, 1)[batch, rows.view(n, h, 1), cols.view(n, 1, w)]  # N x H x W x C
    return out.permute(0, 3, 1, 2).contiguous()
