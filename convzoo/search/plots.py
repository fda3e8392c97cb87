"""The search's pictures: best-so-far per strategy, accuracy against MACs with the Pareto front,
and the best architecture's searched unit drawn as a graph (nodes = layers, edges = predecessors)."""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.trial import TrialState

from ..io import save_figure
from .results import best_trial, pareto_front, trial_row
from .spec import spec_space


def _figure(*size: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)


def plot_best_so_far(study: optuna.Study, path: Path) -> Path:
    """Best accuracy so far against trial, one line per strategy that ran in the study."""
    fig, ax = _figure(6, 4)
    by_strategy: dict[str, list[tuple[int, float]]] = {}
    for t in sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: t.number):
        by_strategy.setdefault(t.user_attrs.get("strategy", "?"), []).append((t.number, float(t.value)))
    for name, points in sorted(by_strategy.items()):
        best, ys = float("-inf"), []
        for _, v in points:
            best = max(best, v)
            ys.append(best)
        ax.step(range(1, len(ys) + 1), ys, where="post", label=name)
    ax.set(xlabel="trial (of the strategy)", ylabel="best test top-1 so far", title=study.study_name)
    ax.grid(alpha=0.3)
    if by_strategy:
        ax.legend()
    return save_figure(fig, path)


def plot_pareto(study: optuna.Study, path: Path) -> Path:
    """Accuracy against MACs of every complete trial, the Pareto front joined."""
    fig, ax = _figure(6, 4)
    rows = [trial_row(t) for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    rows = [r for r in rows if r["macs"] and r["top1"] is not None]
    points = [(r["macs"] / 1e6, r["top1"]) for r in rows]
    if points:
        ax.scatter(*zip(*points, strict=True), s=14, alpha=0.6, label="trials")
        front = [points[i] for i in pareto_front(points)]
        ax.plot(*zip(*front, strict=True), "r-o", ms=4, label="Pareto front")
        ax.set_xscale("log")
        ax.legend()
    ax.set(
        xlabel="MACs (millions, log scale)",
        ylabel="test top-1",
        title=f"{study.study_name}: accuracy vs cost",
    )
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_best_graph(study: optuna.Study, path: Path) -> Path | None:
    """The best trial's searched unit as a layered graph; None when the space has no graph."""
    trial = best_trial(study)
    spec = trial.user_attrs["spec"]
    graph = spec_space(spec).graph(spec["arch"])
    if graph is None:
        return None
    labels, links = graph
    depth = [0] * len(labels)
    for a, b in sorted(links, key=lambda e: e[1]):
        depth[b] = max(depth[b], depth[a] + 1)
    rows: dict[int, list[int]] = {}
    for node, d in enumerate(depth):
        rows.setdefault(d, []).append(node)
    pos = {n: (i - (len(ns) - 1) / 2, -d) for d, ns in rows.items() for i, n in enumerate(ns)}
    fig, ax = _figure(max(4, 1.8 * max(len(ns) for ns in rows.values())), 1.1 * (max(depth) + 1) + 1)
    for a, b in links:
        ax.annotate(
            "",
            xy=pos[b],
            xytext=pos[a],
            arrowprops=dict(arrowstyle="->", color="0.4", shrinkA=12, shrinkB=12),
        )
    for n, (x, y) in pos.items():
        colour = "#dfe8f5" if 0 < n < len(labels) - 1 else "#f3e3c3"  # layers blue, input/output sand
        ax.text(x, y, labels[n], ha="center", va="center", fontsize=8, bbox=dict(boxstyle="round", fc=colour))
    ax.set_axis_off()
    ax.set_title(f"best of {study.study_name}: trial {trial.number}, top-1 {trial.value:.2%}")
    ax.margins(0.15)
    return save_figure(fig, path)


def write_plots(study: optuna.Study, out_dir: str | Path) -> list[Path]:
    """All three pictures into out_dir (the graph only once a trial completed)."""
    out_dir = Path(out_dir)
    paths = [plot_best_so_far(study, out_dir / "best_so_far.png"), plot_pareto(study, out_dir / "pareto.png")]
    try:
        graph = plot_best_graph(study, out_dir / "best_block.png")
    except ValueError:
        graph = None
    return paths + ([graph] if graph else [])
