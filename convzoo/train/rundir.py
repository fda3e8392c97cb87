"""The run directory: config.yaml, metrics.jsonl/.csv, curves and confusion PNGs, checkpoints, state."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io import atomic_write_bytes

METRIC_COLUMNS = (
    "epoch", "lr", "train_loss", "train_top1", "test_loss", "test_top1", "test_top5",
    "train_seconds", "eval_seconds", "elapsed", "images_per_s",
)  # fmt: skip


@dataclass(frozen=True)
class RunDir:
    """Paths inside one run's directory."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def state(self) -> Path:
        """trainer_state.json: epoch, scheduler, history, best; what --resume needs besides tensors."""
        return self.root / "trainer_state.json"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def last(self) -> Path:
        return self.checkpoints / "last.safetensors"

    @property
    def best(self) -> Path:
        return self.checkpoints / "best.safetensors"

    @property
    def resume_tensors(self) -> Path:
        """Training weights, optimizer and EMA tensors of the last completed epoch."""
        return self.checkpoints / "resume.safetensors"

    def write_metrics(self, history: Sequence[dict[str, Any]]) -> None:
        """metrics.jsonl and metrics.csv, one row per completed epoch."""
        lines = "".join(json.dumps({k: row[k] for k in METRIC_COLUMNS}) + "\n" for row in history)
        atomic_write_bytes(self.root / "metrics.jsonl", lines.encode())
        buf = io.StringIO()
        writer = csv.DictWriter(buf, METRIC_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)
        atomic_write_bytes(self.root / "metrics.csv", buf.getvalue().encode())

    def write_state(self, state: dict[str, Any]) -> None:
        atomic_write_bytes(self.state, json.dumps(state, indent=1).encode())

    def read_state(self) -> dict[str, Any]:
        if not self.state.is_file():
            raise FileNotFoundError(
                f"{self.root}: no {self.state.name}; nothing to resume (is it a run directory?)"
            )
        return json.loads(self.state.read_text())
