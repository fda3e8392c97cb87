"""Numbers that explain a model: per-layer summaries with MACs, receptive fields and memory."""

from .macs import count_macs, mac_counter
from .receptive_field import AxisField, ReceptiveFieldMode
from .summary import LayerRow, ModelSummary, summarize_registered, summary

__all__ = [
    "AxisField",
    "LayerRow",
    "ModelSummary",
    "ReceptiveFieldMode",
    "count_macs",
    "mac_counter",
    "summarize_registered",
    "summary",
]
