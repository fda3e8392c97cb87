"""Detection datasets: Pascal VOC, COCO and YOLO-txt readers, generated shapes-detect, the paper's
augmentation with boxes."""

from .augment import YoloAugment
from .coco import read_coco
from .loading import SHAPES_DETECT, load_detection
from .records import DetectionDataset, DetectionRecord, DetectionSplit
from .shapes_detect import make_shapes_detect
from .voc import VOC_CLASSES, read_voc
from .yolo_txt import read_yolo_labels

__all__ = [
    "SHAPES_DETECT",
    "VOC_CLASSES",
    "DetectionDataset",
    "DetectionRecord",
    "DetectionSplit",
    "YoloAugment",
    "load_detection",
    "make_shapes_detect",
    "read_coco",
    "read_voc",
    "read_yolo_labels",
]
