"""BatchNorm layers frozen for fine-tuning: they normalise with their running statistics even in
train() mode, so the statistics a checkpoint brings are kept while the layers around them train.

Freezing changes the layer's class (`freeze_batchnorm`), not the instance's methods: the
parameters, buffers, state-dict keys and hooks stay as they are, and a deepcopy (an EMA model),
pickle or torch.save(model) keeps the behaviour because it belongs to an importable class.
"""

from __future__ import annotations

import sys

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from .preact import BatchNormReLU


class FrozenNorm:
    """Mixin placed before a BatchNorm class: train(mode) leaves the layer in eval mode."""

    def train(self, mode: bool = True):
        return super().train(False)


def frozen_class(cls: type[_BatchNorm]) -> type[_BatchNorm]:
    """The frozen counterpart of a BatchNorm class (FrozenBatchNorm2d for nn.BatchNorm2d).

    The classes of the norms convzoo's models use are made on import, so pickles of frozen models
    load in a new process; another BatchNorm subclass gets one made on first use, kept in this
    module under its name.
    """
    if issubclass(cls, FrozenNorm):
        return cls
    name = f"Frozen{cls.__name__}"
    module = sys.modules[__name__]
    existing = getattr(module, name, None)
    if isinstance(existing, type) and existing.__bases__ == (FrozenNorm, cls):
        return existing
    made = type(name, (FrozenNorm, cls), {"__module__": __name__, "__qualname__": name})
    setattr(module, name, made)
    return made


FrozenBatchNorm1d = frozen_class(nn.BatchNorm1d)
FrozenBatchNorm2d = frozen_class(nn.BatchNorm2d)
FrozenBatchNorm3d = frozen_class(nn.BatchNorm3d)
FrozenBatchNormReLU = frozen_class(BatchNormReLU)


def freeze_batchnorm(model: nn.Module) -> list[str]:
    """Make every BatchNorm layer whose own parameters are all frozen a frozen-norm layer (and put
    it in eval mode); returns their names. A layer with a trainable parameter trains (a frozen one
    unfrozen since becomes its plain class again)."""
    frozen = []
    for name, m in model.named_modules():
        if not isinstance(m, _BatchNorm):
            continue
        if any(p.requires_grad for p in m.parameters(recurse=False)):
            if isinstance(m, FrozenNorm):
                m.__class__ = type(m).__bases__[1]
            continue
        m.__class__ = frozen_class(type(m))
        m.eval()
        frozen.append(name)
    return frozen
