"""Multiply-accumulates counted by torch's own counter, torch.utils.flop_counter.FlopCounterMode.

Counted: convolutions and matrix multiplies (linear layers, attention projections and attention
matmuls); not counted: pooling, norms, activations, biases and other elementwise ops. One MAC is
two FLOPs. This is exactly how the reference records of ../shared/reference count their `macs`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count


def _cpu_sdpa_flops(q, k, v, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(q, k, v)


@contextmanager
def mac_counter() -> Iterator[FlopCounterMode]:
    """A FlopCounterMode that also sees attention: read `macs(counter)` inside or after the block.

    nn.MultiheadAttention's fused inference path is switched off (its projections would be
    invisible to the counter) and the CPU flash-attention kernel is counted with torch's SDPA formula.
    """
    mapping = {}
    if hasattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu"):
        mapping[torch.ops.aten._scaled_dot_product_flash_attention_for_cpu] = _cpu_sdpa_flops
    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with FlopCounterMode(display=False, custom_mapping=mapping) as counter:
            yield counter
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)


def macs(counter: FlopCounterMode) -> int:
    """MACs counted so far: total FLOPs // 2."""
    return int(counter.get_total_flops()) // 2


def count_macs(module: nn.Module, *inputs: torch.Tensor) -> int:
    """MACs of one forward pass of `module` on `inputs`, without autograd."""
    with torch.no_grad(), mac_counter() as counter:
        module(*inputs)
    return macs(counter)
