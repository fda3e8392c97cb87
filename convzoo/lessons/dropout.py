"""Dropout (Srivastava et al. 2014) as torch implements it: inverted dropout.

In training each unit is kept with probability q = 1 - p and the kept ones are scaled by 1/q, so
the expected activation is unchanged and inference is the identity; the paper instead keeps every
unit at test time and scales the weights by q. Both give the same expected output.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from ..io import save_figure
from .base import Lesson, pyplot

P_DROP = 0.5
UNITS = 100_000
SAMPLES = 4000  # masks averaged for the expectation of a layer's output


def run(out: str | Path | None = None) -> Lesson:
    """The dropout lesson; draws the picture to `out` when given."""
    lesson = Lesson("dropout", f"Dropout (p = {P_DROP}): training vs inference")
    torch.manual_seed(0)
    drop = nn.Dropout(P_DROP)
    ones = torch.ones(UNITS, dtype=torch.float64)
    trained = drop.train()(ones)
    keep = 1 - P_DROP
    lesson.check("training: every output is 0 or 1/(1-p)", [0, 1 / keep], sorted(set(trained.tolist())))
    dropped = float((trained == 0).double().mean())
    sigma = math.sqrt(P_DROP * keep / UNITS)
    lesson.check(
        f"training: fraction dropped ~ p (within 4 sigma = {4 * sigma:.4f})", P_DROP, dropped, tol=4 * sigma
    )
    lesson.check("training: the mean activation is kept (~1)", 1.0, float(trained.mean()), tol=8 * sigma)
    x = torch.randn(UNITS, dtype=torch.float64)
    lesson.check("inference (eval): the identity", x, drop.eval()(x))

    # a linear layer after dropout: the mean over masks in training == the eval output == the paper's
    # "keep all units, scale the weights by q" network without the 1/q scaling
    layer = nn.Linear(8, 3).double()
    x = torch.randn(1, 8, dtype=torch.float64)
    with torch.no_grad():
        eval_out = layer(drop.eval()(x))
        samples = torch.stack([layer(drop.train()(x)) for _ in range(SAMPLES)])
        paper_weights = nn.functional.linear(x, layer.weight * keep, layer.bias)  # x has no 1/q: scale W
        paper_train = torch.stack([layer(x * (torch.rand_like(x) < keep)) for _ in range(SAMPLES)]).mean(0)
    spread = float(samples.std(0).max()) / math.sqrt(SAMPLES)
    lesson.check(
        "E[training output] == inference output (inverted dropout)",
        eval_out[0],
        samples.mean(0)[0],
        tol=5 * spread,
    )
    lesson.check(
        "paper: E[output with unscaled masks] == weights scaled by q at test",
        paper_weights[0],
        paper_train[0],
        tol=5 * spread * keep,
    )
    lesson.table(
        "one example, 10 units of 1.0",
        ["mode", "output"],
        [("train", trained[:10]), ("eval", drop.eval()(ones[:10]))],
    )
    lesson.data = {"fraction_dropped": dropped, "train_mean": float(trained.mean())}
    if out is not None:
        lesson.figure = draw(trained[:400], samples[:, 0, 0], float(eval_out[0, 0]), out)
    return lesson


def draw(trained: torch.Tensor, samples: torch.Tensor, eval_value: float, out: str | Path) -> Path:
    """A training mask on a row of ones, and a unit's training outputs against its inference value."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].imshow(trained.view(20, 20), cmap="Greys", vmin=0, vmax=2)
    axes[0].set_title("training: 400 ones after dropout (white 0, black 2)")
    axes[0].axis("off")
    axes[1].hist(samples.numpy(), bins=40, color="tab:blue")
    axes[1].axvline(
        float(samples.mean()), color="tab:green", label=f"mean in training {float(samples.mean()):.3f}"
    )
    axes[1].axvline(eval_value, color="tab:red", ls="--", label=f"inference {eval_value:.3f}")
    axes[1].legend()
    axes[1].set_title("one output of Linear(Dropout(x)) over 4000 masks")
    fig.suptitle("Inverted dropout: scale by 1/(1-p) in training, do nothing at inference")
    fig.tight_layout()
    return save_figure(fig, out)
