"""convzoo features CHECKPOINT --data NAME --out feats.npz: penultimate-layer embeddings with labels."""

from __future__ import annotations

import argparse

from .common import CliError, print_json, require_positive

NAME = "features"
HELP = "save the penultimate-layer embeddings of a dataset (with labels) as .npz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a checkpoint written by `convzoo train`, or its run directory")
    parser.add_argument("--data", help="dataset name or image folder (default: the one it was trained on)")
    parser.add_argument(
        "--data-dir", help="folder with the dataset's files (default: the one it was trained on)"
    )
    parser.add_argument("--out", required=True, help=".npz file to write")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="only N images of each split (image folders: a seeded sample of every class)",
    )


def run(args: argparse.Namespace) -> int:
    from ..data import DataError, load_dataset
    from ..preprocessing import checkpoint_split
    from ..train import load_checkpoint
    from ..train.checkpoint import checkpoint_stats, data_source
    from ..transfer.embeddings import extract_features, save_features

    require_positive(batch_size=args.batch_size, limit=args.limit)
    try:
        model, meta = load_checkpoint(args.checkpoint)
        data, data_dir = data_source(meta, args.data, args.data_dir)
        ds = load_dataset(data, data_dir, in_chans=meta["in_chans"])
        mean, std = checkpoint_stats(meta)
        arrays = {}
        for split_name, split in (("train", ds.train), ("test", ds.test)):
            split = checkpoint_split(split.subset(args.limit), meta, meta["input_size"][-1])
            feats, labels = extract_features(model, split.batches(args.batch_size, mean, std))
            arrays[f"{split_name}_features"], arrays[f"{split_name}_labels"] = feats, labels
        path = save_features(args.out, **arrays, classes=ds.classes)
    except (DataError, ValueError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    summary = {
        "out": str(path),
        "model": meta["model"],
        "dataset": data,
        "num_features": int(arrays["train_features"].shape[1]),
        "train": len(arrays["train_labels"]),
        "test": len(arrays["test_labels"]),
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"{summary['train']} train and {summary['test']} test embeddings of width "
            f"{summary['num_features']} written to {path}"
        )
    return 0
