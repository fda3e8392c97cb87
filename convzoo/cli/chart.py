"""convzoo chart zoo|timeline --out FILE.png: the zoo's parameters vs MACs, the ILSVRC timeline."""

from __future__ import annotations

import argparse

from .common import CliError, print_json

NAME = "chart"
HELP = "draw the zoo (parameters vs MACs, coloured by top-1) or the ILSVRC winners' timeline as a PNG"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", choices=["zoo", "timeline"], help="the chart to draw")
    parser.add_argument("--out", help="PNG file to write (default: zoo.png / timeline.png)")
    parser.add_argument("--models", default="*", metavar="PATTERN", help="zoo: only models matching PATTERN")


def run(args: argparse.Namespace) -> int:
    from ..analysis.charts import timeline_chart, zoo_chart
    from ..analysis.ilsvrc import timeline
    from ..analysis.zoo_costs import zoo_points

    out = args.out or f"{args.which}.png"
    if not out.lower().endswith(".png"):
        raise CliError(f"--out must name a .png file, got {out!r}")
    if args.which == "zoo":
        points = zoo_points(args.models)
        if not points:
            raise CliError(f"no registered ImageNet classifier matches {args.models!r}")
        path = zoo_chart(points, out)
    else:
        points = timeline()
        path = timeline_chart(points, out)
    if args.json:
        print_json({"chart": args.which, "out": str(path), "points": [p.to_dict() for p in points]})
    else:
        print(f"wrote {path} ({len(points)} points)")
    return 0
