"""Summarise speed_vs_libraries.py results files: ratio ranges, and the pairs slower than the library.

A pair measured in several files keeps the row of the last file named (a recheck overrides the first
run). A pair counts as slower only where both its median ratio and its best-of ratio are above the
threshold: on a shared core one of the two alone moves by more than that between runs.

    python benchmarks/speed_summary.py benchmarks/RESULTS-speed-rest.md benchmarks/RESULTS-speed-tf.md
    python benchmarks/speed_summary.py @benchmarks/speed_files.txt

benchmarks/speed_files.txt names every results file of the comparison, one per line, in the order
in which later timings override earlier ones (the README's summary of all pairs).
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PairTiming:
    """One row of a results table: zoo / library time ratios, of the medians and of the fastest trials."""

    model: str
    eval_ratio: float
    train_ratio: float
    best_eval: float
    best_train: float
    source: str


def read_pairs(path: Path) -> list[PairTiming]:
    """The timed rows of one results file's table, its columns found by their header names (the
    rows of pairs that were not timed, with a reason in place of their numbers, are left out)."""
    pairs, column = [], {}
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "zoo model":
            column = {name: i for i, name in enumerate(cells)}
            continue
        if not column or not cells[0].startswith("`"):
            continue
        best = cells[column["best-of eval / train"]]
        if "/" not in best:
            continue
        best_eval, best_train = (float(v) for v in best.split("/"))
        pairs.append(
            PairTiming(
                model=cells[0].strip("`"),
                eval_ratio=float(cells[column["eval zoo/library"]].strip("*")),
                train_ratio=float(cells[column["train zoo/library"]].strip("*")),
                best_eval=best_eval,
                best_train=best_train,
                source=path.name,
            )
        )
    return pairs


def latest_pairs(paths: list[Path]) -> dict[str, PairTiming]:
    """Each zoo model's row from the last file that measured it."""
    latest: dict[str, PairTiming] = {}
    for path in paths:
        latest.update((p.model, p) for p in read_pairs(path))
    return latest


def summary_lines(pairs: dict[str, PairTiming], threshold: float) -> list[str]:
    """Ranges and medians of the eval and train ratios, then every pair slower on both measures."""
    lines = [f"{len(pairs)} pairs"]
    for phase in ("eval", "train"):
        ratios = [getattr(p, f"{phase}_ratio") for p in pairs.values()]
        lines.append(
            f"{phase}: {min(ratios):.3f} to {max(ratios):.3f}, median {statistics.median(ratios):.3f}; "
            f"{sum(r <= threshold for r in ratios)} of {len(ratios)} at or below {threshold}"
        )
    for p in pairs.values():
        for phase in ("eval", "train"):
            ratio, best = getattr(p, f"{phase}_ratio"), getattr(p, f"best_{phase}")
            if ratio > threshold and best > threshold:
                lines.append(f"slower: {p.model} {phase} {ratio:.3f} (best-of {best:.3f}; {p.source})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], fromfile_prefix_chars="@")
    parser.add_argument("files", nargs="+", type=Path, help="results files, later ones overriding")
    parser.add_argument("--threshold", type=float, default=1.03, help="ratio counted as slower")
    args = parser.parse_args()
    print("\n".join(summary_lines(latest_pairs(args.files), args.threshold)))


if __name__ == "__main__":
    main()
