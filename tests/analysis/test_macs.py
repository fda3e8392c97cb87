"""MAC counting: a module's `mac_fraction` scales what the counter sees inside it, nothing else."""

from __future__ import annotations

from fractions import Fraction

import torch
from torch import nn

from convzoo.analysis import count_macs, summary


class Counted(nn.Module):
    """A convolution that declares how much of its arithmetic counts."""

    def __init__(self, inner: nn.Module, fraction: Fraction) -> None:
        super().__init__()
        self.inner, self.mac_fraction = inner, fraction

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x)


def conv() -> nn.Conv2d:
    return nn.Conv2d(4, 8, 3, bias=False)  # 8 x 4 x 9 = 288 MACs per output position


def test_a_mac_fraction_scales_only_its_own_module():
    torch.manual_seed(0)
    plain, scaled = conv(), conv()
    model = nn.Sequential(plain, nn.ReLU(), nn.Conv2d(8, 4, 1), Counted(scaled, Fraction(1, 4)))
    x = torch.randn(1, 4, 10, 10)
    dense = 288 * 8 * 8 + 4 * 8 * 8 * 8 + 288 * 6 * 6
    assert count_macs(nn.Sequential(plain, nn.ReLU(), nn.Conv2d(8, 4, 1), scaled), x) == dense
    assert count_macs(model, x) == dense - 288 * 6 * 6 * 3 // 4
    rows = {r.name: r.macs for r in summary(model, (4, 10, 10)).layers}
    assert rows["0"] == 288 * 64 and rows["3.inner"] == 288 * 36 // 4
    assert sum(rows.values()) == count_macs(model, x)


def test_nested_fractions_multiply_and_the_forward_is_unchanged():
    torch.manual_seed(0)
    inner = conv()
    model = Counted(nn.Sequential(Counted(inner, Fraction(1, 4)), nn.Conv2d(8, 8, 1)), Fraction(1, 2))
    x = torch.randn(2, 4, 6, 6)
    assert count_macs(model, x) == 2 * (288 * 16 // 8 + 64 * 16 // 2)
    assert torch.equal(model(x), model.inner[1](inner(x)))
    assert count_macs(inner, x) == 2 * 288 * 16  # outside the declaring module: the full count
