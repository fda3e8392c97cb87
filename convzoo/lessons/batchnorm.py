"""Batch normalisation (Ioffe & Szegedy 2015): Algorithm 1 written out against `nn.BatchNorm2d`.

Training mode normalises with the mini-batch mean and biased variance over (N, H, W) per channel,
then scales by gamma and shifts by beta. The running statistics are exponential averages with
momentum 0.1, the variance the unbiased estimate m/(m-1) Var_B (Algorithm 2, step 10); inference
uses them instead of the batch's.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..io import save_figure
from .base import Lesson, pyplot

EPS = 1e-5
MOMENTUM = 0.1
STEPS = 50


def algorithm1(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Batch normalising transform over a mini-batch N x C x H x W, written out step by step."""
    mu = x.mean(dim=(0, 2, 3), keepdim=True)  # mini-batch mean
    var = ((x - mu) ** 2).mean(dim=(0, 2, 3), keepdim=True)  # mini-batch variance (biased)
    x_hat = (x - mu) / torch.sqrt(var + eps)  # normalise
    return gamma.view(1, -1, 1, 1) * x_hat + beta.view(1, -1, 1, 1)  # scale and shift


def run(out: str | Path | None = None) -> Lesson:
    """The batch-norm lesson; draws the picture to `out` when given."""
    with torch.no_grad():
        return _run(out)


def _run(out: str | Path | None) -> Lesson:
    lesson = Lesson("batchnorm", "Batch normalisation: Algorithm 1 == nn.BatchNorm2d")
    g = torch.Generator().manual_seed(0)
    bn = nn.BatchNorm2d(4, eps=EPS, momentum=MOMENTUM).double()
    bn.weight.copy_(torch.rand(4, generator=g, dtype=torch.float64) + 0.5)
    bn.bias.copy_(torch.randn(4, generator=g, dtype=torch.float64))
    shift = torch.tensor([3.0, -2.0, 0.5, 10.0], dtype=torch.float64).view(1, -1, 1, 1)
    scale = torch.tensor([2.0, 0.5, 1.0, 4.0], dtype=torch.float64).view(1, -1, 1, 1)

    def batch() -> torch.Tensor:
        return torch.randn(16, 4, 5, 5, generator=g, dtype=torch.float64) * scale + shift

    x = batch()
    written = algorithm1(x, bn.weight.detach(), bn.bias.detach())
    lesson.check(
        "Algorithm 1 == nn.BatchNorm2d (training mode), max |difference|",
        0.0,
        float((bn.train()(x).detach() - written).abs().max()),
        tol=1e-12,
    )
    x_hat = algorithm1(x, torch.ones(4, dtype=x.dtype), torch.zeros(4, dtype=x.dtype))
    lesson.check("normalised: per-channel mean 0", [0.0] * 4, x_hat.mean((0, 2, 3)), tol=1e-12)
    lesson.check(
        "normalised: per-channel variance 1 (up to eps)",
        [1.0] * 4,
        x_hat.var((0, 2, 3), unbiased=False),
        tol=1e-4,
    )
    m = x.numel() // x.shape[1]
    lesson.check(
        "running mean after one step: 0.9 * 0 + 0.1 * mu_B",
        0.1 * x.mean((0, 2, 3)),
        bn.running_mean,
        tol=1e-12,
    )
    unbiased = x.var((0, 2, 3), unbiased=False) * m / (m - 1)
    lesson.check(
        "running var after one step: 0.9 * 1 + 0.1 * m/(m-1) Var_B",
        0.9 + 0.1 * unbiased,
        bn.running_var,
        tol=1e-12,
    )

    means, batches = [bn.running_mean.clone()], [x]
    for _ in range(STEPS - 1):
        batches.append(batch())
        bn(batches[-1])
        means.append(bn.running_mean.clone())
    test = batch()[:2]
    inference = (test - bn.running_mean.view(1, -1, 1, 1)) / torch.sqrt(
        bn.running_var.view(1, -1, 1, 1) + EPS
    )
    inference = bn.weight.view(1, -1, 1, 1) * inference + bn.bias.view(1, -1, 1, 1)
    lesson.check(
        "eval mode uses the running statistics, max |difference|",
        0.0,
        float((bn.eval()(test) - inference).abs().max()),
        tol=1e-12,
    )
    lesson.check(
        f"after {STEPS} steps the running mean approaches the data's (within 5%)",
        shift.flatten(),
        bn.running_mean,
        tol=0.05,
    )
    single = test[:1]
    lesson.check(
        "eval output of one image does not depend on the rest of its batch",
        bn(single)[0],
        bn(torch.cat([single, batch()]))[0],
        tol=1e-12,
    )
    lesson.table(
        "per channel",
        ["channel", "data mean", "running mean", "data std", "running std"],
        [
            (
                c,
                float(shift.flatten()[c]),
                f"{float(bn.running_mean[c]):.3f}",
                float(scale.flatten()[c]),
                f"{float(bn.running_var[c].sqrt()):.3f}",
            )
            for c in range(4)
        ],
    )
    if out is not None:
        lesson.figure = draw(x, x_hat, torch.stack(means), shift.flatten(), out)
    return lesson


def draw(
    x: torch.Tensor, y: torch.Tensor, means: torch.Tensor, target: torch.Tensor, out: str | Path
) -> Path:
    """Per-channel values before and after BN, and the running means converging."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for c in range(x.shape[1]):
        axes[0].hist(x[:, c].flatten().numpy(), bins=30, alpha=0.5, label=f"channel {c}")
        axes[1].hist(y[:, c].flatten().numpy(), bins=30, alpha=0.5, label=f"channel {c}")
        axes[2].plot(means[:, c].numpy(), label=f"channel {c}")
        axes[2].axhline(float(target[c]), ls="--", color="grey", lw=0.8)
    axes[0].set_title("a mini-batch, per channel")
    axes[1].set_title("normalised x_hat (Algorithm 1, before gamma, beta)")
    axes[2].set_title("running mean (momentum 0.1) vs data mean")
    axes[2].set_xlabel("step")
    axes[0].legend(fontsize=8)
    fig.suptitle("Batch normalisation")
    fig.tight_layout()
    return save_figure(fig, out)
