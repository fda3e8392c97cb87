"""The model contracts every registered model honours (see README, "Model contract").

Classifier: forward(x) == forward_head(forward_features(x)) -> N x num_classes logits.
Dense predictor: forward(x) -> N x num_classes x H' x W', with output_size() telling H', W'.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.utils.checkpoint
from torch import nn

from .layers.heads import global_pool as make_global_pool
from .layers.heads import is_global_pool


class ClassifierOutput(NamedTuple):
    """What a model with auxiliary classifiers returns in train() mode.

    The trainer adds `sum(w * loss(aux) for w, aux in zip(model.aux_loss_weights, aux_logits))`
    to the loss of `logits`; in eval() mode such models return plain logits.
    """

    logits: torch.Tensor
    aux_logits: tuple[torch.Tensor, ...]


def is_symbolic(x: object) -> bool:
    """True for torch.fx's stand-in for a tensor while symbolically tracing: it has no shape to check."""
    return isinstance(x, torch.fx.Proxy)


def check_image_batch(model_name: str, x: torch.Tensor, in_chans: int, min_size: int) -> None:
    """Raise ValueError naming the expected shape unless x is N x in_chans x H x W with H, W >= min_size."""
    expected = f"N x {in_chans} x H x W with H, W >= {min_size}"
    if is_symbolic(x):
        return
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{model_name} expects a torch.Tensor of shape {expected}, got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"{model_name} expects input of shape {expected}; got {tuple(x.shape)}")
    if x.shape[1] != in_chans:
        raise ValueError(
            f"{model_name} expects {in_chans} input channels (shape {expected}); got {x.shape[1]} "
            f"channels in {tuple(x.shape)}. Build it with in_chans={x.shape[1]} to change that."
        )
    if min(x.shape[-2:]) < min_size:
        h, w = x.shape[-2:]
        raise ValueError(
            f"{model_name} needs at least {min_size}x{min_size} input (shape {expected}); got {h}x{w}"
        )


class ImageModel(nn.Module):
    """What every model of the zoo declares: classes, input channels, default and minimum input size.

    `default_input_size` is (H, W) or (C, H, W) with C == in_chans; it is stored as (C, H, W).
    """

    model_name: str = "model"
    num_classes: int
    in_chans: int
    default_input_size: tuple[int, int, int]
    min_input_size: int

    def __init__(
        self,
        num_classes: int,
        in_chans: int,
        default_input_size: tuple[int, int] | tuple[int, int, int],
        min_input_size: int,
    ) -> None:
        super().__init__()
        size = tuple(default_input_size)
        if len(size) == 3:
            if size[0] != in_chans:
                raise ValueError(f"default_input_size {size} has {size[0]} channels, in_chans is {in_chans}")
            size = size[1:]
        if not (isinstance(num_classes, int) and num_classes >= 0):
            raise ValueError(f"num_classes must be an int >= 0, got {num_classes!r}")
        if not (isinstance(in_chans, int) and in_chans >= 1):
            raise ValueError(f"in_chans must be an int >= 1, got {in_chans!r}")
        if len(size) != 2 or not 1 <= min_input_size <= min(size):
            raise ValueError(
                f"default_input_size must be (H, W) with H, W >= min_input_size >= 1; "
                f"got {tuple(default_input_size)} and min_input_size {min_input_size}"
            )
        self.num_classes, self.in_chans = num_classes, in_chans
        self.default_input_size = (in_chans, *size)
        self.min_input_size = min_input_size

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ValueError unless x is a batch this model can take."""
        check_image_batch(self.model_name, x, self.in_chans, self.min_input_size)


class Classifier(ImageModel):
    """Base of every classifier: the input check, forward, and head handling of the contract.

    A family calls `super().__init__(num_classes, in_chans, default_input_size, min_input_size)`,
    sets `self.head` to a module with `fc` (the final layer), `reset(num_classes)` and
    `forward(x, pre_logits=False)`, and implements `forward_features`.
    """

    model_name: str = "classifier"
    num_features: int
    feature_info: list[dict]
    head: nn.Module

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def stage_sequence(self) -> list[tuple[str, nn.Module]] | None:
        """The (dotted name, module) pairs forward_features runs one after another, when it is such a
        chain (ResNet: stem, stages); an nn.Sequential holding a `feature_info` stage is opened into
        its children. None where forward_features is no chain (the family overrides run_stages)."""
        return None

    def run_stages(
        self, x: torch.Tensor, keep: set[str], stop_after: str | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """forward_features' stage loop without the input check: the last output, and the outputs of
        the `feature_info` stages named in `keep`; stops after the stage `stop_after` if given."""
        chain = self.stage_sequence()
        if chain is None:
            raise NotImplementedError(f"{self.model_name} does not list its stage sequence")
        found: dict[str, torch.Tensor] = {}
        for name, module in open_stages(chain, [e["module"] for e in self.feature_info]):
            x = module(x)
            if name in keep:
                found[name] = x
            if name == stop_after:
                break
        return x, found

    def forward_intermediates(
        self,
        x: torch.Tensor,
        indices: int | Sequence[int] | None = None,
        stop_early: bool = False,
        intermediates_only: bool = False,
    ) -> list[torch.Tensor] | tuple[torch.Tensor, list[torch.Tensor]]:
        """timm's forward_intermediates: the outputs of the `feature_info` stages `indices` (None: all;
        an int n: the last n; a sequence: those, negative from the end), with the final feature map
        unless `intermediates_only`; `stop_early` stops after the deepest one asked for. Runs the
        family's own stage loop (no hooks), so it traces and exports."""
        self.check_input(x)
        names = [e["module"] for e in self.feature_info]
        take = feature_indices(indices, len(names))
        stop_after = names[max(take)] if stop_early else None
        x, found = self.run_stages(x, {names[i] for i in take}, stop_after)
        intermediates = [found[names[i]] for i in take]
        return intermediates if intermediates_only else (x, intermediates)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Pooling, dropout and classifier; pre_logits=True gives the N x num_features embedding."""
        return self.head(x, pre_logits=pre_logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Module:
        """The final layer (nn.Identity after reset_classifier(0))."""
        return self.head.fc

    def class_layers(self) -> list[nn.Module]:
        """Every layer whose outputs are class scores (the final layer; auxiliary heads' too), the
        layers a transfer to another number of classes re-initialises."""
        return [self.get_classifier()]

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        """Replace the final layer by a fresh one with num_classes outputs (0: features only);
        `global_pool` ("avg", "max", "avgmax", timm's names) also swaps the head's global pooling."""
        if num_classes < 0:
            raise ValueError(f"num_classes must be >= 0, got {num_classes}")
        if global_pool is not None:
            if not is_global_pool(getattr(self.head, "pool", None)):
                raise ValueError(f"{self.model_name}'s head has no global pooling to set to {global_pool!r}")
            self.head.pool = make_global_pool(global_pool)
        self.head.reset(num_classes)
        self.num_classes = num_classes

    def checkpoint_units(self) -> list[nn.Module]:
        """The modules set_grad_checkpointing recomputes: the steps of the stage loop."""
        chain = self.stage_sequence()
        if chain is None:
            raise NotImplementedError(f"{self.model_name} does not list its stage sequence")
        return [m for _, m in open_stages(chain, [e["module"] for e in self.feature_info])]

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """timm's set_grad_checkpointing: while gradients are recorded, each stage's activations are
        recomputed in backward instead of kept (torch.utils.checkpoint), trading time for memory.
        The gradients are those of the plain model (random numbers, e.g. dropout's, are replayed)."""
        for module in self.checkpoint_units():
            module.__dict__.pop("forward", None)
            if enable:
                module.forward = functools.partial(_checkpointed, module)

    def group_modules(self) -> list[str]:
        """The modules that open the parameter groups of group_matcher, in forward order: the
        feature_info stages (a transformer: every block, as timm groups it)."""
        return [e["module"] for e in self.feature_info]

    def group_matcher(self, coarse: bool = False) -> dict[str, str | list[tuple[str, tuple[int]]]]:
        """timm's group_matcher: regular expressions over parameter names, "stem" for the layers
        before the first of `group_modules()` and "blocks" one per group module in forward order
        (coarse or not); the head matches neither. A layer between two group modules goes with the
        one before it (registration order; ViT's final norm with its last block). Each pattern
        carries its ordinal, so timm's group_parameters reads the same groups. The layer-wise
        learning-rate decay of convzoo.transfer groups parameters by it."""
        return modules_matcher(self, self.group_modules())

    def no_weight_decay(self) -> set[str]:
        """Names of parameters the optimizer should not weight-decay besides biases and norm
        parameters (timm's convention; ViT: its position embedding and class token)."""
        return set()


def modules_matcher(model: nn.Module, modules: list[str]) -> dict[str, str | list[tuple[str, tuple[int]]]]:
    """A group_matcher whose groups are the stem and one per module of `modules` (see
    Classifier.group_matcher); the parameters of `model.head` match none."""
    head = "head." if isinstance(getattr(model, "head", None), nn.Module) else None
    groups: list[list[str]] = [[] for _ in range(len(modules) + 1)]  # stem, then each module
    current = 0
    for name, _ in model.named_parameters():
        if head and name.startswith(head):
            continue
        owner = next((i for i, m in enumerate(modules) if name.startswith(m + ".")), None)
        current = current if owner is None else owner + 1
        groups[current].append(name)

    def exactly(names: list[str]) -> str:
        return "^(?:" + "|".join(re.escape(n) for n in names) + ")$" if names else "(?!)"

    return {"stem": exactly(groups[0]), "blocks": [(exactly(g), (i,)) for i, g in enumerate(groups[1:])]}


def _checkpointed(module: nn.Module, *args: torch.Tensor) -> torch.Tensor:
    forward = type(module).forward.__get__(module)
    if torch.is_grad_enabled() and not is_symbolic(args[0]):
        return torch.utils.checkpoint.checkpoint(forward, *args, use_reentrant=False)
    return forward(*args)


def stem_then_stages(stem: nn.Module, stages: nn.Sequential) -> list[tuple[str, nn.Module]]:
    """The stage sequence of a `stages(stem(x))` forward_features: stem, stages.0, stages.1, ..."""
    return [("stem", stem), *((f"stages.{i}", stage) for i, stage in enumerate(stages))]


def open_stages(chain: list[tuple[str, nn.Module]], names: list[str]) -> list[tuple[str, nn.Module]]:
    """`chain` with every nn.Sequential that holds one of the stages `names` (but is none of them)
    replaced by its children, recursively, so that each stage is one step of the loop."""

    def opened(steps: list[tuple[str, nn.Module]]) -> list[tuple[str, nn.Module]]:
        out: list[tuple[str, nn.Module]] = []
        for name, module in steps:
            inside = any(n.startswith(name + ".") for n in names)
            if isinstance(module, nn.Sequential) and name not in names and inside:
                out.extend(opened([(f"{name}.{child}", m) for child, m in module.named_children()]))
            else:
                out.append((name, module))
        return out

    steps = opened(chain)
    missing = set(names) - {name for name, _ in steps}
    if missing:
        raise NotImplementedError(f"stages {sorted(missing)} are not steps of the stage sequence")
    return steps


def feature_indices(indices: int | Sequence[int] | None, count: int) -> list[int]:
    """timm's meaning of `indices` over `count` stages: None all, n the last n, a sequence those."""
    if indices is None:
        return list(range(count))
    if isinstance(indices, int):
        if not 0 < indices <= count:
            raise ValueError(f"indices={indices}: there are {count} stages")
        return list(range(count - indices, count))
    out = [i % count if -count <= i < count else None for i in indices]
    if None in out:
        raise ValueError(f"indices {list(indices)} out of range for {count} stages")
    return sorted(set(out))


class DensePredictor(ImageModel):
    """Base of dense-prediction models: N x C x H x W -> N x num_classes x H' x W'."""

    model_name: str = "dense"

    def output_size(self, input_size: tuple[int, int]) -> tuple[int, int]:
        """Spatial size (H', W') of the output map for an input of size (H, W)."""
        raise NotImplementedError


class Detections(NamedTuple):
    """One image's detections: K x 4 boxes (x0, y0, x1, y1 in pixels), K scores, K class indices."""

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor


class Detector(ImageModel):
    """Base of object detectors, a kind of their own.

    `forward(x)` returns the raw prediction (YOLO: N x S x S x (5B + C)), shaped as
    `output_shape(input_size)` says; `decode(out, image_size)` turns it into one `Detections` per
    image; `loss(out, targets)` returns {"loss": total, <term>: value, ...} for per-image targets
    (`convzoo.detection.BoxTargets`). The trainer, eval and predict use only these.
    """

    model_name: str = "detector"
    loss_terms: tuple[str, ...] = ()

    def output_shape(self, input_size: tuple[int, int]) -> tuple[int, ...]:
        """Shape of one image's raw prediction for an input of size (H, W)."""
        raise NotImplementedError

    def decode(
        self, out: torch.Tensor, image_size: tuple[int, int] | None = None, **kwargs
    ) -> list[Detections]:
        """Per-image boxes (in pixels of `image_size`, default the input size), scores and labels."""
        raise NotImplementedError

    def loss(self, out: torch.Tensor, targets) -> dict[str, torch.Tensor]:
        """The training loss ("loss") and its named terms, for a batch's per-image targets."""
        raise NotImplementedError
