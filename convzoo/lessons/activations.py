"""Activation functions: values, gradients by autograd, and why saturating units slow training.

Each function is torch's own (`torch.sigmoid`, `torch.tanh`, `F.relu`, `F.leaky_relu(0.1)`,
`F.elu`), and Maxout (Goodfellow et al. 2013) is the max over k affine pieces. Gradients come
from autograd and are checked against the lecture's closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
from torch.nn import functional as F

from ..io import save_figure
from .base import Lesson, pyplot

LEAKY_SLOPE = 0.1
ELU_ALPHA = 1.0
POINTS = (-3.0, -1.0, 0.5, 2.0)  # where values and slopes are checked (0 is a kink for some)
SIGMOID_MAX_SLOPE = 0.25  # sigma'(0) = 1/4, the largest slope a sigmoid unit passes back
TANH_MAX_SLOPE = 1.0
CHAIN_DEPTH = 10


def maxout(x: torch.Tensor, weights: torch.Tensor, biases: torch.Tensor) -> torch.Tensor:
    """max_i (w_i x + b_i) over k pieces (scalar inputs; a Maxout unit of one input)."""
    return (x[..., None] * weights.to(x.dtype) + biases.to(x.dtype)).amax(-1)


# Maxout with pieces (1, 0) and (0, 0) is a ReLU; with (1, 0) and (0.1, 0), Leaky ReLU; with (1, 0) and
# (-1, 0), |x|: the family contains the piecewise-linear units.
MAXOUT_PIECES = (torch.tensor([1.0, -1.0]), torch.tensor([0.5, 0.0]))

FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, LEAKY_SLOPE),
    "maxout": lambda x: maxout(x, *MAXOUT_PIECES),
    "elu": lambda x: F.elu(x, ELU_ALPHA),
}


def _sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# The lecture's closed forms: (value, derivative) at x.
CLOSED_FORMS: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "sigmoid": (_sig, lambda x: _sig(x) * (1 - _sig(x))),
    "tanh": (math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "relu": (lambda x: max(0.0, x), lambda x: float(x > 0)),
    "leaky_relu": (lambda x: x if x > 0 else LEAKY_SLOPE * x, lambda x: 1.0 if x > 0 else LEAKY_SLOPE),
    "maxout": (lambda x: max(x + 0.5, -x), lambda x: 1.0 if x + 0.5 > -x else -1.0),
    "elu": (
        lambda x: x if x > 0 else ELU_ALPHA * (math.exp(x) - 1),
        lambda x: 1.0 if x > 0 else ELU_ALPHA * math.exp(x),
    ),
}


def value_and_grad(name: str, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) and f'(x) elementwise, the derivative by autograd."""
    x = x.detach().clone().requires_grad_(True)
    y = FUNCTIONS[name](x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), grad


def chain_gradient(name: str, depth: int, x0: float = 0.0) -> float:
    """d f(f(...f(x0))) / d x0 through `depth` applications: how much gradient reaches the bottom."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(depth):
        y = FUNCTIONS[name](y)
    (grad,) = torch.autograd.grad(y, x)
    return float(grad)


def run(out: str | Path | None = None) -> Lesson:
    """The activations lesson; draws the picture to `out` when given."""
    lesson = Lesson("activations", "Activations: values, gradients, saturation")
    points = torch.tensor(POINTS, dtype=torch.float64)
    rows = []
    for name in FUNCTIONS:
        value, grad = value_and_grad(name, points)
        f, df = CLOSED_FORMS[name]
        lesson.check(f"{name}: values at {POINTS}", [f(p) for p in POINTS], value, tol=1e-12)
        lesson.check(f"{name}: autograd slopes", [df(p) for p in POINTS], grad, tol=1e-12)
        rows.append(
            (name, *(f"{v:.4f} / {g:.4f}" for v, g in zip(value.tolist(), grad.tolist(), strict=True)))
        )
    lesson.table("f(x) / f'(x) (autograd)", ["unit", *(f"x={p:g}" for p in POINTS)], rows)

    x = torch.linspace(-6, 6, 1201, dtype=torch.float64)
    lesson.check(
        "the largest sigmoid slope is 1/4, at 0",
        [SIGMOID_MAX_SLOPE, 0.0],
        _peak(*value_and_grad("sigmoid", x)[1:], x),
        tol=1e-12,
    )
    lesson.check(
        "the largest tanh slope is 1, at 0",
        [TANH_MAX_SLOPE, 0.0],
        _peak(*value_and_grad("tanh", x)[1:], x),
        tol=1e-12,
    )
    lesson.check(
        "relu is maxout with pieces (1, 0) and (0, 0)",
        F.relu(x),
        maxout(x, torch.tensor([1.0, 0.0]), torch.zeros(2)),
    )
    lesson.check(
        "leaky relu (0.1) is maxout with pieces (1, 0) and (0.1, 0)",
        F.leaky_relu(x, LEAKY_SLOPE),
        maxout(x, torch.tensor([1.0, LEAKY_SLOPE], dtype=x.dtype), torch.zeros(2)),
        tol=1e-12,
    )
    saturated = {
        name: float(value_and_grad(name, torch.tensor([5.0], dtype=torch.float64))[1]) for name in FUNCTIONS
    }
    lesson.check(
        "slopes at x = 5: sigmoid and tanh saturate, relu family passes 1",
        [_sig(5) * (1 - _sig(5)), 1 - math.tanh(5) ** 2, 1, 1, 1, 1],
        list(saturated.values()),
        tol=1e-9,
    )

    chain = {name: chain_gradient(name, CHAIN_DEPTH, 0.5) for name in FUNCTIONS}
    lesson.check(
        f"gradient through {CHAIN_DEPTH} sigmoids <= (1/4)^{CHAIN_DEPTH}",
        True,
        abs(chain["sigmoid"]) <= SIGMOID_MAX_SLOPE**CHAIN_DEPTH,
    )
    lesson.check(f"gradient through {CHAIN_DEPTH} relus at x > 0 is 1", 1, chain["relu"])
    lesson.table(
        f"d/dx of {CHAIN_DEPTH} stacked units at x = 0.5 (what reaches the first layer)",
        ["unit", "gradient"],
        [(n, f"{g:.3g}") for n, g in chain.items()],
    )
    lesson.notes.append(
        "Saturating units (sigmoid, tanh) pass back at most 1/4 and 1 of the gradient and nearly none "
        "once |x| is large, so through many layers the first layers learn slowly; ReLU passes 1 where "
        "it is active (AlexNet, Sec. 3.1: six times faster than tanh to 25% training error on CIFAR-10)."
    )
    if out is not None:
        lesson.figure = draw(x, out)
    return lesson


def _peak(grad: torch.Tensor, x: torch.Tensor) -> list[float]:
    i = int(grad.argmax())
    return [float(grad[i]), float(x[i])]


def draw(x: torch.Tensor, out: str | Path) -> Path:
    """Each unit and its autograd slope over [-6, 6]."""
    plt = pyplot()
    fig, axes = plt.subplots(2, len(FUNCTIONS), figsize=(3 * len(FUNCTIONS), 5.5), sharex=True)
    for col, name in enumerate(FUNCTIONS):
        value, grad = value_and_grad(name, x)
        axes[0, col].plot(x, value, color="tab:blue")
        axes[0, col].set_title(name + (f" ({LEAKY_SLOPE})" if name == "leaky_relu" else ""))
        axes[1, col].plot(x, grad, color="tab:red")
        for ax in axes[:, col]:
            ax.axhline(0, color="grey", lw=0.5)
            ax.axvline(0, color="grey", lw=0.5)
    axes[0, 0].set_ylabel("f(x)")
    axes[1, 0].set_ylabel("f'(x), autograd")
    axes[0, 4].set_title("maxout (max(x+0.5, -x))")
    fig.suptitle("Activations and their gradients: sigmoid and tanh saturate, the ReLU family does not")
    fig.tight_layout()
    return save_figure(fig, out)
