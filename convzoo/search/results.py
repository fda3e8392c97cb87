"""What a study holds, for people: the leaderboard, the best spec, the Pareto front."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

COLUMNS = ("trial", "strategy", "spec", "state", "top1", "macs", "params", "seconds")


def trial_row(t: FrozenTrial) -> dict[str, Any]:
    """One leaderboard row of a trial (accuracy None for failed and running ones)."""
    a = t.user_attrs
    accuracy = t.value if t.state == TrialState.COMPLETE else (
        t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values else None
    )  # fmt: skip
    return {
        "trial": t.number,
        "strategy": a.get("strategy", ""),
        "spec": a.get("spec_hash", ""),
        "state": t.state.name.lower(),
        "top1": accuracy,
        "macs": a.get("macs"),
        "params": a.get("params"),
        "seconds": round(float(a["seconds"]), 2) if "seconds" in a else None,
        "error": a.get("error"),
    }


def leaderboard(study: optuna.Study) -> list[dict[str, Any]]:
    """Every trial that ran, best accuracy first (failed and running ones last)."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL,
                                                      TrialState.RUNNING))  # fmt: skip
    rows = [trial_row(t) for t in trials]
    return sorted(rows, key=lambda r: (r["top1"] is None, -(r["top1"] or 0.0), r["trial"]))


def format_leaderboard(rows: list[dict[str, Any]], limit: int | None = None) -> str:
    """The leaderboard as an aligned text table."""
    lines = [_line("trial", "strategy", "spec", "state", "top-1", "MACs", "params", "s")]
    for r in rows[:limit]:
        top1 = f"{r['top1']:.2%}" if r["top1"] is not None else "-"
        macs = f"{r['macs'] / 1e6:.2f}M" if r["macs"] is not None else "-"
        params = f"{r['params']:,}" if r["params"] is not None else "-"
        secs = f"{r['seconds']:.1f}" if r["seconds"] is not None else "-"
        line = _line(r["trial"], r["strategy"], r["spec"], r["state"], top1, macs, params, secs)
        if r["error"]:
            line += f"  {r['error'][:60]}"
        lines.append(line)
    return "\n".join(lines)


def _line(*cells) -> str:
    widths = (5, -10, -10, -8, 7, 9, 9, 7)  # negative: left-aligned
    return "  ".join(f"{c!s:<{-w}}" if w < 0 else f"{c!s:>{w}}" for c, w in zip(cells, widths, strict=True))


def best_trial(study: optuna.Study) -> FrozenTrial:
    """The complete trial with the highest accuracy; ValueError when none completed."""
    complete = [
        t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if "spec" in t.user_attrs
    ]
    if not complete:
        raise ValueError(f"study {study.study_name!r} has no complete trial yet")
    return max(complete, key=lambda t: (t.value, -t.number))


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the (cost, accuracy) points no other point beats on both (lower cost, higher accuracy)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], float("-inf")
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front
