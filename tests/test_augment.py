"""Augmentation (issue 21): reproducible for a seed, identity at zero strength, and what each
transform does on constructed images."""

from __future__ import annotations

import numpy as np
import pytest

from netlib import augment
from netlib.resample import bilinear

SHAPE = (12, 12)


def batch(n=4) -> np.ndarray:
    return np.random.default_rng(0).random((n, SHAPE[0] * SHAPE[1])).astype(np.float32)


@pytest.mark.parametrize(
    "transform",
    [
        lambda x, rng: augment.affine(x, SHAPE, rng, degrees=15, scale=0.1),
        lambda x, rng: augment.elastic(x, SHAPE, rng, alpha=8, sigma=3),
        lambda x, rng: augment.noise(x, rng, 0.1),
    ],
)
def test_the_same_seed_gives_the_same_images_and_another_seed_others(transform):
    x = batch()
    first = transform(x, np.random.default_rng(7))
    np.testing.assert_array_equal(first, transform(x, np.random.default_rng(7)))
    assert not np.array_equal(first, transform(x, np.random.default_rng(8)))
    assert first.shape == x.shape and first.dtype == x.dtype


def test_zero_strength_leaves_the_images_as_they_are():
    x = batch()
    rng = np.random.default_rng(1)
    np.testing.assert_allclose(augment.affine(x, SHAPE, rng), x, atol=1e-6)
    np.testing.assert_allclose(augment.elastic(x, SHAPE, rng, alpha=0.0), x, atol=1e-6)
    np.testing.assert_array_equal(augment.noise(x, rng, 0.0), x)


def test_a_scale_up_spreads_a_centred_square_and_keeps_its_centre():
    img = np.zeros((1, *SHAPE), np.float32)
    img[0, 4:8, 4:8] = 1.0
    rng = np.random.default_rng(2)
    bigger = augment.affine(img.reshape(1, -1), SHAPE, rng, scale=0.5).reshape(SHAPE)
    # A factor in 0.5..1.5 was drawn; whatever it was, the ink stays centred.
    ys, xs = np.nonzero(bigger > 0.01)
    assert ys.mean() == pytest.approx(5.5, abs=0.3) and xs.mean() == pytest.approx(5.5, abs=0.3)


def test_the_sampler_reads_between_pixels_linearly_and_blank_outside():
    img = np.array([[[0.0, 1.0], [2.0, 3.0]]])
    out = bilinear(img, np.array([[0.5, 0.0], [1.0, 0.0]]), np.array([[0.5, 5.0], [1.0, 0.0]]))
    assert out[0, 0, 0] == pytest.approx(1.5) and out[0, 0, 1] == 0.0  # between; outside
    assert out[0, 1, 0] == 3.0 and out[0, 1, 1] == 0.0  # exactly on pixels (1, 1) and (0, 0)


def test_a_warp_bank_gives_each_image_one_of_its_warps_and_is_seeded():
    x = batch(6)
    bank = augment.WarpBank(SHAPE, np.random.default_rng(3), size=5, degrees=20, scale=0.1,
                            alpha=4, sigma=2)  # fmt: skip
    out = bank.apply(x, np.random.default_rng(4))
    pick = np.random.default_rng(4).integers(0, 5, 6)  # the same draw the bank made
    for i, k in enumerate(pick):
        expected = sum(bank.weight[k, t] * x[i][bank.index[k, t]] for t in range(4))
        np.testing.assert_allclose(out[i], expected, rtol=1e-6)
    again = augment.WarpBank(SHAPE, np.random.default_rng(3), size=5, degrees=20, scale=0.1,
                             alpha=4, sigma=2)  # fmt: skip
    np.testing.assert_array_equal(again.apply(x, np.random.default_rng(4)), out)
    still = augment.WarpBank(SHAPE, np.random.default_rng(3), size=3)  # no strength: identity
    np.testing.assert_allclose(still.apply(x, np.random.default_rng(0)), x, atol=1e-6)
