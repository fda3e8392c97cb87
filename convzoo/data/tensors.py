"""Image sets held in memory as uint8 tensors, served as normalised float batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from .augment import BatchAugment
from .errors import DataError


def fit_to_size(images: torch.Tensor, size: int) -> torch.Tensor:
    """Bring images to size x size: zero-pad when a few pixels short (MNIST 28 -> LeNet's 32), else resize."""
    h, w = images.shape[-2:]
    if (h, w) == (size, size):
        return images
    if h == w and 0 < size - h <= 8:
        lo = (size - h) // 2
        return F.pad(images, (lo, size - h - lo, lo, size - h - lo))
    dtype = images.dtype
    out = F.interpolate(
        images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )
    return out.round().clamp(0, 255).to(dtype) if dtype == torch.uint8 else out


def normalize(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 N x C x H x W -> float, scaled to [0, 1] then standardised per channel."""
    return images.float().div_(255).sub_(mean.view(1, -1, 1, 1)).div_(std.view(1, -1, 1, 1))


Batches = Iterator[tuple[torch.Tensor, torch.Tensor]]
Plan = Iterator[tuple[torch.Tensor, torch.Tensor | None]]


class Split:
    """What the trainer iterates: normalised (x, y) batches, shuffled, augmented and sharded."""

    def __len__(self) -> int:
        raise NotImplementedError

    def serve(
        self, plan: Plan, mean: torch.Tensor, std: torch.Tensor, augment: BatchAugment | None
    ) -> Batches:
        """The batches of a plan (see plan_batches)."""
        raise NotImplementedError

    def batches(
        self,
        batch_size: int,
        mean: torch.Tensor,
        std: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        augment: BatchAugment | None = None,
        rank: int = 0,
        world: int = 1,
    ) -> Batches:
        """Normalised (x, y) batches; shuffled and augmented when a generator is given.

        With world > 1 each global batch is split across ranks (rank r takes items r, r+world, ...),
        like DistributedSampler, so N ranks at batch B/N see what one process sees at batch B.
        """
        return self.serve(
            plan_batches(len(self), batch_size, generator, augment, rank, world), mean, std, augment
        )


def plan_batches(
    n: int,
    batch_size: int,
    generator: torch.Generator | None,
    augment: BatchAugment | None,
    rank: int,
    world: int,
) -> Plan:
    """(indices, augmentation parameters) of this rank's share of each global batch."""
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        if generator is not None and len(idx) < world:
            break  # training: no rank may get an empty batch (evaluation keeps every item)
        params = augment.sample(len(idx), generator) if augment and augment.active and generator else None
        if world > 1:
            idx = idx[rank::world]
            params = params[rank::world] if params is not None else None
            if not len(idx):
                continue
        yield idx, params


@dataclass
class ArraySplit(Split):
    """One split of an in-memory dataset: uint8 images N x C x H x W and int64 labels N."""

    images: torch.Tensor
    labels: torch.Tensor

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4:
            raise DataError(
                f"images must be uint8 N x C x H x W, got {self.images.dtype} {tuple(self.images.shape)}"
            )
        if len(self.images) != len(self.labels):
            raise DataError(f"{len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def check_labels(self, num_classes: int, source: str) -> None:
        """Raise DataError naming `source` if a label is outside 0..num_classes-1."""
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= num_classes):
            bad = int(((self.labels < 0) | (self.labels >= num_classes)).nonzero()[0])
            raise DataError(
                f"{source}: label {int(self.labels[bad])} at index {bad} is out of range 0..{num_classes - 1}"
            )

    def resized(self, size: int) -> ArraySplit:
        """The split with every image brought to size x size (see fit_to_size)."""
        return ArraySplit(fit_to_size(self.images, size), self.labels)

    def subset(self, count: int | None, seed: int = 0) -> ArraySplit:
        """The first `count` items (all when None). The named datasets' files come shuffled, so
        their first items are already a mixed sample; `seed` is for a uniform interface."""
        return self if count is None else ArraySplit(self.images[:count], self.labels[:count])

    def serve(
        self, plan: Plan, mean: torch.Tensor, std: torch.Tensor, augment: BatchAugment | None
    ) -> Batches:
        """Normalised (x, y) batches, augmented by the plan's parameters."""
        for idx, params in plan:
            images = self.images[idx]
            if params is not None:
                images = augment.apply(images, params)
            yield normalize(images, mean, std), self.labels[idx]
