"""Per-image pipelines for image folders: albumentations when installed, a plain Pillow path otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PIL import Image

log = logging.getLogger("convzoo.data")
Pipeline = Callable[[np.ndarray], np.ndarray]
PairPipeline = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def albumentations_available() -> bool:
    """True when the optional `albumentations` package (pip install "convzoo[aug]") imports."""
    try:
        import albumentations  # noqa: F401
    except ImportError:
        return False
    return True


# interpolation names (torchvision's and timm's) -> OpenCV's flags, which albumentations takes
CV2_INTERPOLATION = {"nearest": 0, "bilinear": 1, "bicubic": 2}
PIL_INTERPOLATION = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}


def build_pipeline(
    size: int, train: bool, resize: int | None = None, interpolation: str = "bilinear"
) -> Pipeline:
    """HWC uint8 -> size x size HWC uint8: random-resized crop, flip, colour jitter, rotation for
    training; for evaluation a resize of the shorter side to `resize` (default size * 8/7; a
    library release's own, see convzoo.preprocessing) by `interpolation`, then a centre crop."""
    if not albumentations_available():
        if train:
            log.warning(
                "albumentations is not installed (pip install 'convzoo[aug]'): training without augmentation"
            )
        side = resize or size * 8 / 7
        return lambda image, seed=None: _resize_centre_crop(image, size, side, interpolation)
    compose = _compose(size, train, resize, interpolation)

    def apply(image: np.ndarray, seed: int | None = None) -> np.ndarray:
        seed_compose(compose, seed)
        return compose(image=image)["image"]

    return apply


def item_seed(seed: int, index: int) -> int:
    """The augmentation seed of item `index` in a run seeded with `seed`: one per image, so the
    draws do not depend on the order items are read in or on which loader process reads them."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def seed_compose(compose, seed: int | None) -> None:
    """Seed an albumentations Compose: it draws from its own generator, not Python's or numpy's
    global ones, so seeding those leaves a run's augmentation unrepeatable. None: leave it."""
    if seed is not None:
        compose.set_random_seed(seed)


def build_pair_pipeline(size: int, train: bool) -> PairPipeline:
    """As build_pipeline for an image and its segmentation mask together: the geometric operations
    move both alike (nearest-neighbour for the mask), colour jitter touches the image only.
    Needs albumentations (pip install "convzoo[aug]")."""
    if not albumentations_available():
        raise ImportError('segmentation pipelines need albumentations: pip install "convzoo[aug]"')
    compose = _compose(size, train)

    def apply(image: np.ndarray, mask: np.ndarray, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        seed_compose(compose, seed)
        out = compose(image=image, mask=mask)
        return out["image"], out["mask"]

    return apply


def _compose(size: int, train: bool, resize: int | None = None, interpolation: str = "bilinear"):
    import albumentations as A

    if train:
        ops = [
            A.RandomResizedCrop(size=(size, size), scale=(0.25, 1.0)),
            A.HorizontalFlip(),
            A.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.3, hue=0.05, p=0.8),
            A.Rotate(limit=10, p=0.3),
        ]
    else:
        flag = CV2_INTERPOLATION[interpolation]
        ops = [
            A.SmallestMaxSize(max_size=resize or size * 8 // 7, interpolation=flag),
            A.CenterCrop(height=size, width=size),
        ]
    return A.Compose(ops)


def _resize_centre_crop(image: np.ndarray, size: int, resize: float, interpolation: str) -> np.ndarray:
    pil = Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image)
    scale = resize / min(pil.size)
    pil = pil.resize(
        (max(size, round(pil.width * scale)), max(size, round(pil.height * scale))),
        PIL_INTERPOLATION[interpolation],
    )
    left, top = (pil.width - size) // 2, (pil.height - size) // 2
    out = np.asarray(pil.crop((left, top, left + size, top + size)))
    return out[..., None] if out.ndim == 2 else out
