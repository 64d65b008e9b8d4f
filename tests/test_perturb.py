"""Perturbations for robustness curves (issue 21) on constructed images whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from netlib import nets, perturb
from netlib.config import NetConfig


def dot(h=7, w=7, y=3, x=3) -> np.ndarray:
    img = np.zeros((1, h, w))
    img[0, y, x] = 1.0
    return img


def test_rotation_by_zero_is_identity_and_by_ninety_is_a_quarter_turn():
    rng = np.random.default_rng(0)
    imgs = rng.random((3, 6, 6))
    np.testing.assert_allclose(perturb.rotate(imgs, 0), imgs, atol=1e-12)
    np.testing.assert_allclose(perturb.rotate(imgs, 90), np.rot90(imgs, k=1, axes=(1, 2)),
                               atol=1e-12)  # fmt: skip


def test_translation_moves_the_ink_and_fills_with_blank():
    moved = perturb.translate(dot(), 0, 2)
    assert moved[0, 3, 5] == 1.0 and moved.sum() == 1.0
    assert perturb.translate(dot(), 0, -4).sum() == 0.0  # moved out of the image


def test_dilation_thickens_a_dot_to_a_block_and_erosion_takes_it_back():
    thick = perturb.thickness(dot(), 1)
    assert thick[0, 2:5, 2:5].sum() == 9 and thick.sum() == 9
    np.testing.assert_allclose(perturb.thickness(thick, -1), dot())


def test_a_bar_blanks_the_middle_rows():
    out = perturb.bar(np.ones((1, 6, 6)), 2)
    assert out[0, 2:4].sum() == 0 and out.sum() == 24


def test_no_noise_gives_the_clean_accuracy():
    ds_rng = np.random.default_rng(1)
    images = ds_rng.random((50, 8, 8))
    labels = ds_rng.integers(0, 10, 50)
    config = NetConfig(dataset="digits-8x8", hidden=(16,), activation="relu")
    net = nets.create(config, (8, 8), 10, np.random.default_rng(2))
    clean = float((net.logits(images.reshape(50, -1).astype(net.dtype)).argmax(1) == labels).mean())
    curve = perturb.robustness_curve(net, images, labels, "noise", [0.0, 0.5])
    assert curve[0] == clean and curve.shape == (2,)
    with pytest.raises(ValueError, match="use one of noise"):
        perturb.perturbed(images, "blur", 1)
