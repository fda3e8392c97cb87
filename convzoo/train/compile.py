"""torch.compile for training, evaluation and prediction (`--compile`)."""

from __future__ import annotations

from torch import nn

# TorchInductor: fused C++/OpenMP kernels on CPU (it needs a C++ compiler), Triton on CUDA.
COMPILE_BACKEND = "inductor"


def compile_model(model: nn.Module) -> nn.Module:
    """The model wrapped by torch.compile; it compiles on the first call and again for a new mode
    (train/eval) or input shape. Save the wrapped model's weights from `model` itself: the
    wrapper's state_dict keys carry an `_orig_mod.` prefix."""
    import torch

    return torch.compile(model, backend=COMPILE_BACKEND)
