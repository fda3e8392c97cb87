"""LeNet-5 on full MNIST with convzoo's default recipe, against the classic PyTorch MNIST example.

    python benchmarks/train_mnist.py [--data-dir ../shared/data/mnist] [--epochs N] [--threads N]

Reports, per model (lenet5_modern, lenet5): test top-1 per epoch, training seconds to 99.0%, the best
top-1 within 60 s of training; the baseline (2 conv + 2 fc, Adadelta lr 1.0, batch 64, per-sample
loading) timed to 99.0%; and the trainer's images/s against a bare hand-written loop on the same
model, batch and data (no augmentation in either). Writes benchmarks/RESULTS-train.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from convzoo import create_model
from convzoo.data import load_dataset, normalize
from convzoo.train import Trainer, resolve_config
from convzoo.train.config import environment

HERE = Path(__file__).resolve().parent
SEED = 0


def load_avg() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


# ---- the classic PyTorch example (pytorch/examples mnist/main.py) -----------------------------------


class ExampleNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = self.dropout2(F.relu(self.fc1(torch.flatten(self.dropout1(x), 1))))
        return F.log_softmax(self.fc2(x), dim=1)


class PerSample(torch.utils.data.Dataset):
    """As torchvision's MNIST + ToTensor + Normalize: one PIL image converted per __getitem__."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images.numpy(), labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        from PIL import Image

        pil = Image.fromarray(self.images[i, 0], mode="L")
        x = torch.from_numpy(np.asarray(pil, dtype=np.float32) / 255.0).unsqueeze(0)
        return (x - 0.1307) / 0.3081, int(self.labels[i])


def baseline(ds, max_epochs: int, budget_s: float) -> dict:
    torch.manual_seed(SEED)
    model = ExampleNet()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    train = torch.utils.data.DataLoader(
        PerSample(ds.train.images, ds.train.labels), batch_size=64, shuffle=True
    )
    test = torch.utils.data.DataLoader(PerSample(ds.test.images, ds.test.labels), batch_size=1000)
    elapsed, rows, to_99 = 0.0, [], None
    for epoch in range(1, max_epochs + 1):
        model.train()
        start = time.perf_counter()
        for x, y in train:
            opt.zero_grad()
            F.nll_loss(model(x), y).backward()
            opt.step()
        sched.step()
        elapsed += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in test)
        top1 = correct / len(ds.test)
        rows.append((epoch, top1, elapsed))
        print(f"baseline epoch {epoch}: top-1 {top1:.2%}  {elapsed:.1f}s", flush=True)
        if top1 >= 0.99 and to_99 is None:
            to_99 = elapsed
            break
        if elapsed > budget_s:
            break
    return {"rows": rows, "to_99": to_99}


# ---- convzoo's trainer ------------------------------------------------------------------------------


def run_recipe(model: str, ds, epochs: int | None, threads: int | None) -> dict:
    layers = {"data": "mnist", "epochs": epochs, "threads": threads, "seed": SEED}
    cfg = resolve_config(model, layers)
    trainer = Trainer(cfg, dataset=ds)
    result = trainer.fit()
    rows = [(r["epoch"], r["test_top1"], r["elapsed"], r["images_per_s"]) for r in result.history]
    to_99 = next((e for _, t, e, _ in rows if t >= 0.99), None)
    within_60 = max((t for _, t, e, _ in rows if e <= 60), default=None)
    return {"cfg": cfg, "rows": rows, "to_99": to_99, "within_60": within_60, "final": result.final["top1"]}


def throughput(
    model_name: str, ds, batch_size: int, steps: int, threads: int | None, repeats: int = 8
) -> dict:
    """Images/s of the trainer's epoch loop vs a bare loop: same model, batch and data."""
    n = batch_size * steps
    cfg = resolve_config(model_name, {"data": "mnist", "augment": "none", "threads": threads, "seed": SEED,
                                      "train_limit": n, "test_limit": 1000})  # fmt: skip
    trainer = Trainer(cfg, dataset=ds)
    images = trainer.dataset.train.images[:n]
    labels = trainer.dataset.train.labels[:n]
    mean, std = trainer.mean, trainer.std

    def bare() -> float:
        torch.manual_seed(SEED)
        model = create_model(model_name)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n)
        for i in range(0, n, batch_size):
            idx = order[i : i + batch_size]
            x = normalize(images[idx], mean, std)
            loss = F.cross_entropy(model(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return n / (time.perf_counter() - start)

    trainer_ips, bare_ips = [], []
    for epoch in range(1, repeats + 1):  # interleaved, alternating who goes first, best of each
        if epoch % 2:
            bare_ips.append(bare())
        trainer_ips.append(trainer.train_epoch(epoch)["images_per_s"])
        if not epoch % 2:
            bare_ips.append(bare())
    return {"trainer": max(trainer_ips), "bare": max(bare_ips), "ratio": max(trainer_ips) / max(bare_ips)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=str(HERE.parents[1] / "shared" / "data" / "mnist"))
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs")
    parser.add_argument("--threads", type=int, help="override the recipe's torch threads")
    parser.add_argument("--models", default="lenet5_modern,lenet5")
    parser.add_argument("--baseline-epochs", type=int, default=3)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--out", default=str(HERE / "RESULTS-train.md"))
    args = parser.parse_args()

    load_before = load_avg()
    ds = load_dataset("mnist", args.data_dir)
    results = {m: run_recipe(m, ds, args.epochs, args.threads) for m in args.models.split(",")}
    first = args.models.split(",")[0]
    cfg = results[first]["cfg"]
    speed = throughput(first, ds, cfg.batch_size, 300, args.threads)
    print(f"images/s: trainer {speed['trainer']:,.0f}, bare {speed['bare']:,.0f}, ratio {speed['ratio']:.3f}")
    base = None if args.skip_baseline else baseline(ds, args.baseline_epochs, budget_s=600)
    load_after = load_avg()

    env = environment()
    lines = [
        "# LeNet-5 on MNIST: convzoo's default recipe vs the classic PyTorch example",
        "",
        f"Command: `python benchmarks/train_mnist.py{' --epochs ' + str(args.epochs) if args.epochs else ''}"
        f"{' --threads ' + str(args.threads) if args.threads else ''}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Machine: {env['machine']['cpu']}, {env['machine']['cpu_count']} cores visible, "
        f"{platform.platform()}.",
        f"Versions: convzoo {env['versions']['convzoo']}, torch {env['versions']['torch']}, "
        f"numpy {env['versions']['numpy']}, Python {env['versions']['python']}. Seeds: {SEED} everywhere.",
        f"Load average (1/5/15 min) before: {load_before}; after: {load_after}. The machine is shared: "
        "with a load above the core count, seconds here overstate what an idle machine takes.",
        "",
        f"Recipe ({first}): optimizer {cfg.optimizer}, lr {cfg.lr}, batch {cfg.batch_size}, schedule "
        f"{cfg.schedule}, epochs {cfg.epochs}, weight decay {cfg.weight_decay}, augmentation {cfg.augment} "
        f"(MNIST: translate +-2 px), threads {cfg.threads or torch.get_num_threads()}; "
        "28x28 padded to 32x32.",
        "",
        "| run | final top-1 | best top-1 within 60 s | seconds to 99.0% | epochs | images/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        within = f"{r['within_60']:.2%}" if r["within_60"] is not None else "-"
        to99 = f"{r['to_99']:.1f}" if r["to_99"] is not None else "not reached"
        ips = sum(row[3] for row in r["rows"]) / len(r["rows"])
        lines.append(
            f"| convzoo `{name}` | {r['final']:.2%} | {within} | {to99} | {len(r['rows'])} | {ips:,.0f} |"
        )
    if base:
        to99 = f"{base['to_99']:.1f}" if base["to_99"] else f"not reached in {len(base['rows'])} epochs"
        final = base["rows"][-1][1]
        lines.append(f"| PyTorch example (Adadelta, batch 64, per-sample loading) | {final:.2%} | | {to99} | "
                     f"{len(base['rows'])} | |")  # fmt: skip
        ours = results[first]["to_99"]
        if base["to_99"] and ours:
            lines += [
                "",
                f"Time to 99.0%: the example takes {base['to_99'] / ours:.1f}x as long as `{first}`.",
            ]
    lines += [
        "",
        "Per-epoch test top-1 (cumulative training seconds): "
        + "; ".join(
            f"`{n}` " + ", ".join(f"{t:.2%} ({e:.0f}s)" for _, t, e, _ in r["rows"])
            for n, r in results.items()
        ),
        "",
        f"Trainer vs bare loop ({first}, batch {cfg.batch_size}, 300 steps, no augmentation, best of 8 "
        f"interleaved): trainer {speed['trainer']:,.0f} images/s, bare loop {speed['bare']:,.0f} images/s, "
        f"ratio **{speed['ratio']:.3f}** (target >= 0.97).",
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
