"""Vision Transformer, Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words".

Eq. 1-4 of the paper: the image is cut into P x P patches, each linearly embedded (a P x P conv of
stride P), a learnable class token is prepended, learnable 1-D position embeddings are added, and a
pre-norm Transformer encoder (MSA and MLP blocks, LayerNorm before each, residual after) runs; the
final LayerNorm's class token feeds the linear classifier.

Other input sizes (Section 3.2): the grid part of the position embeddings is interpolated in 2-D
(bicubic by default), the class token's kept. The input's height and width must be multiples of P;
other sizes are refused with the nearest sizes that fit, rather than silently cropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ..cards import ModelCard, Paper, PaperResult
from ..contract import Classifier, is_symbolic
from ..layers.drop import DropPath, drop_path_rates
from ..weights import rename_keys
from ._builder import register_builder

PAPER = Paper(
    title="An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
    authors=(
        "A. Dosovitskiy, L. Beyer, A. Kolesnikov, D. Weissenborn, X. Zhai, T. Unterthiner, M. Dehghani, "
        "M. Minderer, G. Heigold, S. Gelly, J. Uszkoreit, N. Houlsby"
    ),
    year=2021,
    link="https://arxiv.org/abs/2010.11929",
)


@dataclass(frozen=True)
class ViTConfig:
    """One row of Table 1 (Ti and S: DeiT's Table 1, Touvron et al. 2021)."""

    layers: int
    hidden: int  # D
    mlp: int
    heads: int


VIT_CONFIGS: dict[str, ViTConfig] = {
    "Ti": ViTConfig(layers=12, hidden=192, mlp=768, heads=3),
    "S": ViTConfig(layers=12, hidden=384, mlp=1536, heads=6),
    "B": ViTConfig(layers=12, hidden=768, mlp=3072, heads=12),
    "L": ViTConfig(layers=24, hidden=1024, mlp=4096, heads=16),
    "H": ViTConfig(layers=32, hidden=1280, mlp=5120, heads=16),
}


def resample_position_embedding(
    pos_embed: torch.Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int], mode: str = "bicubic"
) -> torch.Tensor:
    """Interpolate the grid part of a 1 x (1 + h*w) x D embedding to new_grid; the class token is kept."""
    if tuple(old_grid) == tuple(new_grid):
        return pos_embed
    cls_pos, grid = pos_embed[:, :1], pos_embed[:, 1:]
    dim = grid.shape[-1]
    grid = grid.reshape(1, *old_grid, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=tuple(new_grid), mode=mode, align_corners=False)
    return torch.cat([cls_pos, grid.permute(0, 2, 3, 1).reshape(1, -1, dim)], dim=1)


# One call in an fx graph: its grid comparison is Python control flow on the input's shape.
torch.fx.wrap("resample_position_embedding")


class Attention(nn.Module):
    """Multi-head self-attention (Appendix A); q, k, v come from one packed linear layer."""

    def __init__(self, dim: int, heads: int, drop_rate: float = 0.0) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"hidden size {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, length, dim = x.shape
        q, k, v = self.qkv(x).reshape(n, length, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(n, length, dim)))


class Mlp(nn.Sequential):
    """Two linear layers with a GELU between (Section 3.1), dropout after each (Appendix B.1)."""

    def __init__(self, dim: int, hidden: int, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(drop_rate)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop2 = nn.Dropout(drop_rate)


class EncoderBlock(nn.Module):
    """Eq. 2-3: z' = MSA(LN(z)) + z; z = MLP(LN(z')) + z' (with optional stochastic depth, as DeiT)."""

    def __init__(self, config: ViTConfig, drop_rate: float = 0.0, drop_path: float = 0.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(config.hidden, eps=1e-6)
        self.attn = Attention(config.hidden, config.heads, drop_rate)
        self.norm2 = nn.LayerNorm(config.hidden, eps=1e-6)
        self.mlp = Mlp(config.hidden, config.mlp, drop_rate)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class TokenHead(nn.Module):
    """The class token's final state (Eq. 4) -> dropout -> linear."""

    def __init__(self, in_features: int, num_classes: int, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.in_features = in_features
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(in_features, num_classes) if num_classes else nn.Identity()

    def reset(self, num_classes: int) -> None:
        self.fc = nn.Linear(self.in_features, num_classes) if num_classes else nn.Identity()

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(x[:, 0])
        return x if pre_logits else self.fc(x)


class VisionTransformer(Classifier):
    """patch_embed, class_token + pos_embed, `blocks.0`..., norm; forward_features gives N x (1+h*w) x D."""

    def __init__(
        self,
        config: ViTConfig,
        patch_size: int = 16,
        num_classes: int = 1000,
        in_chans: int = 3,
        img_size: int = 224,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        pos_embed_mode: str = "bicubic",
    ) -> None:
        if img_size % patch_size:
            raise ValueError(f"img_size {img_size} is not a multiple of the patch size {patch_size}")
        if pos_embed_mode not in ("bicubic", "bilinear"):
            raise ValueError(f"pos_embed_mode must be 'bicubic' or 'bilinear', got {pos_embed_mode!r}")
        super().__init__(num_classes, in_chans, (img_size, img_size), patch_size)  # at least one patch
        self.num_features = config.hidden
        self.patch_size, self.pos_embed_mode = patch_size, pos_embed_mode
        self.grid = (img_size // patch_size, img_size // patch_size)
        dim = config.hidden
        self.patch_embed = nn.Conv2d(in_chans, dim, patch_size, stride=patch_size)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.empty(1, 1 + self.grid[0] * self.grid[1], dim))
        self.pos_drop = nn.Dropout(drop_rate)
        rates = drop_path_rates(drop_path_rate, config.layers)
        self.blocks = nn.Sequential(*(EncoderBlock(config, drop_rate, r) for r in rates))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = TokenHead(dim, num_classes)
        # Four evenly spaced blocks (as dense-prediction heads on ViT use); all at stride P.
        quarter = config.layers // 4
        self.feature_info = [
            dict(module=f"blocks.{quarter * (i + 1) - 1}", num_chs=dim, reduction=patch_size)
            for i in range(4)
        ]
        self._init_weights()

    def _init_weights(self) -> None:
        # The authors' code: Xavier-uniform linear layers with zero biases, position embeddings
        # N(0, 0.02), class token zeros; LeCun-normal patch embedding.
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        fan_in = self.patch_embed.weight[0].numel()
        nn.init.trunc_normal_(self.patch_embed.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.patch_embed.bias)
        nn.init.normal_(self.pos_embed, std=0.02)

    def no_weight_decay(self) -> set[str]:
        return {"pos_embed", "class_token"}

    def group_modules(self) -> list[str]:
        # timm's ViT group_matcher: the stem (patch and position embeddings, class token), each
        # encoder block its own group (the final norm with the last), then the head
        return [f"blocks.{i}" for i in range(len(self.blocks))]

    def position_embedding(self, grid: tuple[int, int]) -> torch.Tensor:
        """The position embeddings for an h x w patch grid (interpolated unless it is the native grid)."""
        return resample_position_embedding(self.pos_embed, self.grid, grid, self.pos_embed_mode)

    def check_input(self, x: torch.Tensor) -> None:
        super().check_input(x)
        if is_symbolic(x):
            return
        h, w = x.shape[-2:]
        p = self.patch_size
        if h % p or w % p:
            down, up = (h // p * p, w // p * p), (-(-h // p) * p, -(-w // p) * p)
            raise ValueError(
                f"{self.model_name} needs input of shape N x {self.in_chans} x H x W with H and W "
                f"multiples of the patch size {p}; got {h}x{w}: crop to {down[0]}x{down[1]} or pad to "
                f"{up[0]}x{up[1]}"
            )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.norm(self.blocks(self.embed(x)[0]))

    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        """Eq. 1: the class token and the patch embeddings plus position embeddings; and the patch grid."""
        x = self.patch_embed(x)
        grid = (x.shape[-2], x.shape[-1])
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.pos_drop(x + self.position_embedding(grid)), grid

    def checkpoint_units(self) -> list[nn.Module]:
        return list(self.blocks)

    def run_stages(
        self, x: torch.Tensor, keep: set[str], stop_after: str | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The encoder blocks; a kept block's patch tokens come back as an N x D x h x w map (as in
        timm), the final output is the normalised token sequence unless it stops early."""
        x, (h, w) = self.embed(x)
        found: dict[str, torch.Tensor] = {}
        for i, block in enumerate(self.blocks):
            x = block(x)
            if f"blocks.{i}" in keep:
                found[f"blocks.{i}"] = x[:, 1:].transpose(1, 2).reshape(x.shape[0], -1, h, w)
            if f"blocks.{i}" == stop_after:
                return x, found
        return self.norm(x), found


_LAYER = r"encoder\.layers\.encoder_layer_(\d+)\."


def from_torchvision(state_dict: dict) -> dict:
    """torchvision's layout: nn.MultiheadAttention's packed in_proj (q, k, v rows, as ours), `mlp.0/3`."""
    return rename_keys(
        state_dict,
        [
            (r"class_token", "class_token"),
            (r"conv_proj\.(weight|bias)", r"patch_embed.\1"),
            (r"encoder\.pos_embedding", "pos_embed"),
            (_LAYER + r"ln_([12])\.(weight|bias)", r"blocks.\1.norm\2.\3"),
            (_LAYER + r"self_attention\.in_proj_(weight|bias)", r"blocks.\1.attn.qkv.\2"),
            (_LAYER + r"self_attention\.out_proj\.(weight|bias)", r"blocks.\1.attn.proj.\2"),
            (_LAYER + r"mlp\.0\.(weight|bias)", r"blocks.\1.mlp.fc1.\2"),
            (_LAYER + r"mlp\.3\.(weight|bias)", r"blocks.\1.mlp.fc2.\2"),
            (r"encoder\.ln\.(weight|bias)", r"norm.\1"),
            (r"heads\.head\.(weight|bias)", r"head.fc.\1"),
        ],
        "torchvision",
    )


def from_timm(state_dict: dict) -> dict:
    """timm's VisionTransformer layout: the same blocks (packed qkv), `cls_token`, `patch_embed.proj`."""
    return rename_keys(
        state_dict,
        [
            (r"cls_token", "class_token"),
            (r"pos_embed", "pos_embed"),
            (r"patch_embed\.proj\.(weight|bias)", r"patch_embed.\1"),
            (
                r"blocks\.(\d+)\.((?:norm[12]|attn\.qkv|attn\.proj|mlp\.fc[12])\.(?:weight|bias))",
                r"blocks.\1.\2",
            ),
            (r"norm\.(weight|bias)", r"norm.\1"),
            (r"head\.(weight|bias)", r"head.fc.\1"),
        ],
        "timm",
    )


def _table5(imagenet: float, imagenet21k: float) -> tuple[PaperResult, ...]:
    note = "Table 5, pre-trained on {}, fine-tuned on ImageNet at 384x384"
    return (
        PaperResult("top-1 accuracy", imagenet, "ImageNet", "val", note.format("ImageNet")),
        PaperResult("top-1 accuracy", imagenet21k, "ImageNet", "val", note.format("ImageNet-21k")),
    )


_DEIT = (
    "Touvron et al. 2021, Training data-efficient image transformers & distillation through attention, "
    "Table 5"
)
_RESULTS: dict[str, tuple[PaperResult, ...]] = {
    # ViT's paper trains no Ti or S model: DeiT's Table 5 reports these configurations
    "Ti/16": (PaperResult("top-1 accuracy", 72.2, "ImageNet", "val", "DeiT-Ti, 224x224", source=_DEIT),),
    "S/16": (PaperResult("top-1 accuracy", 79.8, "ImageNet", "val", "DeiT-S, 224x224", source=_DEIT),),
    "B/16": _table5(77.91, 83.97),
    "B/32": _table5(73.38, 81.28),
    "L/16": (
        *_table5(76.53, 85.15),
        PaperResult("top-1 accuracy", 87.76, "ImageNet", "val", "Table 2, pre-trained on JFT-300M"),
    ),
    "L/32": _table5(71.16, 80.99),
    "H/14": (PaperResult("top-1 accuracy", 88.55, "ImageNet", "val", "Table 2, pre-trained on JFT-300M"),),
}

VITS = {  # name: (configuration of Table 1, patch size, parameters at 1000 classes, libraries it loads)
    "vit_ti_16": ("Ti", 16, 5_717_416, ("timm",)),
    "vit_ti_32": ("Ti", 32, 6_131_560, ()),
    "vit_s_16": ("S", 16, 22_050_664, ("timm",)),
    "vit_s_32": ("S", 32, 22_878_952, ("timm",)),
    "vit_b_16": ("B", 16, 86_567_656, ("torchvision", "timm")),
    "vit_b_32": ("B", 32, 88_224_232, ("torchvision", "timm")),
    "vit_l_16": ("L", 16, 304_326_632, ("torchvision", "timm")),
    # timm's vit_large_patch32_224 and vit_huge_patch14_224 are ImageNet-21k feature extractors (no head)
    "vit_l_32": ("L", 32, 306_535_400, ("torchvision",)),
    "vit_h_14": ("H", 14, 632_045_800, ("torchvision",)),
}
# timm names a ViT by its size and patch: vit_base_patch16_224 is ViT-B/16 at 224x224
TIMM_SIZES = {"Ti": "tiny", "S": "small", "B": "base", "L": "large", "H": "huge"}


def vit_card(name: str, config: str, patch: int, params: int, libraries: tuple[str, ...]) -> ModelCard:
    """The card of one ViT of VITS."""
    notes = (
        f"ViT-{config}/{patch}. Inputs of any size that is a multiple of {patch} run: the position "
        "embeddings' grid is interpolated (bicubic, or pos_embed_mode='bilinear'); other sizes raise "
        "ValueError naming the nearest sizes. The paper's ImageNet-21k/JFT pre-training head (a hidden "
        "'pre-logits' layer) is dropped, as the paper does for fine-tuning."
    )
    if config in ("Ti", "S"):
        notes += (
            f" ViT-{config} is not in the paper (Table 1 has B, L, H): its width, depth and heads come from "
            "DeiT (Touvron et al. 2021) and AugReg (Steiner et al. 2021, 'How to train your ViT?')."
        )
    return ModelCard(
        name=name,
        family="vit",
        paper=PAPER,
        input_size=(3, 224, 224),
        params=params,
        results=_RESULTS.get(f"{config}/{patch}", ()),
        compatible={
            library: name if library == "torchvision" else f"vit_{TIMM_SIZES[config]}_patch{patch}_224"
            for library in libraries
        },
        notes=notes,
    )


_CONVERTERS = {"torchvision": from_torchvision, "timm": from_timm}
for _name, (_config, _patch, _params, _libraries) in VITS.items():
    register_builder(
        vit_card(_name, _config, _patch, _params, _libraries),
        VisionTransformer,
        {library: _CONVERTERS[library] for library in _libraries},
        doc=f"ViT-{_config}/{_patch}; keyword arguments as VisionTransformer's.",
        config=VIT_CONFIGS[_config],
        patch_size=_patch,
    )

# The paper fine-tunes at 384x384 (Section 4.1; Table 5's numbers are at that resolution): the
# same networks with a 24x24 (/16) or 12x12 (/32) position-embedding grid, timm's *_384 models.
VITS_384 = {  # name: (the VITS row it fine-tunes, parameters at 1000 classes)
    "vit_ti_16_384": ("vit_ti_16", 5_790_376),
    "vit_s_16_384": ("vit_s_16", 22_196_584),
    "vit_s_32_384": ("vit_s_32", 22_915_432),
    "vit_b_16_384": ("vit_b_16", 86_859_496),
    "vit_b_32_384": ("vit_b_32", 88_297_192),
    "vit_l_16_384": ("vit_l_16", 304_715_752),
    "vit_l_32_384": ("vit_l_32", 306_632_680),
}
for _name, (_base, _params) in VITS_384.items():
    _config, _patch, _, _ = VITS[_base]
    _card = vit_card(_base, *VITS[_base])
    _timm = f"vit_{TIMM_SIZES[_config]}_patch{_patch}_384"
    register_builder(
        _card.variant(
            name=_name,
            input_size=(3, 384, 384),
            params=_params,
            compatible={"timm": _timm},
            notes=f"{_base} at 384x384, the resolution the paper fine-tunes at: {(384 // _patch) ** 2 + 1} "
            f"position embeddings ({384 // _patch}x{384 // _patch} patches and the class token); loads "
            f"timm's {_timm}. " + _card.notes,
        ),
        VisionTransformer,
        {"timm": from_timm},
        doc=f"ViT-{_config}/{_patch} at 384x384; keyword arguments as VisionTransformer's.",
        config=VIT_CONFIGS[_config],
        patch_size=_patch,
        img_size=384,
    )
