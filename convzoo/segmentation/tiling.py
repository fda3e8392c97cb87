"""Input geometry of dense models: mirrored borders, output windows and overlap-tile prediction.

An unpadded U-Net's output is smaller than its input (572 -> 388: 92 pixels lost at each
border). Ronneberger et al. (Sec. 2, Fig. 2) segment an image of any size by the overlap-tile
strategy: the image's border is extrapolated by mirroring, and tiles whose outputs abut are
predicted one by one, each seeing the context its output window needs. Models whose output has
the input's size (padded U-Net, backbone U-Nets, FPN) go through the same code with no margin.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _reflect_index(n: int, before: int, after: int) -> torch.Tensor:
    """Source indices of positions -before .. n + after - 1 mirrored into 0 .. n - 1, as often as needed."""
    i = torch.arange(-before, n + after)
    if n == 1:
        return torch.zeros_like(i)
    period = 2 * (n - 1)
    i = i % period
    return torch.where(i >= n, period - i, i)


def mirror_pad(x: torch.Tensor, top: int, bottom: int, left: int, right: int) -> torch.Tensor:
    """x (... x H x W) extended by mirroring at its borders (edge pixel not repeated), any width:
    pads larger than the image reflect again, as Fig. 2's extrapolation of a small image needs."""
    rows = _reflect_index(x.shape[-2], top, bottom).to(x.device)
    cols = _reflect_index(x.shape[-1], left, right).to(x.device)
    return x.index_select(-2, rows).index_select(-1, cols)


def _valid(model: nn.Module, side: int) -> int | None:
    try:
        return int(model.output_size((side, side))[0])
    except ValueError:
        return None


def input_side_for(model: nn.Module, side: int) -> tuple[int, int]:
    """(input side, output side): the smallest input the model takes whose output covers `side` pixels."""
    s = max(side, int(getattr(model, "min_input_size", 1)))
    for candidate in range(s, s + 4096):
        out = _valid(model, candidate)
        if out is not None and out >= side:
            return candidate, out
    raise ValueError(
        f"{getattr(model, 'model_name', type(model).__name__)} has no input covering {side} pixels"
    )


def translation_step(model: nn.Module, tile: int) -> int:
    """Shifts by which the model's output shifts exactly: the gap between valid input sides
    (16 for U-Net's four poolings); 32 when every side is valid (strided backbones)."""
    nxt = next(s for s in range(tile + 1, tile + 4097) if _valid(model, s) is not None)
    return 32 if nxt - tile == 1 else nxt - tile


def fit_to_output(model: nn.Module, x: torch.Tensor, forward: nn.Module | None = None) -> torch.Tensor:
    """Logits N x K x H x W for the whole of x (N x C x H x W): x mirror-padded to the smallest input
    whose output window covers it, the output cropped to x's pixels. `forward` (default: model) runs
    the net (a DDP wrapper, say); `model` gives the geometry."""
    h, w = x.shape[-2:]
    (ih, oh), (iw, ow) = input_side_for(model, h), input_side_for(model, w)
    mh, mw = (ih - oh) // 2, (iw - ow) // 2  # the output window's offset inside the input
    top, left = mh + (oh - h) // 2, mw + (ow - w) // 2
    if (ih, iw) != (h, w):
        x = mirror_pad(x, top, ih - h - top, left, iw - w - left)
    out = (forward or model)(x)
    return out[..., top - mh : top - mh + h, left - mw : left - mw + w]


@torch.inference_mode()
def predict_tiled(model: nn.Module, x: torch.Tensor, tile: int, batch: int = 4) -> torch.Tensor:
    """Overlap-tile prediction (Fig. 2): logits N x K x H x W for x of any size, from tile x tile inputs.

    Output windows start every `step` pixels, the largest multiple of the model's translation step
    that fits in the output tile, so every tile sees the image exactly as one big forward would
    (its poolings line up): the result equals the untiled prediction wherever both exist.
    """
    model.eval()
    out_tile = _valid(model, tile)
    if out_tile is None:
        raise ValueError(f"tile {tile} is not an input side {model.model_name} takes")
    margin = (tile - out_tile) // 2
    step = max(1, out_tile // translation_step(model, tile) * translation_step(model, tile))
    n, _, h, w = x.shape
    rows = 1 + max(0, math.ceil((h - out_tile) / step))
    cols = 1 + max(0, math.ceil((w - out_tile) / step))
    ph, pw = (rows - 1) * step + out_tile, (cols - 1) * step + out_tile
    padded = mirror_pad(x, margin, margin + ph - h, margin, margin + pw - w)
    origins = [(r * step, c * step) for r in range(rows) for c in range(cols)]
    result = None
    for start in range(0, len(origins), batch):
        chunk = origins[start : start + batch]
        tiles = torch.cat([padded[..., r : r + tile, c : c + tile] for r, c in chunk])
        logits = model(tiles).float()
        if result is None:
            result = logits.new_zeros(n, logits.shape[1], ph, pw)
        for k, (r, c) in enumerate(chunk):
            result[..., r : r + out_tile, c : c + out_tile] = logits[k * n : (k + 1) * n]
    return result[..., :h, :w]
