"""The run directory: config.yaml, metrics, curves and confusion PNGs, and checkpoints committed whole.

Each save is one commit: its files (resume tensors, last and best weights, metrics, trainer state)
are written into a new folder `snapshots/commit-NNNNNN-epoch-EEEE.tmp`, synced, and the folder is
renamed to its final name (the commit); then the `checkpoints` link is switched to it and the older
snapshot is removed. After any interruption the directory holds the previous commit or the new one,
never a mix: a reader of `checkpoints/` sees one snapshot whole, `--resume` takes the newest
complete snapshot, and the next start removes what an interrupted save left.

    run/
      config.yaml  curves.png  confusion.png  .lock
      checkpoints -> snapshots/commit-000003-epoch-0003
      metrics.csv -> checkpoints/metrics.csv      metrics.jsonl -> checkpoints/metrics.jsonl
      snapshots/commit-000003-epoch-0003/
        trainer_state.json (epoch, history, scheduler, optimizer, sha256 of every file)
        resume.safetensors  last.safetensors  best.safetensors  metrics.csv  metrics.jsonl
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io import fsync_dir, remove_orphans, step, write_synced

METRIC_COLUMNS = (
    "epoch", "lr", "train_loss", "train_top1", "test_loss", "test_top1", "test_top5",
    "train_seconds", "eval_seconds", "elapsed", "images_per_s",
)  # fmt: skip
STATE_NAME = "trainer_state.json"
METRIC_FILES = ("metrics.jsonl", "metrics.csv")
SNAPSHOT = re.compile(r"commit-(\d{6})-epoch-(\d{4})")


class CheckpointError(ValueError):
    """A snapshot's file is missing or does not match the hash its trainer state recorded."""


def metrics_files(
    history: Sequence[dict[str, Any]], columns: Sequence[str] = METRIC_COLUMNS
) -> dict[str, bytes]:
    """metrics.jsonl and metrics.csv, one row per completed epoch (the task's columns)."""
    lines = "".join(json.dumps({k: row[k] for k in columns}) + "\n" for row in history)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return {"metrics.jsonl": lines.encode(), "metrics.csv": buf.getvalue().encode()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relink(link: Path, target: str) -> None:
    """Point `link` at `target` with one rename (a symlink made beside it, then moved over it)."""
    tmp = link.parent / f".{link.name}.{secrets.token_hex(4)}.tmp"
    os.symlink(target, tmp)
    step(f"linked {link.name}")
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    step(f"switched {link.name}")
    fsync_dir(link.parent)


@dataclass(frozen=True)
class RunDir:
    """Paths inside one run's directory, and its checkpoint commits."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def checkpoints(self) -> Path:
        """The link to the current snapshot (a plain folder in run directories of older versions)."""
        return self.root / "checkpoints"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def state(self) -> Path:
        """trainer_state.json: epoch, scheduler, history, best, file hashes; what --resume needs."""
        return self.checkpoints / STATE_NAME

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

    # ---- commits --------------------------------------------------------------------------------

    def complete_snapshots(self) -> list[Path]:
        """Committed snapshot folders, oldest first."""
        if not self.snapshots.is_dir():
            return []
        found = [p for p in self.snapshots.iterdir() if SNAPSHOT.fullmatch(p.name) and p.is_dir()]
        return sorted(found, key=lambda p: p.name)

    def has_run(self) -> bool:
        """Whether a commit exists (a completed epoch), in this layout or the older one."""
        return bool(self.complete_snapshots()) or self.is_legacy()

    def is_legacy(self) -> bool:
        """The layout of older versions: a plain checkpoints/ folder and a trainer_state.json beside it."""
        return (self.root / STATE_NAME).is_file() and not (self.root / STATE_NAME).is_symlink()

    def recover(self) -> list[Path]:
        """Point `checkpoints` at the newest complete commit and delete what interrupted saves left
        (temp files and folders, older snapshots). Call only while holding the run's lock."""
        removed = remove_orphans(self.root)
        if self.snapshots.is_dir():
            for p in self.snapshots.iterdir():
                if not SNAPSHOT.fullmatch(p.name):
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                    removed.append(p)
        snapshots = self.complete_snapshots()
        if not self.is_legacy():
            self._link_metrics()
        if snapshots:
            self._point_at(snapshots[-1])
            for old in snapshots[:-1]:
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old)
        return removed

    def _point_at(self, snapshot: Path) -> None:
        target = f"{self.snapshots.name}/{snapshot.name}"
        link = self.checkpoints
        if not (link.is_symlink() and os.readlink(link) == target):
            if link.is_dir() and not link.is_symlink():  # an older version's folder: the first
                shutil.rmtree(link)  # snapshot holds its files now, so nothing is lost
            _relink(link, target)
        self._link_metrics()

    def _link_metrics(self) -> None:
        """Root-level metrics files: links into checkpoints/ (dangling before the first commit)."""
        for name in METRIC_FILES:
            path = self.root / name
            if not path.is_symlink():
                path.unlink(missing_ok=True)
                _relink(path, f"{self.checkpoints.name}/{name}")

    def commit(
        self,
        epoch: int,
        files: dict[str, bytes],
        state: dict[str, Any],
        keep: Iterable[str] = (),
    ) -> Path:
        """Commit one checkpoint: `files` (name -> bytes), the named files of the current snapshot
        kept (hard links), and the trainer state (with every file's sha256) written last."""
        previous = self.complete_snapshots()
        old_state = self.read_state() if previous or self.is_legacy() else {}
        old_dir = previous[-1] if previous else self.checkpoints
        number = int(SNAPSHOT.fullmatch(previous[-1].name).group(1)) + 1 if previous else 1
        name = f"commit-{number:06d}-epoch-{epoch:04d}"
        self.snapshots.mkdir(parents=True, exist_ok=True)
        tmp = self.snapshots / f".{name}.{secrets.token_hex(4)}.tmp"
        tmp.mkdir()
        try:
            hashes = {}
            for file_name in keep:
                source = old_dir / file_name
                try:
                    os.link(source, tmp / file_name)
                except OSError:  # a file system without hard links: a copy
                    shutil.copy2(source, tmp / file_name)
                step(f"kept {file_name}")
                hashes[file_name] = old_state.get("files", {}).get(file_name) or file_sha256(source)
            for file_name, data in files.items():
                write_synced(tmp / file_name, data)
                hashes[file_name] = sha256(data)
            doc = {**state, "epoch": epoch, "files": hashes}
            write_synced(tmp / STATE_NAME, json.dumps(doc, indent=1).encode())
            fsync_dir(tmp)
            final = self.snapshots / name
            os.replace(tmp, final)  # the commit
        except OSError as e:  # no space, read-only ...: the previous commit stays whole
            shutil.rmtree(tmp, ignore_errors=True)
            raise type(e)(
                e.errno, f"{e.strerror} (the last complete checkpoint is kept)", str(self.root)
            ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        step(f"committed {name}")
        fsync_dir(self.snapshots)
        self._point_at(final)
        for old in previous:
            shutil.rmtree(old, ignore_errors=True)
            step(f"removed {old.name}")
        if self.is_legacy():
            (self.root / STATE_NAME).unlink()
        return final

    # ---- reading --------------------------------------------------------------------------------

    def state_path(self) -> Path:
        """The newest commit's trainer_state.json (also before `checkpoints` is repaired)."""
        snapshots = self.complete_snapshots()
        if snapshots:
            return snapshots[-1] / STATE_NAME
        return self.root / STATE_NAME  # older layout

    def read_state(self) -> dict[str, Any]:
        """The newest commit's trainer state."""
        path = self.state_path()
        if not path.is_file():
            raise FileNotFoundError(
                f"{self.root}: no completed epoch to resume (no {STATE_NAME}; is it a run directory?)"
            )
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise CheckpointError(f"{path}: unreadable trainer state ({e}); start a new run") from None
        if not isinstance(state, dict) or "epoch" not in state:
            raise CheckpointError(f"{path}: not a convzoo trainer state; start a new run")
        return state

    def verified(self, file_name: str, state: dict[str, Any]) -> Path:
        """The newest commit's file, checked against the sha256 its trainer state recorded."""
        folder = self.state_path().parent
        path = folder / file_name if folder != self.root else self.checkpoints / file_name
        if not path.is_file():
            raise CheckpointError(f"{path}: missing from the run's last commit; start a new run")
        expected = state.get("files", {}).get(file_name)
        if expected is not None and file_sha256(path) != expected:
            raise CheckpointError(
                f"{path}: contents do not match the hash in {STATE_NAME} (the file was changed or "
                "damaged); start a new run or restore the file"
            )
        return path

    def killed_before_config(self) -> bool:
        """Whether a run was killed before it wrote config.yaml: the folder holds nothing but its lock,
        the temp files of interrupted writes and the metrics links that point at no commit yet, so
        resuming it means starting it again."""
        from .lock import LOCK_NAME

        def leftover(p: Path) -> bool:
            dangling_metrics = p.name in METRIC_FILES and p.is_symlink() and not p.exists()
            return p.name == LOCK_NAME or dangling_metrics or (p.name[0] == "." and p.name.endswith(".tmp"))

        return self.root.is_dir() and not self.config.exists() and all(map(leftover, self.root.iterdir()))

    def saved_config(self) -> dict[str, Any]:
        """The settings a run was started with: its newest commit's, else config.yaml's (none for a
        run killed before it wrote them: the command line's settings start it again)."""
        if self.has_run():
            return self.read_state()["config"]
        from .config import read_config_file

        if self.killed_before_config():
            return {}
        if not self.config.is_file():
            raise FileNotFoundError(
                f"{self.root}: not a run directory (no {self.config.name}); nothing to resume"
            )
        return read_config_file(self.config)
