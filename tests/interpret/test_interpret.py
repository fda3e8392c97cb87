"""Attribution maps and visualisations: sanity checks that could fail for a broken method."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convzoo
from convzoo.interpret import attribute, class_model, feature_maps, first_layer_filters
from convzoo.interpret.plots import save_grid, save_overlay

pytest.importorskip("captum")

SIZE = 32
QUADRANT = SIZE // 2


def square_images(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise images whose only evidence is a bright 6x6 square: class 0 top-left, class 1 bottom-right."""
    x = 0.3 * torch.randn(n, 1, SIZE, SIZE, generator=generator)
    y = torch.randint(0, 2, (n,), generator=generator)
    for i in range(n):
        r, c = torch.randint(2, QUADRANT - 8, (2,), generator=generator).tolist()
        if y[i] == 1:
            r, c = r + QUADRANT, c + QUADRANT
        x[i, 0, r : r + 6, c : c + 6] += 2.0
    return x, y


@pytest.fixture(scope="module")
def trained():
    """lenet5_modern trained for a few hundred steps on the square images (about 98% accuracy)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    model = convzoo.create_model("lenet5_modern", num_classes=2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        x, y = square_images(64, g)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    x, y = square_images(200, g)
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy > 0.95, f"the toy model did not learn the task ({accuracy:.2%})"
    return model


def mass_in_top_left(heatmap: torch.Tensor) -> float:
    return (heatmap[:QUADRANT, :QUADRANT].sum() / heatmap.sum().clamp(min=1e-12)).item()


def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    ra = a.flatten().argsort().argsort().float()
    rb = b.flatten().argsort().argsort().float()
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return (ra @ rb / (ra.norm() * rb.norm())).item()


def class0_image() -> torch.Tensor:
    g = torch.Generator().manual_seed(123)
    while True:
        x, y = square_images(1, g)
        if y.item() == 0:
            return x[0]


@pytest.mark.parametrize(
    ("method", "least_mass"),
    # The square sits in the top-left quadrant, a quarter of the image (chance: 0.25). Grad-CAM and
    # occlusion localise: most of their mass must be there. Gradient maps also respond to the noise
    # everywhere, so they must only beat chance clearly.
    [
        ("gradcam", 0.5),
        ("occlusion", 0.5),
        ("saliency", 0.35),
        ("smoothgrad", 0.35),
        ("integrated-gradients", 0.35),
    ],
)
def test_maps_point_at_the_evidence(trained, method, least_mass):
    result = attribute(trained, class0_image(), method=method, target=0)
    assert result.heatmap.shape == (SIZE, SIZE)
    assert result.predicted == 0 and result.target_prob > 0.9
    assert mass_in_top_left(result.heatmap) > least_mass, method


def test_gradcam_default_layer_has_a_spatial_map(trained):
    result = attribute(trained, class0_image(), method="gradcam")
    assert result.layer == "s4"  # c5 is 1x1 at 32x32 input, so the stage before it is used


def test_randomised_weights_change_saliency(trained):
    """Adebayo et al. 2018: a faithful map depends on the weights. Rank correlation between the trained
    and a re-initialised model's maps must fall below 0.5 (they share at most a quarter of the rank
    variance); the same model twice must give a correlation of 1."""
    image = class0_image()
    base = attribute(trained, image, method="saliency", target=0).heatmap
    again = attribute(trained, image, method="saliency", target=0).heatmap
    torch.manual_seed(1)
    random_model = convzoo.create_model("lenet5_modern", num_classes=2).eval()
    randomised = attribute(random_model, image, method="saliency", target=0).heatmap
    assert spearman(base, again) > 0.999
    assert spearman(base, randomised) < 0.5


def test_in_place_relus_are_handled_and_the_model_is_untouched():
    model = convzoo.create_model("alexnet_owt", num_classes=3).eval()
    inplace_before = [m.inplace for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    assert any(inplace_before)
    image = torch.randn(3, 64, 64)
    for method in ("guided-backprop", "gradcam"):
        heat = attribute(model, image, method=method).heatmap
        assert heat.shape == (64, 64) and torch.isfinite(heat).all() and heat.sum() > 0
    assert [m.inplace for m in model.modules() if isinstance(m, torch.nn.ReLU)] == inplace_before


def test_bad_arguments_are_explained(trained):
    with pytest.raises(ValueError, match="unknown method 'cam'; choose one of"):
        attribute(trained, class0_image(), method="cam")
    with pytest.raises(ValueError, match=r"target class must be in 0\.\.1"):
        attribute(trained, class0_image(), target=5)
    with pytest.raises(ValueError, match="no layer named 'conv9'"):
        attribute(trained, class0_image(), method="gradcam", layer="conv9")


def test_class_model_raises_the_class_score(trained):
    image = class_model(trained, target=1, input_size=(1, SIZE, SIZE), steps=60, lr=0.1)
    with torch.no_grad():
        logits = trained(image.unsqueeze(0))[0]
    assert logits[1] > logits[0] + 1.0
    # the evidence it paints sits where class 1's square does: the bottom-right quadrant
    energy = image[0].clamp(min=0)
    assert energy[QUADRANT:, QUADRANT:].sum() > energy[:QUADRANT, :QUADRANT].sum()
    assert all(p.requires_grad for p in trained.parameters())


def test_filters_and_feature_maps(trained):
    assert first_layer_filters(trained).shape == (6, 1, 5, 5)
    maps = feature_maps(trained, class0_image(), "c3")
    assert maps.shape == (16, 10, 10)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        feature_maps(trained, class0_image(), "nope")


def test_pictures_have_content(trained, tmp_path):
    from PIL import Image

    image = class0_image()
    overlay = save_overlay(
        image, attribute(trained, image, method="gradcam"), tmp_path / "cam.png", ["tl", "br"]
    )
    grid = save_grid(first_layer_filters(trained), tmp_path / "filters.png", "C1 filters")
    for path in (overlay, grid):
        pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
        assert pixels.size > 100 * 100 and pixels.std() > 10
    assert not list(tmp_path.glob(".*.tmp"))


def test_pictures_get_the_usual_file_permissions(tmp_path):
    import os

    from convzoo.io import atomic_write_bytes

    path = atomic_write_bytes(tmp_path / "a.bin", b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
