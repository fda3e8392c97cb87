"""Multiply-accumulates counted by torch's own counter, torch.utils.flop_counter.FlopCounterMode.

Counted: convolutions and matrix multiplies (linear layers, attention projections and attention
matmuls); not counted: pooling, norms, activations, biases and other elementwise ops. One MAC is
two FLOPs. This is exactly how the reference records of ../shared/reference count their `macs`.

A module whose forward runs more arithmetic than the network it stands for declares how much of
it counts: a `mac_fraction` attribute (a Fraction, e.g. LeNet-5's C3, a dense 16 x 6 convolution
holding its 36 absent kernels at zero, counts 60/96 of it). What the counter sees while that
module's forward runs is scaled by it (nested fractions multiply); the forward itself is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count


def _cpu_sdpa_flops(q, k, v, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(q, k, v)


class _CountedFractions:
    """The product of the `mac_fraction`s of the modules whose forward is running (module hooks)."""

    def __init__(self) -> None:
        self.stack = [Fraction(1)]

    def enter(self, module: nn.Module, args) -> None:
        fraction = getattr(module, "mac_fraction", None)
        if fraction is not None:
            self.stack.append(self.stack[-1] * Fraction(fraction))

    def leave(self, module: nn.Module, args, output) -> None:
        if getattr(module, "mac_fraction", None) is not None:
            self.stack.pop()

    def scaled(self, count_flops):
        """`count_flops` (an entry of the FlopCounterMode's registry) times the current fraction."""

        def count(*args, **kwargs) -> int:
            flops, fraction = count_flops(*args, **kwargs), self.stack[-1]
            return flops if fraction == 1 else int(flops * fraction)

        return count

    @contextmanager
    def hooked(self) -> Iterator[None]:
        hooks = (
            nn.modules.module.register_module_forward_pre_hook(self.enter),
            nn.modules.module.register_module_forward_hook(self.leave, always_call=True),
        )
        try:
            yield
        finally:
            for h in hooks:
                h.remove()


@contextmanager
def mac_counter() -> Iterator[FlopCounterMode]:
    """A FlopCounterMode that also sees attention: read `macs(counter)` inside or after the block.

    nn.MultiheadAttention's fused inference path is switched off (its projections would be
    invisible to the counter) and the CPU flash-attention kernel is counted with torch's SDPA formula.
    Modules with a `mac_fraction` count that fraction of what runs inside them.
    """
    mapping = {}
    if hasattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu"):
        mapping[torch.ops.aten._scaled_dot_product_flash_attention_for_cpu] = _cpu_sdpa_flops
    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    fractions = _CountedFractions()
    counter = FlopCounterMode(display=False, custom_mapping=mapping)
    counter.flop_registry = {op: fractions.scaled(f) for op, f in counter.flop_registry.items()}
    try:
        with counter, fractions.hooked():
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
