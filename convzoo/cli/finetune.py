"""convzoo finetune MODEL --weights FILE --mode linear|partial|full: train's options, from trained weights."""

from __future__ import annotations

import argparse

from . import train

NAME = "finetune"
HELP = "fine-tune trained weights (a convzoo run, or a torchvision/timm file) on a new dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    train.add_arguments(parser)
    parser.add_argument(
        "--weights",
        required=True,
        metavar="FILE",
        help="a convzoo run directory or checkpoint, or a torchvision/timm checkpoint file this model loads",
    )
    parser.add_argument(
        "--mode",
        choices=("linear", "partial", "full"),
        default="linear",
        help="linear: only a new final layer trains; partial: the head and the last --unfreeze stages; "
        "full: everything, with --lr-decay per stage towards the input (default linear)",
    )
    parser.add_argument("--unfreeze", type=int, metavar="K", help="partial: stages that train (default 1)")
    parser.add_argument("--lr-decay", type=float, metavar="F", help="full: lr factor per stage (default 1)")


def run(args: argparse.Namespace) -> int:
    return train.run(args)
