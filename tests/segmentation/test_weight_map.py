"""U-Net's weight map (Sec. 3) on hand-computed cases, and the weighted loss against a hand-written one."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from convzoo.segmentation import border_weights, class_weights, unet_weight_map, weighted_cross_entropy


def two_touching_squares() -> tuple[np.ndarray, np.ndarray]:
    """Squares at rows 2-6, columns 2-6 and 8-12 of a 16 x 16 image: column 7 is the one-pixel gap."""
    instances = np.zeros((16, 16), dtype=np.uint8)
    instances[2:7, 2:7] = 1
    instances[2:7, 8:13] = 2
    return (instances > 0).astype(np.uint8), instances


def test_gap_pixels_between_touching_squares_get_about_w0_on_top_of_the_class_weight():
    mask, instances = two_touching_squares()
    class_w = class_weights(mask, 2)
    # 50 object pixels, 206 background: w_c = 256 / (2 * n_c)
    assert class_w == pytest.approx([256 / (2 * 206), 256 / (2 * 50)])
    w = unet_weight_map(mask, instances, class_w, w0=10.0, sigma=5.0)
    # gap pixel (4, 7): d1 = d2 = 1, so the border term is 10 * exp(-(1 + 1)^2 / (2 * 5^2)) = 9.23
    assert w[4, 7] - class_w[0] == pytest.approx(10 * math.exp(-4 / 50), rel=1e-6)
    assert w[4, 7] - class_w[0] > 9.2
    # corner pixel (15, 0): d1 = |(15, 0) - (6, 2)| = sqrt(85), d2 = |(15, 0) - (6, 8)| = sqrt(145)
    d1, d2 = math.sqrt(85), math.sqrt(145)
    assert w[15, 0] - class_w[0] == pytest.approx(10 * math.exp(-((d1 + d2) ** 2) / 50), rel=1e-4)
    assert w[15, 0] - class_w[0] < 0.01
    # inside an object only its class weight counts
    assert w[4, 4] == pytest.approx(class_w[1]) and w[4, 10] == pytest.approx(class_w[1])


def test_border_term_needs_two_objects_and_ignored_pixels_weigh_nothing():
    mask, instances = two_touching_squares()
    one = np.where(instances == 2, 0, instances)
    assert not border_weights(one).any()
    mask = mask.copy()
    mask[0, 0] = 255
    w = unet_weight_map(mask, instances, class_weights(mask, 2))
    assert w[0, 0] == 0 and w[1, 1] > 0


def test_weighted_cross_entropy_matches_a_hand_written_sum():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 2, 2)
    target = torch.tensor([[[0, 1], [2, 255]], [[1, 1], [0, 2]]])
    weight = torch.rand(2, 2, 2) * 5
    total, labelled = 0.0, 0
    for n in range(2):
        for i in range(2):
            for j in range(2):
                t = int(target[n, i, j])
                if t == 255:
                    continue
                z = logits[n, :, i, j]
                log_p = z[t] - math.log(sum(math.exp(float(v)) for v in z))
                total += -float(weight[n, i, j]) * float(log_p)
                labelled += 1
    assert weighted_cross_entropy(logits, target, weight).item() == pytest.approx(total / labelled, rel=1e-5)
    plain = torch.nn.functional.cross_entropy(logits, target, ignore_index=255)
    assert weighted_cross_entropy(logits, target).item() == pytest.approx(plain.item(), rel=1e-6)
