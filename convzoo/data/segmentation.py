"""Segmentation data in memory: images with their class masks (and weight maps), served as batches.

A batch is (x, DenseTarget(mask, weight)): normalised images N x C x H x W, int64 masks N x H x W
(255: ignored) and, when the run uses one, U-Net's weight map N x H x W. Augmentation moves image,
mask and weight map together (albumentations' ElasticTransform, the paper's main augmentation,
Sec. 3.1, and flips), seeded from the run's generator so that runs repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import torch
from torch.nn import functional as F

from .errors import DataError
from .tensors import Batches, Plan, Split, normalize

SEG_AUGMENT_PRESETS = ("none", "flip", "elastic")


class DenseTarget(NamedTuple):
    """The target of a segmentation batch: class masks N x H x W and an optional weight map."""

    mask: torch.Tensor
    weight: torch.Tensor | None = None

    def to(self, device: torch.device | str, non_blocking: bool = False) -> DenseTarget:
        return DenseTarget(
            self.mask.to(device, non_blocking=non_blocking),
            None if self.weight is None else self.weight.to(device, non_blocking=non_blocking),
        )


@dataclass(frozen=True)
class SegAugment:
    """Per-image augmentation of image, mask and weight map together (albumentations).

    `elastic` > 0: ElasticTransform with displacements smoothed over `elastic` of the image side
    (a coarse field, as the paper's 3x3 grid), of about `alpha` pixels; flips in both directions.
    """

    elastic: float = 0.0
    flip: bool = False

    @classmethod
    def preset(cls, name: str, image_size: int) -> SegAugment:
        """'none', 'flip' (horizontal and vertical) or 'elastic' (elastic deformation and flips)."""
        if name not in SEG_AUGMENT_PRESETS:
            raise ValueError(
                f"unknown segmentation augmentation {name!r}; "
                f"expected one of {', '.join(SEG_AUGMENT_PRESETS)}"
            )
        return {"none": cls(), "flip": cls(flip=True), "elastic": cls(elastic=1 / 6, flip=True)}[name]

    @property
    def active(self) -> bool:
        return self.elastic > 0 or self.flip

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """One seed per image (n x 1): the image's transform is drawn from it."""
        return torch.randint(0, 2**31 - 1, (n, 1), generator=generator)

    def compose(self, size: int):
        try:
            import albumentations as A
            import cv2
        except ImportError:
            raise ValueError(
                "segmentation augmentation needs albumentations: "
                'pip install "convzoo[seg]" (or --augment none)'
            ) from None

        ops = []
        if self.elastic > 0:
            sigma = self.elastic * size
            # Simard's field: uniform noise smoothed by a Gaussian of sigma, times alpha; alpha = 3
            # sigma gives displacements of about a twentieth of the side (10 px on 200, Sec. 3.1's scale)
            ops.append(
                A.ElasticTransform(alpha=3 * sigma, sigma=sigma, border_mode=cv2.BORDER_REFLECT_101, p=1.0)
            )
        if self.flip:
            ops += [A.HorizontalFlip(), A.VerticalFlip()]
        return A.Compose(ops, additional_targets={"weight": "mask"})

    def apply(
        self, images: torch.Tensor, masks: torch.Tensor, weights: torch.Tensor | None, seeds: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The batch transformed image by image, each from its seed."""
        compose = self.compose(images.shape[-1])
        out_i, out_m, out_w = [], [], []
        for k in range(len(images)):
            compose.set_random_seed(int(seeds[k, 0]))
            args = dict(image=images[k].permute(1, 2, 0).numpy(), mask=masks[k].numpy())
            if weights is not None:
                args["weight"] = weights[k].numpy()
            out = compose(**args)
            out_i.append(
                torch.from_numpy(np.ascontiguousarray(out["image"]).reshape(*out["image"].shape[:2], -1))
            )
            out_m.append(torch.from_numpy(np.ascontiguousarray(out["mask"])))
            if weights is not None:
                out_w.append(torch.from_numpy(np.ascontiguousarray(out["weight"])))
        return (
            torch.stack(out_i).permute(0, 3, 1, 2).contiguous(),
            torch.stack(out_m),
            torch.stack(out_w) if weights is not None else None,
        )


@dataclass
class SegSplit(Split):
    """uint8 images N x C x H x W, uint8 class masks N x H x W (255 ignored), optional uint8/int
    instance masks N x H x W (0 background) and float weight maps N x H x W."""

    images: torch.Tensor
    masks: torch.Tensor
    instances: torch.Tensor | None = None
    weights: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4:
            raise DataError(
                f"images must be uint8 N x C x H x W, got {self.images.dtype} {tuple(self.images.shape)}"
            )
        if self.masks.shape != (len(self.images), *self.images.shape[-2:]):
            raise DataError(
                f"masks must be N x H x W = {(len(self.images), *self.images.shape[-2:])}, "
                f"got {tuple(self.masks.shape)}"
            )

    def __len__(self) -> int:
        return len(self.images)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def resized(self, size: int) -> SegSplit:
        """Images resized (bilinear), masks and instances nearest-neighbour; weight maps dropped."""
        if self.image_size == size and self.images.shape[-2] == size:
            return self

        def nearest(t: torch.Tensor | None) -> torch.Tensor | None:
            if t is None:
                return None
            return F.interpolate(t[:, None].float(), size=(size, size), mode="nearest")[:, 0].to(t.dtype)

        # resized, never padded (fit_to_size pads a few pixels short), so that image and mask stay aligned
        images = F.interpolate(self.images.float(), size=(size, size), mode="bilinear", antialias=True)
        images = images.round().clamp(0, 255).to(torch.uint8)
        return SegSplit(images, nearest(self.masks), nearest(self.instances))

    def subset(self, count: int | None, seed: int = 0) -> SegSplit:
        """The first `count` items (generated data, already mixed; `seed` for a uniform interface)."""
        if count is None:
            return self

        def head(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t[:count]

        return SegSplit(self.images[:count], self.masks[:count], head(self.instances), head(self.weights))

    def with_weights(self, weights: torch.Tensor | None) -> SegSplit:
        return replace(self, weights=weights)

    def serve(self, plan: Plan, mean: torch.Tensor, std: torch.Tensor, augment: SegAugment | None) -> Batches:
        for idx, params in plan:
            images, masks = self.images[idx], self.masks[idx]
            weights = self.weights[idx] if self.weights is not None else None
            if params is not None:
                images, masks, weights = augment.apply(images, masks, weights, params)
            yield normalize(images, mean, std), DenseTarget(masks.long(), weights)
