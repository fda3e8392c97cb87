"""Numbers that explain a model: per-layer summaries (and more as analysis grows)."""

from .summary import LayerRow, ModelSummary, summary

__all__ = ["LayerRow", "ModelSummary", "summary"]
