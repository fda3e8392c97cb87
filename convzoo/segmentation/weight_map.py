"""U-Net's weight map (Ronneberger et al. 2015, Sec. 3, Eq. 2), from class and instance masks.

    w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))^2 / (2 sigma^2))

w_c balances the class frequencies; d1 and d2 are the distances from pixel x to the nearest and
the second-nearest object (instance). The paper uses w0 = 10 and sigma of about 5 pixels, and
pre-computes the map for every ground-truth segmentation, so that the thin background borders
between touching objects weigh heavily in the loss and the objects are separated. The border
term is put on background pixels only (inside an object both distances would count that
object's own edge); with fewer than two objects it is zero. Distances are SciPy's exact
Euclidean distance transform.
"""

from __future__ import annotations

import numpy as np

IGNORE_INDEX = 255


def class_weights(masks: np.ndarray, num_classes: int, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """w_c per class: inverse frequency, scaled so that the average pixel weighs 1 (absent classes: 1)."""
    labels = masks[masks != ignore_index].astype(np.int64).ravel()
    counts = np.bincount(labels, minlength=num_classes)[:num_classes].astype(np.float64)
    weights = np.ones(num_classes)
    present = counts > 0
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights


def border_weights(instances: np.ndarray, w0: float = 10.0, sigma: float = 5.0) -> np.ndarray:
    """The separation term w0 * exp(-(d1 + d2)^2 / 2 sigma^2) of one H x W instance mask
    (0 background, k > 0 the objects), on background pixels; float32 H x W."""
    try:
        from scipy.ndimage import distance_transform_edt
    except ImportError:
        raise ValueError(
            'the weight map needs SciPy: pip install "convzoo[seg]" (or --no-weight-map)'
        ) from None

    ids = [i for i in np.unique(instances) if i != 0]
    out = np.zeros(instances.shape, dtype=np.float32)
    if len(ids) < 2 or w0 == 0:
        return out
    # distance from every pixel to each object; the two smallest per pixel are d1 and d2
    distances = np.stack([distance_transform_edt(instances != i) for i in ids])
    distances.partition(1, axis=0)
    d1, d2 = distances[0], distances[1]
    term = w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2))
    background = instances == 0
    out[background] = term[background]
    return out


def unet_weight_map(
    mask: np.ndarray,
    instances: np.ndarray | None,
    class_w: np.ndarray,
    w0: float = 10.0,
    sigma: float = 5.0,
    ignore_index: int = IGNORE_INDEX,
) -> np.ndarray:
    """w(x) for one H x W class mask: w_c of each pixel's class plus the border term of its
    instances (none when `instances` is None); ignored pixels weigh 0."""
    labels = np.where(mask == ignore_index, 0, mask).astype(np.int64)
    weights = class_w[labels].astype(np.float32)
    if instances is not None:
        weights += border_weights(instances, w0, sigma)
    weights[mask == ignore_index] = 0.0
    return weights
