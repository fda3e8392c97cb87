"""Local response normalisation as written in Krizhevsky et al. 2012, Section 3.3."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class LocalResponseNorm(nn.Module):
    """b = a / (k + alpha * sum of a^2 over `size` adjacent maps)^beta.

    The paper's alpha multiplies the plain sum; torch's LocalResponseNorm divides alpha by `size`,
    so it is given alpha * size. With `groups` > 1 the maps are normalised within each group only,
    as AlexNet's two GPUs did (maps on the other GPU are not adjacent).
    """

    def __init__(
        self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0, groups: int = 1
    ) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k, self.groups = size, alpha, beta, k, groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grouped_lrn(x, self.size, self.alpha, self.beta, self.k, self.groups)

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}, groups={self.groups}"


def grouped_lrn(x: torch.Tensor, size: int, alpha: float, beta: float, k: float, groups: int) -> torch.Tensor:
    """Local response normalisation within each of `groups` channel groups (one call in an fx graph:
    splitting into groups iterates over the tensor)."""
    chunks = x.chunk(groups, dim=1) if groups > 1 else (x,)
    out = [F.local_response_norm(c, size, alpha * size, beta, k) for c in chunks]
    return out[0] if len(out) == 1 else torch.cat(out, dim=1)


torch.fx.wrap("grouped_lrn")
