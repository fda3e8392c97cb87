"""convzoo: the convolutional networks that shaped computer vision, faithful to their papers."""

from .analysis import summary
from .cards import ModelCard, Paper, PaperResult
from .contract import Classifier, ClassifierOutput, DensePredictor
from .registry import UnknownModelError, create_model, list_models, model_card
from .weights import LoadReport, WeightsMismatchError, load_weights

__version__ = "0.1.0"

__all__ = [
    "Classifier",
    "ClassifierOutput",
    "DensePredictor",
    "LoadReport",
    "ModelCard",
    "Paper",
    "PaperResult",
    "UnknownModelError",
    "WeightsMismatchError",
    "__version__",
    "create_model",
    "list_models",
    "load_weights",
    "model_card",
    "summary",
]
