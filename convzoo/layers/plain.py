"""Rows and blocks of the plain (non-residual) conv stacks of AlexNet and ZFNet."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .lrn import LocalResponseNorm


@dataclass(frozen=True)
class ConvRow:
    """One convolutional layer as a paper's table lists it, with what follows it."""

    out_chs: int
    kernel: int
    stride: int = 1
    padding: int = 0
    groups: int = 1
    lrn: bool = False  # local response normalisation after the ReLU
    pool: bool = False  # 3x3 max-pooling, stride 2, after that
    pool_first: bool = False  # pool before the LRN (ZFNet's Fig. 3), not after it (AlexNet's Sec. 3.5)


class ConvBlock(nn.Sequential):
    """conv -> ReLU -> [LRN] -> [3x3/2 max-pool] (or pool, then LRN: `row.pool_first`);
    `ceil_mode` follows Caffe's pooling arithmetic."""

    def __init__(self, row: ConvRow, in_chs: int, lrn_groups: int = 1, ceil_mode: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_chs, row.out_chs, row.kernel, row.stride, row.padding, groups=row.groups)
        self.act = nn.ReLU(inplace=True)
        layers = {}
        if row.lrn:
            layers["norm"] = LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0, groups=lrn_groups)
        if row.pool:
            layers["pool"] = nn.MaxPool2d(3, 2, ceil_mode=ceil_mode)
        for name in sorted(layers, key=lambda n: n != "pool") if row.pool_first else layers:
            self.add_module(name, layers[name])  # nn.Sequential runs its modules in this order


def conv_stack(rows: tuple[ConvRow, ...], in_chs: int, lrn_groups: int = 1, ceil_mode: bool = False):
    """nn.Sequential of ConvBlocks named conv1, conv2, ...; returns it and its output width."""
    blocks = nn.Sequential()
    for i, row in enumerate(rows, start=1):
        blocks.add_module(f"conv{i}", ConvBlock(row, in_chs, lrn_groups, ceil_mode))
        in_chs = row.out_chs
    return blocks, in_chs


def stack_feature_info(rows: tuple[ConvRow, ...], prefix: str = "features") -> list[dict]:
    """feature_info of a conv_stack: one entry per block that ends in pooling, plus the last block."""
    info, reduction = [], 1
    for i, row in enumerate(rows, start=1):
        reduction *= row.stride * (2 if row.pool else 1)
        if row.pool or i == len(rows):
            info.append(dict(module=f"{prefix}.conv{i}", num_chs=row.out_chs, reduction=reduction))
    return info
