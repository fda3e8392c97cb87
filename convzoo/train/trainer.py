"""The training loop: in-memory batches, AMP/channels_last/EMA/clipping options, checkpoints, exact resume."""

from __future__ import annotations

import contextlib
import math
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from ..contract import ClassifierOutput
from ..data import BatchAugment, Dataset, FolderSplit, load_dataset
from ..registry import create_model, model_card
from ..transfer.setup import prepare_transfer
from .checkpoint import (
    optimizer_state,
    optimizer_tensors,
    prefixed,
    read_meta,
    read_tensors,
    tensors_bytes,
    unprefixed,
)
from .config import TrainConfig, write_config
from .distributed import DistContext
from .lock import RunLock
from .metrics import evaluate
from .plots import plot_confusion, plot_curves
from .rundir import CheckpointError, RunDir, metrics_files
from .schedule import build_optimizer, build_scheduler

Callback = Callable[[dict[str, Any], nn.Module], None]


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the run stopped and its last good checkpoint is kept."""


@dataclass
class TrainResult:
    """What a run produced: its history, final test metrics and where it wrote them."""

    config: TrainConfig
    model: nn.Module
    history: list[dict[str, Any]]
    final: dict[str, Any]
    classes: list[str]
    seconds: float
    run_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def checkpoint(self) -> Path | None:
        return RunDir(self.run_dir).last if self.run_dir else None

    def summary(self) -> dict[str, Any]:
        """The CLI's JSON: model, dataset, epochs, seconds, top1, top5 (test fractions), checkpoint..."""
        best = max(self.history, key=lambda r: r["test_top1"]) if self.history else {}
        return {
            "model": self.config.model,
            "dataset": self.config.data,
            "epochs": len(self.history),
            "seconds": round(self.seconds, 3),
            "top1": self.final.get("top1"),
            "top5": self.final.get("top5"),
            "loss": self.final.get("loss"),
            "best_top1": best.get("test_top1"),
            "best_epoch": best.get("epoch"),
            "images_per_s": round(
                sum(r["images_per_s"] for r in self.history) / max(1, len(self.history)), 1
            ),
            "checkpoint": str(self.checkpoint) if self.checkpoint else None,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            **self.extra,
        }


def resolve_device(name: str) -> torch.device:
    """'auto' -> cuda when available, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def input_size_for(model: nn.Module, dataset: Dataset, requested: int | None) -> int:
    """The square input side: requested, else the dataset's brought up to the model's minimum."""
    if requested:
        return requested
    if dataset.image_size is None:
        return int(model.default_input_size[-1])
    return max(dataset.image_size, int(getattr(model, "min_input_size", 1)))


def steps_per_epoch(n: int, batch_size: int, world: int) -> int:
    """Optimizer steps in one pass over n items (a last batch smaller than the world size is dropped)."""
    return n // batch_size + (1 if n % batch_size >= max(1, world) else 0)


class Trainer:
    """Trains cfg.model on cfg.data; writes a run directory (rank 0) when `out` is given."""

    def __init__(
        self,
        cfg: TrainConfig,
        out: str | Path | None = None,
        *,
        dataset: Dataset | None = None,
        callbacks: Sequence[Callback] = (),
        log: Callable[[str], None] = print,
    ) -> None:
        self.cfg, self.callbacks = cfg, list(callbacks)
        self.device = resolve_device(cfg.device)
        self.dist = DistContext.from_env(self.device)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.run = RunDir(Path(out)) if out is not None else None
        self.log = log if self.dist.is_main else (lambda _msg: None)
        card = model_card(cfg.model)
        ds = dataset or load_dataset(
            cfg.data, cfg.data_dir, download=cfg.download, seed=cfg.seed, in_chans=card.input_size[0]
        )
        ds = replace(ds, train=ds.train.subset(cfg.train_limit), test=ds.test.subset(cfg.test_limit))
        if isinstance(ds.train, FolderSplit):  # decoding processes for image files
            ds = replace(
                ds, train=replace(ds.train, workers=cfg.workers), test=replace(ds.test, workers=cfg.workers)
            )
        torch.manual_seed(cfg.seed)
        self.model = create_model(cfg.model, num_classes=ds.num_classes, in_chans=ds.in_chans)
        lr_groups = prepare_transfer(self.model, cfg, self.log)
        self.data_size = ds.image_size
        self.size = input_size_for(self.model, ds, cfg.image_size)
        self.dataset = ds.resized(self.size) if ds.image_size != self.size else ds
        self.mean, self.std = self.dataset.stats()
        preset = self.dataset.augment if cfg.augment == "auto" else cfg.augment
        self.augment = BatchAugment.preset(preset, self.size)
        self.memory_format = torch.channels_last if cfg.channels_last else torch.preserve_format
        self.model.to(self.device, memory_format=self.memory_format)
        self.net: nn.Module = self.model
        if self.dist.world > 1:
            # Size-1 dimensions (a 1-channel conv's weight) make strides ambiguous: DDP's warning is noise.
            warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
            self.net = nn.parallel.DistributedDataParallel(self.model)
        self.steps = steps_per_epoch(len(self.dataset.train), cfg.batch_size, self.dist.world)
        self.optimizer = build_optimizer(self.model, cfg, lr_groups)
        self.scheduler = build_scheduler(self.optimizer, cfg, self.steps)
        self.ema = None
        if cfg.ema_decay > 0:
            from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

            self.ema = AveragedModel(
                self.model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True
            )
        self.history: list[dict[str, Any]] = []
        self.last_eval: dict[str, Any] = {}

    # ---- the loop -------------------------------------------------------------------------------

    @property
    def eval_model(self) -> nn.Module:
        return self.ema.module if self.ema is not None else self.model

    def autocast(self) -> contextlib.AbstractContextManager:
        """bfloat16 autocast when cfg.bf16, else nothing (entering a disabled autocast still costs)."""
        if self.cfg.bf16:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.device, non_blocking=True, memory_format=self.memory_format)

    def loss_and_logits(
        self, out: torch.Tensor | ClassifierOutput, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy of the logits plus the model's weighted auxiliary-classifier losses."""
        smoothing = self.cfg.label_smoothing
        if isinstance(out, ClassifierOutput):
            loss = F.cross_entropy(out.logits.float(), y, label_smoothing=smoothing)
            for weight, aux in zip(self.model.aux_loss_weights, out.aux_logits, strict=True):
                loss = loss + weight * F.cross_entropy(aux.float(), y, label_smoothing=smoothing)
            return loss, out.logits
        return F.cross_entropy(out.float(), y, label_smoothing=smoothing), out

    def check_finite(self, loss: float, epoch: int, step: int) -> None:
        """Raise NonFiniteLossError if the loss (on any rank) is NaN or infinite."""
        bad = not math.isfinite(loss)
        if self.dist.world > 1:  # every rank must stop together
            bad = bool(self.dist.all_reduce(torch.tensor(int(bad))))
        if bad:
            kept = (
                f"; the last good checkpoint (epoch {self.history[-1]['epoch']}) is kept"
                if self.history
                else ""
            )
            where = f" at {self.run.last}" if self.run and self.history else ""
            raise NonFiniteLossError(
                f"loss became {loss:g} at epoch {epoch}, step {step + 1}: "
                f"training stopped{kept}{where}. "
                "Lower --lr or set grad_clip."
            )

    def train_epoch(self, epoch: int) -> dict[str, Any]:
        """One pass over the training split; returns the epoch's training metrics."""
        cfg = self.cfg
        epoch_seed = cfg.seed * 100_003 + epoch  # every epoch's randomness is fixed: exact resume
        torch.manual_seed(epoch_seed)
        generator = torch.Generator().manual_seed(epoch_seed)
        self.net.train()
        loss_sum = 0.0
        correct = torch.zeros((), dtype=torch.long, device=self.device)
        seen = 0
        batches = self.dataset.train.batches(
            cfg.batch_size,
            self.mean,
            self.std,
            generator=generator,
            augment=self.augment,
            rank=self.dist.rank,
            world=self.dist.world,
        )
        bar = tqdm(
            batches,
            total=self.steps,
            desc=f"epoch {epoch}/{cfg.epochs}",
            leave=False,
            file=sys.stderr,
            disable=not (self.dist.is_main and sys.stderr.isatty()),
        )
        start = time.perf_counter()
        for step, (x, y) in enumerate(bar):
            x, y = self.prepare(x), y.to(self.device, non_blocking=True)
            with self.autocast():
                out = self.net(x)
            loss, logits = self.loss_and_logits(out, y)
            loss_value = loss.item()  # the step's one synchronisation: metrics and the NaN check
            self.check_finite(loss_value, epoch, step)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            self.optimizer.step()
            self.scheduler.step()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
            loss_sum += loss_value * len(y)
            correct += (logits.detach().argmax(1) == y).sum()
            seen += len(y)
        seconds = time.perf_counter() - start
        totals = self.dist.all_reduce(
            torch.tensor([loss_sum, float(correct), float(seen)], dtype=torch.float64)
        )
        return {
            "train_loss": float(totals[0] / totals[2].clamp(min=1)),
            "train_top1": float(totals[1] / totals[2].clamp(min=1)),
            "train_seconds": seconds,
            "images_per_s": float(totals[2]) / max(seconds, 1e-9),
        }

    def evaluate(self) -> dict[str, Any]:
        """Test-split metrics of the evaluated weights (the EMA when enabled)."""
        batches = self.dataset.test.batches(
            self.cfg.eval_batch_size, self.mean, self.std, rank=self.dist.rank, world=self.dist.world
        )
        with self.autocast():
            return evaluate(
                self.eval_model, batches, self.dataset.num_classes, dist=self.dist, prepare=self.prepare
            )

    def fit(self, resume: bool = False) -> TrainResult:
        """Train for cfg.epochs (continuing a saved run with resume=True) and return the result.

        The run directory is locked for the whole run: a second writer is refused."""
        with self.locked():
            return self._fit(resume)

    @contextlib.contextmanager
    def locked(self):
        """Hold the run directory's lock (rank 0), then repair what an interrupted save left."""
        if not (self.run and self.dist.is_main):
            yield
            return
        created = not self.run.root.exists()
        try:
            lock = RunLock(self.run.root, self.log).acquire()
        except BaseException:
            if created:
                shutil.rmtree(self.run.root, ignore_errors=True)
            raise
        try:
            self.run.recover()
            yield
        finally:
            lock.release()

    def _fit(self, resume: bool) -> TrainResult:
        cfg, start_time = self.cfg, time.perf_counter()
        if resume:
            self.load_resume_state()
        elif self.run and self.dist.is_main and self.run.has_run():
            raise FileExistsError(
                f"{self.run.root} already holds a run; pass --resume to continue it or choose another --out"
            )
        if self.run and self.dist.is_main and not self.history:
            self.run.root.mkdir(parents=True, exist_ok=True)
            write_config(self.run.config, cfg, {"input_size": [self.dataset.in_chans, self.size, self.size]})
        first = len(self.history) + 1
        if first > 1:
            self.log(f"resuming {cfg.model} on {cfg.data} after epoch {first - 1} of {cfg.epochs}")
        try:
            for epoch in range(first, cfg.epochs + 1):
                row = {"epoch": epoch, **self.train_epoch(epoch)}
                eval_start = time.perf_counter()
                self.last_eval = self.evaluate()
                row.update(
                    lr=self.optimizer.param_groups[0]["lr"],
                    test_loss=self.last_eval["loss"],
                    test_top1=self.last_eval["top1"],
                    test_top5=self.last_eval["top5"],
                    eval_seconds=time.perf_counter() - eval_start,
                )
                row["elapsed"] = row["train_seconds"] + (self.history[-1]["elapsed"] if self.history else 0.0)
                self.history.append(row)
                self.log(
                    f"epoch {epoch:>3}/{cfg.epochs}  loss {row['train_loss']:.4f}  "
                    f"train {row['train_top1']:.2%}  "
                    f"test {row['test_top1']:.2%} (top-5 {row['test_top5']:.2%})  lr {row['lr']:.2e}  "
                    f"{row['train_seconds']:.1f}s  {row['images_per_s']:,.0f} img/s"
                )
                self.save(epoch)
                for callback in self.callbacks:
                    callback(row, self.model)
        finally:
            self.write_plots()
        if not self.last_eval:  # resumed a finished run: report its final evaluation
            self.last_eval = self.evaluate()
        return TrainResult(
            cfg, self.eval_model, self.history, self.last_eval, self.dataset.classes,
            time.perf_counter() - start_time, self.run.root if self.run else None,
        )  # fmt: skip

    # ---- checkpoints ----------------------------------------------------------------------------

    def checkpoint_meta(self, epoch: int) -> dict[str, Any]:
        """What eval and predict need to rebuild the model and feed it: saved in every checkpoint."""
        return {
            "model": self.cfg.model,
            "num_classes": self.dataset.num_classes,
            "in_chans": self.dataset.in_chans,
            "input_size": [self.dataset.in_chans, self.size, self.size],
            "data_size": self.data_size,
            "dataset": self.cfg.data,
            "classes": self.dataset.classes,
            "mean": list(self.dataset.mean),
            "std": list(self.dataset.std),
            "epoch": epoch,
            "top1": self.last_eval.get("top1"),
            "top5": self.last_eval.get("top5"),
        }

    def save(self, epoch: int) -> None:
        """Commit the epoch: resume tensors, last (and best) weights, metrics and the trainer state,
        all in one snapshot switched in by one rename (see RunDir.commit)."""
        if not (self.run and self.dist.is_main):
            return
        meta = self.checkpoint_meta(epoch)
        opt_tensors, opt_rest = optimizer_tensors(self.optimizer.state_dict())
        tensors = {**prefixed("model.", self.model.state_dict()), **prefixed("optim.", opt_tensors)}
        if self.ema is not None:
            tensors.update(prefixed("ema.", self.ema.state_dict()))
        weights = tensors_bytes(self.eval_model.state_dict(), meta)
        files = {"resume.safetensors": tensors_bytes(tensors, meta), "last.safetensors": weights}
        best = max(self.history, key=lambda r: r["test_top1"])
        keep = ()
        if best["epoch"] == epoch:
            files["best.safetensors"] = weights
        else:
            keep = ("best.safetensors",)
        files.update(metrics_files(self.history))
        state = {
            "epoch": epoch,
            "config": asdict(self.cfg),
            "history": self.history,
            "best_epoch": best["epoch"],
            "scheduler": self.scheduler.state_dict(),
            "optimizer": opt_rest,
        }
        self.run.commit(epoch, files, state, keep=keep)

    def load_resume_state(self) -> None:
        """Restore weights, optimizer, scheduler, EMA and history from the run's newest commit
        (nothing when no epoch was completed: the run starts again from epoch 1)."""
        if self.run is None:
            raise ValueError("resume needs the run directory (--out)")
        if not self.run.has_run():
            if not self.run.config.is_file():
                raise FileNotFoundError(f"{self.run.root}: not a run directory; nothing to resume")
            self.log(f"{self.run.root}: no completed epoch yet; starting from epoch 1")
            return
        state = self.run.read_state()
        saved = state["config"]
        for key in ("model", "data", "batch_size", "seed"):
            if saved[key] != getattr(self.cfg, key):
                raise ValueError(
                    f"{self.run.root} was trained with {key}={saved[key]!r}, not {getattr(self.cfg, key)!r}"
                )
        path = self.run.verified("resume.safetensors", state)
        try:
            meta = read_meta(path)
            tensors = read_tensors(path)
        except Exception as e:  # safetensors' own error types
            raise CheckpointError(f"{path}: unreadable ({e}); start a new run") from None
        if meta.get("epoch") != state["epoch"]:
            raise CheckpointError(
                f"{path}: checkpoint epoch {meta.get('epoch')} != state epoch {state['epoch']}"
            )
        try:
            self.model.load_state_dict(unprefixed("model.", tensors))
            self.optimizer.load_state_dict(optimizer_state(unprefixed("optim.", tensors), state["optimizer"]))
            self.scheduler.load_state_dict(state["scheduler"])
            if self.ema is not None:
                self.ema.load_state_dict(unprefixed("ema.", tensors))
        except (RuntimeError, KeyError, ValueError) as e:
            raise CheckpointError(f"{path}: does not fit this run's model and optimizer ({e})") from None
        self.history = state["history"]

    def write_plots(self) -> None:
        if not (self.run and self.dist.is_main and self.history):
            return
        plot_curves(self.history, self.run.root / "curves.png")
        if self.last_eval:
            plot_confusion(self.last_eval["confusion"], self.dataset.classes, self.run.root / "confusion.png")


def train(
    cfg: TrainConfig, out: str | Path | None = None, *, resume: bool = False, **kwargs: Any
) -> TrainResult:
    """Train a model as configured; see Trainer for the keyword arguments."""
    trainer = Trainer(cfg, out, **kwargs)
    try:
        return trainer.fit(resume=resume)
    finally:
        trainer.dist.close()
