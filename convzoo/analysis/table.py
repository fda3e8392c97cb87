"""Plain-text tables and compact numbers for the analysis commands."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def compact(value: float, unit: str = "", base: int = 1000) -> str:
    """1_234_567 -> '1.23M'; with base 1024 and unit 'B': 3_211_264 -> '3.06MiB'."""
    prefixes = ("", "K", "M", "G", "T")
    v, i = float(value), 0
    while abs(v) >= base and i < len(prefixes) - 1:
        v, i = v / base, i + 1
    suffix = prefixes[i] + ("i" if base == 1024 and i else "") + unit
    return f"{v:.0f}{suffix}" if i == 0 else f"{v:.3g}{suffix}"


def format_table(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    footer: Sequence[str] = (),
    right: Sequence[int] = (),
) -> str:
    """A title, aligned columns under a rule, and footer lines; columns in `right` align right."""
    rows = [tuple(r) for r in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(headers), rule, *(line(r) for r in rows), rule, *footer])
