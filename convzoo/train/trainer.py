"""The training loop: in-memory batches, AMP/channels_last/compile/EMA/clipping, checkpoints, exact resume.

What differs between classification, segmentation and detection (loss, metrics, pictures, the
target of a batch) comes from the model card's task (see tasks.py); the loop itself is the same.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
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
from tqdm import tqdm

from ..contract import ClassifierOutput
from ..data import DATASETS, Dataset, FolderSplit, load_dataset
from ..devices import resolve_device
from ..preprocessing import apply_data_config
from ..registry import create_model, model_card
from .checkpoint import (
    optimizer_state,
    optimizer_tensors,
    prefixed,
    read_meta,
    read_tensors,
    tensors_bytes,
    unprefixed,
)
from .compile import compile_model
from .config import TrainConfig, write_config
from .distributed import DistContext
from .kernels import pin_portable_kernels
from .lock import RunLock
from .precision import resolve_bf16
from .rundir import CheckpointError, RunDir, metrics_files
from .schedule import build_optimizer, build_scheduler
from .tasks import ClassificationTask, Task, task_for
from .threads import AUTO, choose_threads

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
    task: Task | None = None  # None: classification

    @property
    def checkpoint(self) -> Path | None:
        """The run's final weights (last.safetensors), else its best (save="best")."""
        if not self.run_dir:
            return None
        run = RunDir(self.run_dir)
        return run.last if run.last.is_file() or not run.best.is_file() else run.best

    def summary(self) -> dict[str, Any]:
        """The CLI's JSON: model, dataset, epochs, seconds, the task's test metrics (classification:
        top1, top5 fractions), the best epoch's key metric, checkpoint..."""
        task = self.task or ClassificationTask(self.model, self.config)
        key = task.key_metric
        best = max(self.history, key=lambda r: r[f"test_{key}"]) if self.history else {}
        return {
            "model": self.config.model,
            "dataset": self.config.data,
            "epochs": len(self.history),
            "seconds": round(self.seconds, 3),
            **task.summary_metrics(self.final),
            f"best_{key}": best.get(f"test_{key}"),
            "best_epoch": best.get("epoch"),
            "images_per_s": round(
                sum(r["images_per_s"] for r in self.history) / max(1, len(self.history)), 1
            ),
            "checkpoint": str(self.checkpoint) if self.checkpoint else None,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            **self.extra,
        }


def data_location(data: str, data_dir: str | None) -> str | None:
    """The absolute folder a run's data came from (None: the default place of a named dataset), so
    that `eval`, `features` ... find it from any working directory."""
    folder = data_dir or (None if data in DATASETS else data)
    return str(Path(folder).resolve()) if folder else None


def steps_per_epoch(n: int, batch_size: int, world: int) -> int:
    """Optimizer steps in one pass over n items (a last batch smaller than the world size is dropped)."""
    return n // batch_size + (1 if n % batch_size >= max(1, world) else 0)


# Loads weights into the built model, freezes what a fine-tuning plan freezes and returns the
# optimizer's parameter groups (None: every parameter at cfg.lr); given the trainer's logger.
PrepareModel = Callable[[nn.Module, Callable[[str], None]], "list[dict] | None"]


class Trainer:
    """Trains cfg.model on cfg.data; writes a run directory (rank 0) when `out` is given.

    The trainer does not load checkpoints itself: `prepare` (convzoo.transfer's, composed by
    convzoo.pipeline.train) is told the model once it is built and hands back parameter groups."""

    def __init__(
        self,
        cfg: TrainConfig,
        out: str | Path | None = None,
        *,
        dataset: Dataset | None = None,
        model: nn.Module | None = None,
        prepare: PrepareModel | None = None,
        callbacks: Sequence[Callback] = (),
        log: Callable[[str], None] = print,
    ) -> None:
        self.cfg, self.callbacks = cfg, list(callbacks)
        if prepare is None and (cfg.weights or cfg.init_from or cfg.finetune):
            raise ValueError(
                "weights, init_from and finetune are applied by a prepare step: use convzoo.train.train "
                "(it passes convzoo.transfer's), or pass prepare="
            )
        if cfg.portable_kernels:  # before any kernel runs (see convzoo.train.kernels)
            pin_portable_kernels(log)
        self.device = resolve_device(cfg.device)
        self.dist = DistContext.from_env(self.device)
        if cfg.threads and cfg.threads != AUTO:
            torch.set_num_threads(cfg.threads)
        self.run = RunDir(Path(out)) if out is not None else None
        self.log = log if self.dist.is_main else (lambda _msg: None)
        self.bf16 = resolve_bf16(cfg.bf16, self.device, cfg.portable_kernels)
        if cfg.bf16 == AUTO:
            self.log(
                f"bf16: {'on' if self.bf16 else 'off'} "
                f"(autocast where the {self.device.type} computes it natively)"
            )
        card = model_card(cfg.model)
        ds = dataset or load_dataset(
            cfg.data,
            cfg.data_dir,
            download=cfg.download,
            seed=cfg.seed,
            in_chans=card.input_size[0],
            image_size=cfg.image_size,
            task=card.task,
        )
        ds = replace(
            ds,
            train=ds.train.subset(cfg.train_limit, cfg.seed),
            test=ds.test.subset(cfg.test_limit, cfg.seed),
        )
        ds.require_images("train", "test")
        if isinstance(ds.train, FolderSplit):  # decoding processes for image files
            ds = replace(
                ds, train=replace(ds.train, workers=cfg.workers), test=replace(ds.test, workers=cfg.workers)
            )
        torch.manual_seed(cfg.seed)
        # `model`: a built model to train instead of create_model(cfg.model); cfg.model's card gives its task
        self.model = model or create_model(cfg.model, num_classes=ds.num_classes, in_chans=ds.in_chans)
        self.task = task_for(card.task, self.model, cfg, ds.classes)
        self.task.check_dataset(ds)
        lr_groups = prepare(self.model, self.log) if prepare else None
        self.data_size = ds.image_size
        self.size = self.task.input_size(ds, cfg.image_size)
        self.dataset = ds.resized(self.size) if ds.image_size != self.size else ds
        self.dataset = self.task.prepare_data(self.dataset)
        # weights from a library release: its normalisation and evaluation resize (convzoo.preprocessing)
        self.data_config = getattr(self.model, "data_config", None)
        self.dataset = apply_data_config(self.dataset, self.data_config)
        self.mean, self.std = self.dataset.stats()
        preset = self.dataset.augment if cfg.augment == "auto" else cfg.augment
        self.augment = self.task.augment(preset, self.size)
        self.memory_format = torch.channels_last if cfg.channels_last else torch.preserve_format
        self.model.to(self.device, memory_format=self.memory_format)
        if cfg.grad_checkpointing:
            if not hasattr(self.model, "set_grad_checkpointing"):
                raise ValueError(f"{cfg.model} has no stage loop to checkpoint: drop --grad-checkpointing")
            self.model.set_grad_checkpointing()
        self.net: nn.Module = self.model
        if self.dist.world > 1:
            # Size-1 dimensions (a 1-channel conv's weight) make strides ambiguous: DDP's warning is noise.
            warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
            self.net = nn.parallel.DistributedDataParallel(self.model)
        if cfg.compile:
            self.net = compile_model(self.net)
        self.steps = steps_per_epoch(len(self.dataset.train), cfg.batch_size, self.dist.world)
        self.optimizer = build_optimizer(self.model, cfg, lr_groups)
        self.scheduler = build_scheduler(self.optimizer, cfg, self.steps)
        self.ema = None
        if cfg.ema_decay > 0:
            from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

            self.ema = AveragedModel(
                self.model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True
            )
        self.eval_net = compile_model(self.eval_model) if cfg.compile else self.eval_model
        self.history: list[dict[str, Any]] = []
        self.last_eval: dict[str, Any] = {}
        if cfg.threads == AUTO:
            self.pick_threads()

    def pick_threads(self) -> None:
        """threads: auto - the faster of one thread and all cores, timed on training steps of a
        throwaway copy of the model (the run's weights and random streams are untouched)."""
        if self.device.type != "cpu" or self.dist.world > 1:  # DDP ranks already share the cores
            return
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if cores < 2:
            torch.set_num_threads(1)
            return
        model = copy.deepcopy(self.model).train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
        x, y = next(iter(self.dataset.train.batches(self.cfg.batch_size, self.mean, self.std)))
        x, y = self.prepare(x), y.to(self.device)

        def step() -> None:
            with self.autocast():
                out = self.task.forward(model, x)
            loss = self.task.loss(out, y).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        with torch.random.fork_rng(devices=[]):
            best, medians = choose_threads(step, [1, cores])
        timed = ", ".join(f"{c}: {1e3 * t:.1f} ms" for c, t in medians.items())
        self.log(f"threads: {best} (timed training steps, {timed} per step)")

    # ---- the loop -------------------------------------------------------------------------------

    @property
    def eval_model(self) -> nn.Module:
        return self.ema.module if self.ema is not None else self.model

    def autocast(self) -> contextlib.AbstractContextManager:
        """bfloat16 autocast when the run's bf16 is on, else nothing (entering a disabled autocast
        still costs)."""
        if self.bf16:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.device, non_blocking=True, memory_format=self.memory_format)

    def loss_and_logits(
        self, out: torch.Tensor | ClassifierOutput, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The task's loss and the prediction its running metric counts (classification: cross-entropy
        of the logits plus the model's weighted auxiliary-classifier losses)."""
        result = self.task.loss(out, y)
        return result.loss, result.prediction

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
            start = self.cfg.weights or self.cfg.init_from
            cause = (
                f"The starting weights ({start}) may not suit this data: check them, or lower --lr."
                if start and epoch == 1 and step == 0
                else "Lower --lr, or set grad_clip (in a --config file)."
            )
            raise NonFiniteLossError(
                f"loss became {loss:g} at epoch {epoch}, step {step + 1}: "
                f"training stopped{kept}{where}. {cause}"
            )

    def train_epoch(self, epoch: int) -> dict[str, Any]:
        """One pass over the training split; returns the epoch's training metrics."""
        cfg = self.cfg
        epoch_seed = cfg.seed * 100_003 + epoch  # every epoch's randomness is fixed: exact resume
        torch.manual_seed(epoch_seed)
        generator = torch.Generator().manual_seed(epoch_seed)
        self.net.train()
        loss_sum = 0.0
        hits = torch.zeros((), dtype=torch.long, device=self.device)
        counted = torch.zeros((), dtype=torch.long, device=self.device)
        term_sums: dict[str, float] = {}
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
                out = self.task.forward(self.net, x)
            result = self.task.loss(out, y)
            loss = result.loss
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
            loss_sum += loss_value * len(x)
            step_hits, step_count = self.task.train_counts(result.prediction, y)
            hits += step_hits
            counted += step_count
            for name, term in result.terms.items():
                term_sums[name] = term_sums.get(name, 0.0) + float(term) * len(x)
            seen += len(x)
        seconds = time.perf_counter() - start
        totals = self.dist.all_reduce(
            torch.tensor(
                [loss_sum, float(hits), float(seen), float(counted), *term_sums.values()], dtype=torch.float64
            )
        )
        images = totals[2].clamp(min=1)
        return {
            "train_loss": float(totals[0] / images),
            f"train_{self.task.train_metric}": float(totals[1] / totals[3].clamp(min=1)),
            **{
                f"train_loss_{name}": float(v / images) for name, v in zip(term_sums, totals[4:], strict=True)
            },
            "train_seconds": seconds,
            "images_per_s": float(totals[2]) / max(seconds, 1e-9),
        }

    def evaluate(self) -> dict[str, Any]:
        """Test-split metrics of the evaluated weights (the EMA when enabled)."""
        batches = self.dataset.test.batches(
            self.cfg.eval_batch_size, self.mean, self.std, rank=self.dist.rank, world=self.dist.world
        )
        with self.autocast():
            return self.task.evaluate(
                self.eval_net, batches, self.dataset.num_classes, self.dist, self.prepare
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
                    **self.task.test_row(self.last_eval),
                    eval_seconds=time.perf_counter() - eval_start,
                )
                row["elapsed"] = row["train_seconds"] + (self.history[-1]["elapsed"] if self.history else 0.0)
                self.history.append(row)
                self.log(self.task.epoch_line(row))
                self.save(epoch)
                for callback in self.callbacks:
                    callback(row, self.model)
            self.finish()
        finally:
            self.write_plots()
        if not self.last_eval:  # resumed a finished run: report its final evaluation
            self.last_eval = self.evaluate()
        return TrainResult(
            cfg, self.eval_model, self.history, self.last_eval, self.dataset.classes,
            time.perf_counter() - start_time, self.run.root if self.run else None, task=self.task,
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
            "data_dir": data_location(self.cfg.data, self.cfg.data_dir),
            "classes": self.dataset.classes,
            "mean": list(self.dataset.mean),
            "std": list(self.dataset.std),
            "epoch": epoch,
            "task": self.task.name,
            **({"preprocessing": self.data_config.to_dict()} if self.data_config else {}),
            **self.task.checkpoint_metrics(self.last_eval),
        }

    def save(self, epoch: int) -> None:
        """Commit the epoch: resume tensors, the weights cfg.save keeps (last; best, the highest
        test top-1; all: both), metrics and the trainer state, all in one
        snapshot switched in by one rename (see RunDir.commit)."""
        if not (self.run and self.dist.is_main):
            return
        meta = self.checkpoint_meta(epoch)
        opt_tensors, opt_rest = optimizer_tensors(self.optimizer.state_dict())
        tensors = {**prefixed("model.", self.model.state_dict()), **prefixed("optim.", opt_tensors)}
        if self.ema is not None:
            tensors.update(prefixed("ema.", self.ema.state_dict()))
        weights = tensors_bytes(self.eval_model.state_dict(), meta)
        files = {"resume.safetensors": tensors_bytes(tensors, meta)}
        best = max(self.history, key=lambda r: r[f"test_{self.task.key_metric}"])
        keep = []
        if self.cfg.save in ("last", "all"):
            files["last.safetensors"] = weights
        if self.cfg.save in ("best", "all"):
            if best["epoch"] == epoch:
                files["best.safetensors"] = weights
            else:
                keep.append("best.safetensors")
        files.update(metrics_files(self.history, self.task.metric_columns(self.dataset.classes)))
        state = {
            "epoch": epoch,
            "config": asdict(self.cfg),
            "history": self.history,
            "best_epoch": best["epoch"],
            "scheduler": self.scheduler.state_dict(),
            "optimizer": opt_rest,
        }
        self.run.commit(epoch, files, state, keep=keep)

    def finish(self) -> None:
        """After the last epoch: a last commit without the resume tensors (the weights plus the
        optimizer's state, two to three times the weights), unless cfg.keep_resume."""
        if not (self.run and self.dist.is_main) or self.cfg.keep_resume or not self.run.has_run():
            return
        state = self.run.read_state()
        if state.get("resume_removed"):
            return
        kept = [name for name in state.get("files", {}) if name != "resume.safetensors"]
        rest = {k: v for k, v in state.items() if k not in ("files", "epoch")}
        self.run.commit(state["epoch"], {}, {**rest, "resume_removed": True}, keep=kept)

    def load_resume_state(self) -> None:
        """Restore weights, optimizer, scheduler, EMA and history from the run's newest commit
        (nothing when no epoch was completed: the run starts again from epoch 1)."""
        if self.run is None:
            raise ValueError("resume needs the run directory (--out)")
        if not self.run.has_run():
            if not self.run.config.is_file() and not self.run.killed_before_config():
                raise FileNotFoundError(f"{self.run.root}: not a run directory; nothing to resume")
            self.log(f"{self.run.root}: no completed epoch yet; starting from epoch 1")
            return
        state = self.run.read_state()
        if state.get("resume_removed"):
            raise ValueError(
                f"{self.run.root} finished after epoch {state['epoch']} and its resume state was removed "
                "then; to continue a run after it finishes, train it with --keep-resume"
            )
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
        self.task.write_pictures(self.run.root, self.history, self.last_eval, self.eval_model, self.dataset)
