"""Plain vs residual networks of equal depth (He et al. 2016, Fig. 1 and Fig. 6), in short runs.

The CIFAR-10 nets of Section 4.2 (`plainN` / `resnetN`: 3x3 convs with 16, 32, 64 filters, option-A
identity shortcuts, so a pair has exactly the same parameters) are trained with convzoo's trainer
on a small dataset (mnist-mini by default, at 16x16 to keep a CPU run to minutes). The lesson
checks what is structural (equal depth, equal parameters) and reports what the curves show next to
the paper's claims: deeper plain nets train worse (the degradation problem), deeper residual nets
do not, and at equal depth the residual net trains better. A run this short need not show that,
so those are observations, not checks.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import nn

from ..io import save_figure
from ..registry import create_model
from .base import Lesson, Observation, pyplot

DEPTHS = (20, 56)  # the pairs of He et al.'s Figure 1
SETTINGS: dict[str, Any] = dict(  # short runs: minutes on a laptop CPU
    data="mnist-mini",
    epochs=5,
    train_limit=1000,
    test_limit=500,
    batch_size=50,
    image_size=16,
    augment="none",
    label_smoothing=0.0,
    seed=0,
)


CIFAR_DEPTHS = (20, 32, 44, 56, 110)  # the CIFAR-10 nets with a plain counterpart (Section 4.2)


def weight_layers(model: nn.Module) -> int:
    """Convolutions and fully connected layers: the depth He et al. count."""
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())


def train_curve(model: str, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """One short run of `model`; its per-epoch history from convzoo's trainer."""
    from ..train import resolve_config, train

    cfg = resolve_config(model, {k: v for k, v in settings.items() if v is not None})
    return train(cfg, log=lambda msg: print(f"{model}: {msg}", file=sys.stderr)).history


def run(
    out: str | Path | None = None,
    *,
    depths: Sequence[int] = DEPTHS,
    **settings: Any,
) -> Lesson:
    """Train plainN and resnetN for each depth N; checks, observations and Fig. 1-style curves."""
    unknown = set(settings) - set(SETTINGS) - {"data_dir"}
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(sorted(unknown))}; valid: {', '.join(SETTINGS)}")
    settings = {**SETTINGS, **settings}
    if not depths or any(d not in CIFAR_DEPTHS for d in depths):
        raise ValueError(
            f"depths must be among {', '.join(map(str, CIFAR_DEPTHS))} (the CIFAR plain/residual pairs)"
        )
    lesson = Lesson("residual", f"Plain vs residual nets on {settings['data']}, {settings['epochs']} epochs")
    curves: dict[str, list[dict[str, Any]]] = {}
    rows = []
    for depth in depths:
        plain, residual = create_model(f"plain{depth}"), create_model(f"resnet{depth}")
        lesson.check(
            f"plain{depth} and resnet{depth} have {depth} weight layers",
            [depth, depth],
            [weight_layers(plain), weight_layers(residual)],
        )
        params = [sum(p.numel() for p in m.parameters()) for m in (plain, residual)]
        lesson.check(
            f"plain{depth} and resnet{depth} have the same parameters (option A)", params[0], params[1]
        )
        for name in (f"plain{depth}", f"resnet{depth}"):
            curves[name] = train_curve(name, settings)
            last = curves[name][-1]
            rows.append(
                (
                    name,
                    params[0],
                    f"{1 - last['train_top1']:.1%}",
                    f"{1 - last['test_top1']:.1%}",
                    f"{last['train_loss']:.3f}",
                )
            )
    lesson.table("after the last epoch", ["net", "params", "train error", "test error", "train loss"], rows)
    final = {name: 1 - c[-1]["train_top1"] for name, c in curves.items()}
    for depth in depths:
        lesson.observations.append(
            _compare(
                final,
                f"resnet{depth}",
                f"plain{depth}",
                "at equal depth the residual net has lower training error",
            )
        )
    if len(depths) > 1:
        shallow, deep = min(depths), max(depths)
        lesson.observations.append(
            _compare(
                final,
                f"plain{shallow}",
                f"plain{deep}",
                f"plain{deep} has higher training error than plain{shallow}",
            )
        )
        lesson.observations.append(
            _compare(
                final,
                f"resnet{deep}",
                f"resnet{shallow}",
                f"resnet{deep} has lower training error than resnet{shallow}",
            )
        )
    lesson.notes.append(
        f"settings: {', '.join(f'{k}={v}' for k, v in settings.items() if v is not None)}; the paper trains "
        "64k iterations on CIFAR-10 with augmentation, where the gaps are a few percent"
    )
    lesson.data = {"curves": {n: [_point(r) for r in c] for n, c in curves.items()}, "settings": settings}
    if out is not None:
        lesson.figure = draw(curves, depths, settings, out)
    return lesson


def _point(row: dict[str, Any]) -> dict[str, float]:
    return {
        "epoch": row["epoch"],
        "train_error": 1 - row["train_top1"],
        "test_error": 1 - row["test_top1"],
        "train_loss": row["train_loss"],
    }


def _compare(final: dict[str, float], lower: str, higher: str, paper: str) -> Observation:
    shown = f"{lower} {final[lower]:.1%} vs {higher} {final[higher]:.1%} training error"
    return Observation(f"{lower} vs {higher}", shown, paper, final[lower] < final[higher])


def draw(curves: dict, depths: Sequence[int], settings: dict, out: str | Path) -> Path:
    """He et al. Fig. 1, small: training (thin) and test (bold) error, plain left, residual right."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    colours = dict(zip(depths, ("tab:orange", "tab:red", "tab:purple", "tab:brown"), strict=False))
    for ax, kind in zip(axes, ("plain", "resnet"), strict=True):
        for depth in depths:
            history = curves[f"{kind}{depth}"]
            epochs = [r["epoch"] for r in history]
            ax.plot(epochs, [100 * (1 - r["train_top1"]) for r in history], "-", lw=1, color=colours[depth])
            ax.plot(
                epochs,
                [100 * (1 - r["test_top1"]) for r in history],
                "-",
                lw=2.5,
                color=colours[depth],
                label=f"{kind}-{depth}",
            )
        ax.set(title=f"{'plain' if kind == 'plain' else 'residual'} networks", xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("error (%)")
    fig.suptitle(
        f"{settings['data']}, {settings['train_limit']} images, {settings['epochs']} epochs: "
        "training error (thin), test error (bold)"
    )
    fig.tight_layout()
    return save_figure(fig, out)
