"""Receptive fields tracked per tensor through one forward pass.

Every tensor derived from the input carries, per spatial axis, the field of its first unit:
`size` (input pixels it sees), `stride` (input pixels between neighbouring units; the effective
stride) and `start` (the centre of the first unit's field, in input pixel coordinates where pixel
i has its centre at i; negative values reach into the padding). The rules are those of Araujo,
Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks" (Distill, 2019):

    size'  = size + (k_eff - 1) * stride         k_eff = dilation * (kernel - 1) + 1
    stride' = stride * s
    start' = start + ((k_eff - 1) / 2 - padding) * stride

Where paths meet (add, cat, multiply) the output takes the largest field over its inputs, axis by
axis, so branching nets (Inception, ResNet, DenseNet) get the field of their widest path. A tensor
that has lost its spatial layout (flattened, globally pooled, token sequences) has `stride` None
and the size of everything its inputs saw; so has every tensor such a one is broadcast into
(a squeeze-and-excitation gate scaling a map, any global context): from there on the field is
global, and the convolutions that follow do not grow it.

Upsampling (transposed convolutions, interpolation by whole factors) makes neighbouring units see
fields of different sizes: a window of w units on a grid upsampled u times reaches at most
ceil((w - 1) / u) + 1 units of the coarser grid. Such axes keep the coarse field (`base`) and the
windows opened on each finer grid (`levels`), and `size` is the largest field over the units, as
an exact count gives it (U-Net's output units see 188 to 204 pixels: 204; the continuous rule
would say 200). A strided window on an upsampled grid falls back to the continuous rule.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils.weak import WeakIdKeyDictionary


@dataclass(frozen=True)
class AxisField:
    """The receptive field of a tensor's units along one spatial axis.

    `base` (size, stride) and `levels` ((factor, window), ...) describe an upsampled axis: the
    coarse field, then per upsampling the factor and the window opened on that grid since.
    """

    size: float
    stride: float | None
    start: float
    base: tuple[float, float] | None = None
    levels: tuple[tuple[int, int], ...] = ()

    @property
    def is_global(self) -> bool:
        return self.stride is None

    def union(self, n: int) -> AxisField:
        """The field of all n units of this axis together (what a global pool or a flatten sees)."""
        if self.stride is None:
            return self
        size = self.size + (n - 1) * self.stride
        if self.levels:
            size = _exact(self.base, _widen(self.levels, n - 1))
        return AxisField(size, None, self.start + (n - 1) * self.stride / 2)

    def grow(self, taps: float, step: float, offset: float) -> AxisField:
        """One output unit combines `taps` units of this axis, `step` units from its neighbour, the
        first centred `offset` units from this axis's first."""
        if self.is_global:
            return self
        start = self.start + offset * self.stride
        if step == 1 and self.levels:  # a window on an upsampled grid
            levels = _widen(self.levels, taps - 1)
            return AxisField(_exact(self.base, levels), self.stride, start, self.base, levels)
        factor = 1 / step
        if step < 1 and factor.is_integer():  # upsampling: the taps on this grid, then a finer grid
            coarse = self.grow(taps, 1, 0)
            base = coarse.base or (coarse.size, coarse.stride)
            levels = (*coarse.levels, (round(factor), 1))
            return AxisField(coarse.size, self.stride * step, start, base, levels)
        return AxisField(self.size + (taps - 1) * self.stride, self.stride * step, start)


def _widen(levels: tuple[tuple[int, int], ...], extra: float) -> tuple[tuple[int, int], ...]:
    factor, window = levels[-1]
    return (*levels[:-1], (factor, window + round(extra)))


def _exact(base: tuple[float, float], levels: tuple[tuple[int, int], ...]) -> float:
    """The largest field of a window on the finest grid, counted down to the coarse grid."""
    window = levels[-1][1]
    for i in range(len(levels) - 1, -1, -1):
        reach = math.ceil((window - 1) / levels[i][0]) + 1  # coarser units the window can touch
        window = levels[i - 1][1] + reach - 1 if i else reach
    return base[0] + (window - 1) * base[1]


Field = tuple[AxisField, ...]
REDUCTIONS = frozenset({"mean", "sum", "amax", "amin", "max", "min", "std", "var", "norm", "logsumexp"})


def input_field(spatial_dims: int) -> Field:
    """The field of the input itself: each pixel sees itself."""
    return tuple(AxisField(1, 1, 0) for _ in range(spatial_dims))


def _tuple(value: Any, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value) if len(value) == n else tuple(value[:1]) * n
    return (value,) * n


def _arg(args: Sequence, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def _grow(field: Field, taps: Sequence[float], steps: Sequence[float], offsets: Sequence[float]) -> Field:
    """`AxisField.grow` on every axis."""
    return tuple(axis.grow(t, st, o) for axis, t, st, o in zip(field, taps, steps, offsets, strict=True))


def _window(field: Field, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> Field:
    k_eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    return _grow(field, k_eff, stride, [(k - 1) / 2 - p for k, p in zip(k_eff, padding, strict=True)])


def _conv(field: Field, x: torch.Tensor, args: Sequence, kwargs: dict) -> Field:
    n = len(field)
    kernel = tuple(_arg(args, kwargs, 1, "weight").shape[2:])
    dilation = _tuple(_arg(args, kwargs, 5, "dilation", 1), n)
    padding = _arg(args, kwargs, 4, "padding", 0)
    if padding == "valid":
        padding = (0,) * n
    elif padding == "same":
        padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation, strict=True))
    return _window(field, kernel, _tuple(_arg(args, kwargs, 3, "stride", 1), n), _tuple(padding, n), dilation)


def _conv_transpose(field: Field, x: torch.Tensor, args: Sequence, kwargs: dict) -> Field:
    n = len(field)
    kernel = tuple(_arg(args, kwargs, 1, "weight").shape[2:])
    strides = _tuple(_arg(args, kwargs, 3, "stride", 1), n)
    padding = _tuple(_arg(args, kwargs, 4, "padding", 0), n)
    dilation = _tuple(_arg(args, kwargs, 7, "dilation", 1), n)
    k_eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    return _grow(
        field,
        [math.ceil(k / s) for k, s in zip(k_eff, strides, strict=True)],  # input units per output unit
        [1 / s for s in strides],
        [(p - (k - 1) / 2) / s for k, s, p in zip(k_eff, strides, padding, strict=True)],
    )


def _pool(kernel_index: int, has_dilation: bool) -> Callable[[Field, torch.Tensor, Sequence, dict], Field]:
    def rule(field: Field, x: torch.Tensor, args: Sequence, kwargs: dict) -> Field:
        n = len(field)
        kernel = _tuple(_arg(args, kwargs, kernel_index, "kernel_size"), n)
        stride = _arg(args, kwargs, kernel_index + 1, "stride", None)
        stride = kernel if stride is None or stride == [] or stride == () else _tuple(stride, n)
        padding = (0,) * n if kernel_index == 2 else _tuple(_arg(args, kwargs, 3, "padding", 0), n)
        dilation = _tuple(_arg(args, kwargs, 4, "dilation", 1), n) if has_dilation else (1,) * n
        return _window(field, kernel, stride, padding, dilation)

    return rule


def _sizes(field: Field, x: torch.Tensor, out: torch.Tensor) -> list[tuple[int, int]]:
    n = len(field)
    return list(zip(x.shape[-n:], out.shape[-n:], strict=True))


def _adaptive(field: Field, x: torch.Tensor, out: torch.Tensor) -> Field:
    sizes = _sizes(field, x, out)
    if all(o == 1 for _, o in sizes):
        return tuple(axis.union(n) for axis, (n, _) in zip(field, sizes, strict=True))
    # torch's adaptive bins: [floor(i * n / o), ceil((i + 1) * n / o))
    kernels = [max(math.ceil((i + 1) * n / o) - (i * n) // o for i in range(o)) for n, o in sizes]
    return _grow(field, kernels, [n / o for n, o in sizes], [(math.ceil(n / o) - 1) / 2 for n, o in sizes])


def _pad(field: Field, x: torch.Tensor, args: Sequence, kwargs: dict) -> Field:
    lefts = list(_arg(args, kwargs, 1, "pad"))[0::2]  # (left of the last axis, left of the one before, ...)
    lefts = ([*lefts, *[0] * len(field)])[: len(field)][::-1]
    return _grow(field, [1] * len(field), [1] * len(field), [-left for left in lefts])


def _resize(field: Field, x: torch.Tensor, out: torch.Tensor, mode: str) -> Field:
    taps = 1 if mode in ("nearest", "nearest-exact", "area") else 4 if mode == "bicubic" else 2
    ratios = [n / o for n, o in _sizes(field, x, out)]
    return _grow(field, [taps] * len(field), ratios, [(r - 1) / 2 for r in ratios])


WINDOW_RULES: dict[str, Callable[[Field, torch.Tensor, Sequence, dict], Field]] = {
    **{f"conv{n}d": _conv for n in (1, 2, 3)},
    **{f"conv_transpose{n}d": _conv_transpose for n in (1, 2, 3)},
    **{f"max_pool{n}d": _pool(1, has_dilation=True) for n in (1, 2, 3)},
    **{f"avg_pool{n}d": _pool(1, has_dilation=False) for n in (1, 2, 3)},
    **{f"lp_pool{n}d": _pool(2, has_dilation=False) for n in (1, 2, 3)},
    "pad": _pad,
}


def tensors_in(obj: Any) -> Iterator[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from tensors_in(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from tensors_in(item)


def _has(tensors: list[torch.Tensor], t: torch.Tensor) -> bool:
    return any(u is t for u in tensors)


def _spatial(t: torch.Tensor, n: int) -> tuple[int, ...] | None:
    return tuple(t.shape[-n:]) if t.dim() > n else None


class ReceptiveFieldMode(TorchFunctionMode):
    """Within this mode every torch function passes the receptive field of its inputs on to its outputs.

    Seed the input with `track(x)`; read any later tensor's field with `field_of(t)` (None for
    tensors that do not depend on the input, such as weights).
    """

    def __init__(self) -> None:
        super().__init__()
        self.fields: WeakIdKeyDictionary = WeakIdKeyDictionary()

    def track(self, x: torch.Tensor) -> torch.Tensor:
        self.fields[x] = input_field(x.dim() - 2)
        return x

    def field_of(self, t: Any) -> Field | None:
        return self.fields.get(t) if isinstance(t, torch.Tensor) else None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        tracked = [t for t in tensors_in((args, kwargs)) if t in self.fields]
        # an op this tracker cannot read must not stop the forward pass: its outputs stay untracked
        with contextlib.suppress(Exception):
            if tracked:
                self._propagate(getattr(func, "__name__", ""), tracked, args, kwargs, out)
        return out

    def _propagate(self, name: str, tracked: list, args: Sequence, kwargs: dict, out: Any) -> None:
        outputs = list(tensors_in(out))
        if not outputs:
            return
        first = args[0] if args and isinstance(args[0], torch.Tensor) and args[0] in self.fields else None
        field = self.fields[first] if first is not None else None
        if field is not None and name in WINDOW_RULES:
            self.fields[outputs[0]] = WINDOW_RULES[name](field, first, args, kwargs)
        elif field is not None and name.startswith(("adaptive_avg_pool", "adaptive_max_pool")):
            self.fields[outputs[0]] = _adaptive(field, first, outputs[0])
        elif field is not None and name in ("interpolate", "upsample"):
            mode = _arg(args, kwargs, 3, "mode", "nearest")
            self.fields[outputs[0]] = _resize(field, first, outputs[0], mode)
        else:
            for t in outputs:
                self.fields[t] = self._merge(name, tracked, t)

    def _merge(self, name: str, inputs: list[torch.Tensor], out: torch.Tensor) -> Field:
        """Any other op: the largest field over the inputs, aligned with the output where it can be."""
        n = len(self.fields[inputs[0]])
        shape = _spatial(out, n)
        aligned = [t for t in inputs if shape is not None and _spatial(t, n) == shape]
        if not aligned and shape is not None and out.dim() == inputs[0].dim() and name not in REDUCTIONS:
            # a crop, slice or permutation: the units keep their fields
            return self.fields[inputs[0]]
        result = []
        for i in range(n):
            own = [self.fields[t][i] for t in aligned if not self.fields[t][i].is_global]
            seen = [
                self.fields[t][i].union(t.shape[-n + i])
                for t in inputs
                if not (_has(aligned, t) and not self.fields[t][i].is_global)
            ]
            if not seen:
                result.append(max(own, key=lambda a: a.size))
            else:  # an input broadcast over the output (an SE gate, a pooled context): every unit
                # sees all that input saw, so the output's field is global, not a larger local one
                best = max(seen, key=lambda a: a.size)
                result.append(AxisField(max(a.size for a in own + seen), None, best.start))
        return tuple(result)
