"""Dropout: inverted in training, identity in eval, the mask from the given generator."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.layers import Dropout


def test_eval_is_the_identity_and_draws_nothing():
    rng = np.random.default_rng(0)
    layer = Dropout(0.5, rng)
    x = np.ones((4, 10))
    y, cache = layer.forward(x, train=False)
    assert y is x and cache is None
    assert layer.backward(cache, x)[0] is x
    assert rng.random() == np.random.default_rng(0).random()  # the generator was not used


def test_train_mask_is_inverted_and_fixed_by_the_generator():
    x = np.ones((200, 50), dtype=np.float32)
    y1, mask = Dropout(0.25, np.random.default_rng(5)).forward(x, train=True)
    y2, _ = Dropout(0.25, np.random.default_rng(5)).forward(x, train=True)
    np.testing.assert_array_equal(y1, y2)
    assert y1.dtype == np.float32
    assert set(np.unique(y1)) == {0.0, np.float32(1 / 0.75)}
    assert np.mean(y1 == 0) == pytest.approx(0.25, abs=0.02)
    assert y1.mean() == pytest.approx(1.0, abs=0.03)  # expectation preserved
    dy = np.full_like(x, 2.0)
    dx, grads = Dropout(0.25).backward(mask, dy)
    np.testing.assert_array_equal(dx, 2.0 * mask)
    assert grads == {}


def test_rate_zero_is_the_identity_and_bad_rates_are_refused():
    x = np.ones((3, 3))
    assert Dropout(0.0).forward(x, train=True)[0] is x
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError):
            Dropout(bad)
