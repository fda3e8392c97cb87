"""The paper's augmentation with boxes (Section 2.2): "random scaling and translations of up to 20%
of the original image size", and exposure and saturation scaled "by up to a factor of 1.5 in the
HSV color space", through albumentations' bounding-box support, seeded per image."""

from __future__ import annotations

import numpy as np

from ...detection.boxes import BoxTargets
from ..errors import DataError
from .records import DetectionRecord


def _albumentations():
    try:
        import albumentations as A
    except ImportError as e:
        raise DataError("detection augmentation needs albumentations: pip install 'convzoo[detect]'") from e
    return A


def hsv_scale_transform(factor: float = 1.5):
    """An albumentations transform scaling S and V (saturation and exposure) of an RGB image by
    independent factors drawn log-uniformly in [1/factor, factor], as darknet does."""
    import cv2

    A = _albumentations()

    class HSVScale(A.ImageOnlyTransform):
        def get_params_dependent_on_data(self, params, data):
            log = np.log(factor)
            return {
                "saturation": float(np.exp(self.py_random.uniform(-log, log))),
                "exposure": float(np.exp(self.py_random.uniform(-log, log))),
            }

        def apply(self, img, saturation=1.0, exposure=1.0, **params):
            hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
            hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0, 255)
            hsv[..., 2] = np.clip(hsv[..., 2] * exposure, 0, 255)
            return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)

    return HSVScale(p=1.0)


class YoloAugment:
    """Callable (image, record, seed) -> (augmented image, BoxTargets) for DetectionSplit.batches.

    Boxes are normalised corners ("albumentations" format); a box that leaves the image is clipped,
    and dropped when less than `min_visibility` of it stays in view.
    """

    def __init__(
        self, scale: float = 0.2, translate: float = 0.2, hsv: float = 1.5, min_visibility: float = 0.25
    ):
        A = _albumentations()
        self.compose = A.Compose(
            [
                A.Affine(scale=(1 - scale, 1 + scale), translate_percent=(-translate, translate), p=1.0),
                hsv_scale_transform(hsv),
            ],
            bbox_params=A.BboxParams(
                format="albumentations",
                label_fields=["labels", "difficult"],
                min_visibility=min_visibility,
                clip=True,
            ),
        )

    def __call__(
        self, image: np.ndarray, record: DetectionRecord, seed: int
    ) -> tuple[np.ndarray, BoxTargets]:
        t = record.targets()
        boxes = t.boxes.clamp(0, 1).numpy()
        keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        self.compose.set_random_seed(seed)
        out = self.compose(
            image=image,
            bboxes=boxes[keep],
            labels=t.labels.numpy()[keep],
            difficult=t.difficult.numpy()[keep],
        )
        bboxes = np.asarray(out["bboxes"], dtype=np.float32).reshape(-1, 4)
        targets = BoxTargets(bboxes, np.asarray(out["labels"]), np.asarray(out["difficult"]))
        return out["image"], targets
