"""load_weights: read a checkpoint, detect its key layout, convert it, and report any mismatch."""

from __future__ import annotations

import argparse
import contextlib
import logging
import pickle
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .registry import model_converters

log = logging.getLogger("convzoo.weights")
StateDict = dict[str, torch.Tensor]
OWN_LAYOUT = "convzoo"
WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".bin", ".ckpt")
# Where checkpoints keep their weights, in timm's order of preference (timm.models.load_state_dict,
# use_ema=True): the EMA weights of a training checkpoint, then the trained ones.
_WRAPPER_KEYS = ("state_dict_ema", "model_ema", "state_dict", "model", "model_state_dict", "module", "net")
# DDP (`module.`), torch.compile (`_orig_mod.`, either order) and Lightning-style (`model.`) prefixes.
_PREFIXES = ("module.", "_orig_mod.", "model.")
# Set by torch.optim.swa_utils.AveragedModel beside its `module.` weights.
_AVERAGED_MODEL_COUNTER = "n_averaged"
# The BatchNorm counter that checkpoints saved before PyTorch 0.4.1 lack (nn.BatchNorm fills it in).
BATCH_COUNTER = "num_batches_tracked"


class UnplacedKeysError(ValueError):
    """A converter met keys it has no rule for."""

    def __init__(self, layout: str, keys: Iterable[str]) -> None:
        self.keys = sorted(keys)
        shown = ", ".join(self.keys[:8]) + (f", ... ({len(self.keys)} in all)" if len(self.keys) > 8 else "")
        super().__init__(f"{layout} converter could not place: {shown}")


class WeightsMismatchError(ValueError):
    """The checkpoint does not fit the model; lists missing, unexpected and wrongly-shaped keys."""

    def __init__(
        self,
        model_name: str,
        layout: str,
        missing,
        unexpected,
        wrong_shape,
        *,
        hint: str = "",
        strict_hint: bool = False,
        cli_hint: str = "",
    ) -> None:
        self.missing, self.unexpected, self.wrong_shape = list(missing), list(unexpected), list(wrong_shape)
        self.hint = hint

        def shown(items: list[str]) -> str:
            head = ", ".join(items[:10])
            return head + (f", ... ({len(items)} in all)" if len(items) > 10 else "")

        lines = [f"checkpoint does not fit {model_name} (read as {layout} layout):"]
        if self.missing:
            lines.append(f"  missing keys ({len(self.missing)}): {shown(self.missing)}")
        if self.unexpected:
            lines.append(f"  unexpected keys ({len(self.unexpected)}): {shown(self.unexpected)}")
        if self.wrong_shape:
            lines.append(f"  wrongly-shaped keys ({len(self.wrong_shape)}): {shown(self.wrong_shape)}")
        # The CLI has no strict=False: there the fix is the hint (another MODEL argument) alone.
        self.cli_message = "\n".join(lines + ([f"  {cli_hint or hint}"] if cli_hint or hint else []))
        if hint:
            lines.append(f"  {hint}")
        if strict_hint:
            lines.append("  pass strict=False to load only the keys that fit")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class LoadReport:
    """What load_weights did: the layout it detected and the keys it could not use."""

    layout: str
    loaded: int
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    wrong_shape: tuple[str, ...] = ()


def rename_keys(
    state_dict: Mapping[str, torch.Tensor],
    rules: Iterable[tuple[str, str | Callable[[re.Match], str | None]]],
    layout: str,
    drop: Iterable[str] = (),
) -> StateDict:
    """Rename every key by the first regex rule that fully matches it; unmatched keys raise.

    A rule's replacement is a template (re.Match.expand) or a function of the match, which may
    return None for a key it cannot place. `drop` lists regexes of keys to discard.
    """
    compiled = [(re.compile(pattern), repl) for pattern, repl in rules]
    dropped = [re.compile(p) for p in drop]
    out: StateDict = {}
    unplaced = []
    for key, value in state_dict.items():
        if any(d.fullmatch(key) for d in dropped):
            continue
        for pattern, repl in compiled:
            m = pattern.fullmatch(key)
            if m:
                new_key = m.expand(repl) if isinstance(repl, str) else repl(m)
                if new_key is not None:
                    out[new_key] = value
                    break
        else:
            unplaced.append(key)
    if unplaced:
        raise UnplacedKeysError(layout, unplaced)
    return out


def read_state_dict(path: str | Path) -> StateDict:
    """Read a .safetensors file, or a torch checkpoint with weights_only=True (no code runs)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    if path.suffix not in WEIGHT_SUFFIXES:
        raise ValueError(f"{path}: expected a weights file ending in {', '.join(WEIGHT_SUFFIXES)}")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as e:
            raise ValueError(f"{path} is not a readable safetensors file: {e}") from None
    with open(path, "rb") as f:
        magic = f.read(2)
    try:
        # timm's training checkpoints keep their arguments as an argparse.Namespace (plain data)
        with torch.serialization.safe_globals([argparse.Namespace]):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if magic[:1] != b"\x80" and magic != b"PK":  # neither a pickle nor torch's zip format
            raise ValueError(
                f"{path} is not a readable torch checkpoint (corrupt or not a checkpoint)"
            ) from None
        found = re.search(r"GLOBAL (\S+) was not an allowed global", str(e))
        if _is_pickled_module(path):
            raise ValueError(pickled_model_message(path, found[1] if found else "an nn.Module")) from None
        what = f" such as {found[1]}" if found else ""
        raise ValueError(
            f"{path} is not a plain state dict: it holds Python objects{what} besides tensors and "
            "containers, which are not loaded for safety. Save model.state_dict() instead."
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{path} is not a readable torch checkpoint (corrupt or truncated?): {e}") from None
    return unwrap_state_dict(obj, source=str(path))


def _is_pickled_module(path: Path) -> bool:
    """Whether a torch file pickles nn.Module objects (torch.save(model)), read without unpickling."""
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    except Exception:  # a legacy (non-zip) file: only the first global is known
        return False
    return any(name.startswith("torch.nn.modules.") for name in names)


def pickled_model_message(path: str | Path, class_name: str) -> str:
    """One line for a file written by torch.save(model): why it is refused and how to re-save it."""
    return (
        f"{path} is not a plain state dict: it holds a whole pickled model ({class_name}), and convzoo "
        "reads files with torch.load(weights_only=True), which rebuilds no Python objects because "
        "unpickling them can run any code. If you trust the file, save its weights once and load those: "
        f"python -c \"import torch; torch.save(torch.load('{path}', weights_only=False).state_dict(), "
        "'weights.pth')\""
    )


def unwrap_state_dict(obj: Any, source: str = "checkpoint") -> StateDict:
    """The tensor dict inside a checkpoint ({"state_dict": ...}, {"model": ...}, or the dict itself)."""
    for _ in range(3):
        if isinstance(obj, Mapping) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            break
        if isinstance(obj, Mapping):
            inner = next((obj[k] for k in _WRAPPER_KEYS if isinstance(obj.get(k), Mapping)), None)
            if inner is not None:
                obj = inner
                continue
        raise ValueError(
            f"{source}: expected a state dict (a mapping of parameter names to tensors), "
            f"got {type(obj).__name__}" + (f" with keys {list(obj)[:8]}" if isinstance(obj, Mapping) else "")
        )
    out = dict(obj)
    if _AVERAGED_MODEL_COUNTER in out and all(
        k.startswith("module.") for k in out if k != _AVERAGED_MODEL_COUNTER
    ):
        del out[_AVERAGED_MODEL_COUNTER]
    stripped = True
    while stripped:  # prefixes nest (torch.compile around DDP, or DDP around it)
        stripped = False
        for prefix in _PREFIXES:
            if out and all(k.startswith(prefix) for k in out):
                out = {k[len(prefix) :]: v for k, v in out.items()}
                stripped = True
    return out


def missing_batch_counters(keys: Iterable[str], target: Mapping[str, torch.Tensor]) -> list[str]:
    """The model's BatchNorm counters (`*.num_batches_tracked`) that `keys` lack."""
    have = set(keys)
    return [k for k in target if k.rsplit(".", 1)[-1] == BATCH_COUNTER and k not in have]


def fill_batch_counters(state: StateDict, target: Mapping[str, torch.Tensor]) -> StateDict:
    """The state with the model's own value for each BatchNorm counter it lacks, as
    nn.BatchNorm's load_state_dict does for checkpoints saved before PyTorch 0.4.1."""
    missing = missing_batch_counters(state, target)
    return {**state, **{k: target[k].clone() for k in missing}} if missing else state


def _is_pointwise_of(conv: torch.Size, linear: torch.Size) -> bool:
    """Whether `conv` is the [out, in, 1, 1] shape of a 1x1 convolution with the linear shape [out, in]."""
    return len(conv) == 4 and tuple(conv[2:]) == (1, 1) and len(linear) == 2 and conv[:2] == linear


def fit_pointwise_weights(state: StateDict, target: Mapping[str, torch.Tensor]) -> StateDict:
    """The state with each 1x1 convolution's [out, in, 1, 1] weight reshaped to the model's linear
    [out, in] at the same key, and the other way round: the same weights in either form (timm
    keeps some classifiers, ResNetV2's and MobileNetV3's, as 1x1 convolutions)."""
    reshaped = {}
    for key, value in state.items():
        want = target.get(key)
        if want is None or value.shape == want.shape:
            continue
        if _is_pointwise_of(value.shape, want.shape) or _is_pointwise_of(want.shape, value.shape):
            reshaped[key] = value.reshape(want.shape)
    return {**state, **reshaped} if reshaped else state


def _fit(candidate: StateDict, target: Mapping[str, torch.Tensor]) -> tuple[list, list, list]:
    missing = [k for k in target if k not in candidate]
    unexpected = [k for k in candidate if k not in target]
    wrong = [
        f"{k} (checkpoint {tuple(candidate[k].shape)}, model {tuple(target[k].shape)})"
        for k in candidate
        if k in target and candidate[k].shape != target[k].shape
    ]
    return missing, unexpected, wrong


@dataclass(frozen=True)
class ConvertedState:
    """A checkpoint converted to a model's own layout, with the layout it was read as."""

    layout: str
    state: StateDict
    notes: tuple[str, ...] = ()  # why the other layouts did not apply
    source: StateDict | None = None  # the state as read, before conversion (for mismatch hints)


def read_source(source: str | Path | Mapping[str, torch.Tensor]) -> StateDict:
    """The state dict of a path or a (possibly wrapped) mapping."""
    if isinstance(source, (str, Path)):
        return read_state_dict(source)
    if isinstance(source, Mapping):
        return unwrap_state_dict(source)
    raise TypeError(f"source must be a path or a state dict, got {type(source).__name__}")


def check_finite(state: Mapping[str, torch.Tensor], source: str = "checkpoint") -> None:
    """Refuse weights holding NaN or infinite values (a diverged run, or a damaged file): a model
    built from them would still print believable numbers."""
    for key, value in state.items():
        if value.is_floating_point() or value.is_complex():
            bad = int((~torch.isfinite(value)).sum())
            if bad:
                raise ValueError(
                    f"{source}: weight {key} holds {bad} NaN or infinite value(s) of {value.numel()}: "
                    "refusing weights that cannot give meaningful outputs"
                )


def dtype_notes(state: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor]) -> list[str]:
    """'converted 62 tensors from float16 to float32' for each dtype change loading makes."""
    changes: dict[tuple[torch.dtype, torch.dtype], int] = {}
    for key, value in state.items():
        if key in target and value.dtype != target[key].dtype:
            pair = (value.dtype, target[key].dtype)
            changes[pair] = changes.get(pair, 0) + 1
    return [
        f"converted {n} tensor{'s' if n > 1 else ''} from {str(a).removeprefix('torch.')} to "
        f"{str(b).removeprefix('torch.')}"
        for (a, b), n in changes.items()
    ]


def convert_to_model(model: nn.Module, source: str | Path | Mapping[str, torch.Tensor]) -> ConvertedState:
    """Read a checkpoint and convert it to the model's layout, detecting the layout from the keys.

    Each of the model's converters is tried, and the result that fits the model best is kept.
    Weights with NaN or infinite values are refused (ValueError).
    """
    state = read_source(source)
    check_finite(state, str(source) if isinstance(source, (str, Path)) else "state dict")
    target = model.state_dict()
    candidates: list[tuple[str, StateDict]] = [(OWN_LAYOUT, state)]
    notes = []
    try:
        converters = model_converters(getattr(model, "model_name", type(model).__name__))
    except KeyError:
        converters = {}
    for library, convert in converters.items():
        try:
            candidates.append((library, convert(state)))
        except UnplacedKeysError as e:
            notes.append(str(e))
    candidates = [
        (layout, fit_pointwise_weights(fill_batch_counters(converted, target), target))
        for layout, converted in candidates
    ]

    def score(item: tuple[str, StateDict]) -> tuple[int, int]:
        missing, unexpected, wrong = _fit(item[1], target)
        return (-(len(missing) + len(unexpected) + len(wrong)), -len(missing))

    layout, converted = max(candidates, key=score)
    return ConvertedState(layout, converted, tuple(notes), state)


def fitting_models(state: Mapping[str, torch.Tensor], model_name: str) -> list[tuple[str, str]]:
    """(model, layout) of the other models of `model_name`'s family whose keys the state fits
    exactly through one of their converters (torchvision AlexNet -> alexnet_owt)."""
    from .registry import create_model, list_models, model_card

    try:
        family = model_card(model_name).family
    except KeyError:
        return []
    total = sum(v.numel() for v in state.values() if isinstance(v, torch.Tensor))
    found = []
    for name in list_models():
        if name == model_name or model_card(name).family != family:
            continue
        layouts = {}  # only another library's layout: the converters' rules reject foreign keys cheaply
        for library, convert in model_converters(name).items():
            with contextlib.suppress(UnplacedKeysError, KeyError, ValueError):
                layouts[library] = set(convert(dict(state)))
        # a cheap first filter before building: the parameters (plus a few norm buffers) it holds
        if not layouts or not 1 <= total / model_card(name).params < 1.1:
            continue
        target = create_model(name).state_dict()
        found += [
            (name, layout)
            for layout, keys in layouts.items()
            if keys | set(missing_batch_counters(keys, target)) == set(target)
        ][:1]
    return found


def mismatch_hints(converted: ConvertedState, model_name: str) -> dict[str, str]:
    """The `hint` and `cli_hint` of WeightsMismatchError when another model of the family fits the
    state: 'these are torchvision alexnet weights: use alexnet_owt' (Python), and the same naming
    the command line's MODEL argument (CLI); empty strings when none fits."""
    fits = fitting_models(converted.source, model_name) if converted.source is not None else []
    if not fits:
        return {"hint": "", "cli_hint": ""}
    from .registry import model_card

    def hint(advice: Callable[[str], str]) -> str:
        described = []
        for name, layout in fits:
            library_name = model_card(name).compatible.get(layout)
            described.append(f"{layout} {library_name or name} weights: {advice(name)}")
        return "these are " + "; or ".join(described)

    return {
        "hint": hint(lambda name: f"use {name}"),
        "cli_hint": hint(
            lambda name: f"give {name} as the MODEL (convzoo finetune {name} --weights FILE ...)"
        ),
    }


def load_converted(model: nn.Module, converted: ConvertedState, *, strict: bool = True) -> LoadReport:
    """Load a converted state into the model; strict=True refuses any missing, extra or misshapen key."""
    name = getattr(model, "model_name", type(model).__name__)
    target = model.state_dict()
    missing, unexpected, wrong = _fit(converted.state, target)
    if strict and (missing or unexpected or wrong):
        err = WeightsMismatchError(
            name, converted.layout, missing, unexpected, wrong,
            **mismatch_hints(converted, name), strict_hint=True,
        )  # fmt: skip
        if converted.notes:
            tried = "\n  other layouts tried:\n    " + "\n    ".join(converted.notes)
            err.args, err.cli_message = (err.args[0] + tried,), err.cli_message + tried
        raise err
    fitting = {k: v for k, v in converted.state.items() if k in target and v.shape == target[k].shape}
    if not fitting:
        raise WeightsMismatchError(
            name, converted.layout, missing, unexpected, wrong, **mismatch_hints(converted, name)
        )
    for note in dtype_notes(fitting, target):
        log.warning("%s: %s", name, note)
    model.load_state_dict(fitting, strict=False)
    return LoadReport(converted.layout, len(fitting), tuple(missing), tuple(unexpected), tuple(wrong))


def load_weights(
    model: nn.Module, source: str | Path | Mapping[str, torch.Tensor], *, strict: bool = True
) -> LoadReport:
    """Load a checkpoint (path or state dict) in convzoo's or any compatible library's layout.

    The layout is detected from the keys (see convert_to_model). With strict=True any missing,
    unexpected or wrongly-shaped key raises WeightsMismatchError; with strict=False the keys that
    fit are loaded and the rest reported.
    """
    return load_converted(model, convert_to_model(model, source), strict=strict)
