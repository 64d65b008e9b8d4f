"""Conv2D's forward against a naive loop reference; shapes, dtypes, initialisation, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from netlib.layers import Conv2D, ShapeError


def naive_conv(x, w, b, stride, padding):
    """The definition, loop by loop (tests may loop; the layer may not)."""
    n, c, h, wd = x.shape
    f, _, k, _ = w.shape
    if padding == "valid":
        top = left = 0
        ho, wo = (h - k) // stride + 1, (wd - k) // stride + 1
        xp = x
    else:
        ho, wo = -(-h // stride), -(-wd // stride)
        ph = max((ho - 1) * stride + k - h, 0)
        pw = max((wo - 1) * stride + k - wd, 0)
        top, left = ph // 2, pw // 2
        xp = np.zeros((n, c, h + ph, wd + pw), dtype=x.dtype)
        xp[:, :, top : top + h, left : left + wd] = x
    y = np.zeros((n, f, ho, wo), dtype=np.float64)
    for s, o, i, j in itertools.product(range(n), range(f), range(ho), range(wo)):
        total = b[o]
        for ch, di, dj in itertools.product(range(c), range(k), range(k)):
            total += xp[s, ch, i * stride + di, j * stride + dj] * w[o, ch, di, dj]
        y[s, o, i, j] = total
    return y


CASES = [
    (kernel, stride, padding, h, w)
    for kernel in (1, 2, 3, 5)
    for stride in (1, 2)
    for padding in ("valid", "same")
    for h, w in ((5, 5), (6, 7))
]


@pytest.mark.parametrize(("kernel", "stride", "padding", "h", "w"), CASES)
def test_forward_matches_the_loop_reference(kernel, stride, padding, h, w):
    rng = np.random.default_rng(kernel * 10 + stride)
    layer = Conv2D(3, kernel, stride=stride, padding=padding)
    shape = layer.build((2, h, w), rng, "float64")
    layer.b[:] = rng.normal(size=3)
    x = rng.normal(size=(2, 2, h, w))
    y, _ = layer.forward(x, train=True)
    assert y.shape == (2, *shape)
    np.testing.assert_allclose(y, naive_conv(x, layer.W, layer.b, stride, padding), atol=1e-12)


def test_same_padding_keeps_the_size_or_halves_it_rounding_up():
    assert Conv2D(4, 3, padding="same").output_shape((1, 28, 28)) == (4, 28, 28)
    assert Conv2D(4, 4, padding="same").output_shape((1, 28, 28)) == (4, 28, 28)
    assert Conv2D(4, 3, stride=2, padding="same").output_shape((1, 7, 8)) == (4, 4, 4)
    assert Conv2D(6, 5).output_shape((1, 28, 28)) == (6, 24, 24)
    assert Conv2D(6, 5, stride=2).output_shape((1, 28, 28)) == (6, 12, 12)


def test_a_hand_made_example():
    # One 3x3 input, a 2x2 kernel of ones: each output is the sum of its window, plus bias.
    layer = Conv2D(1, 2)
    layer.build((1, 3, 3), np.random.default_rng(0), "float64")
    layer.W[:] = 1.0
    layer.b[:] = 0.5
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    y, _ = layer.forward(x, train=False)
    np.testing.assert_array_equal(y[0, 0], [[8.5, 12.5], [20.5, 24.5]])


def test_float32_by_default_and_dtype_follows_the_input():
    layer = Conv2D(4, 3, padding="same")
    layer.build((2, 6, 6), np.random.default_rng(0))
    assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32
    assert layer.W.shape == (4, 2, 3, 3) and layer.b.shape == (4,)
    x = np.random.default_rng(1).normal(size=(3, 2, 6, 6)).astype(np.float32)
    y, cache = layer.forward(x, train=True)
    assert y.dtype == np.float32
    dx, grads = layer.backward(cache, np.ones_like(y))
    assert dx.dtype == np.float32 and dx.shape == x.shape
    assert all(g.dtype == np.float32 for g in grads.values())


def test_he_initialisation_by_fan_in():
    layer = Conv2D(64, 5)
    layer.build((8, 12, 12), np.random.default_rng(0), "float64")
    assert np.std(layer.W) == pytest.approx(np.sqrt(2.0 / (8 * 25)), rel=0.05)
    assert not layer.b.any()
    same = Conv2D(64, 5)
    same.build((8, 12, 12), np.random.default_rng(0), "float64")
    np.testing.assert_array_equal(same.W, layer.W)  # seeded: bit-identical weights


def test_bad_inputs_are_refused_with_the_shapes():
    with pytest.raises(ShapeError, match=r"kernel 5x5 does not fit the 3x3 input"):
        Conv2D(4, 5).output_shape((1, 3, 3))
    with pytest.raises(ShapeError, match=r"\(channels, height, width\).*\(784,\)"):
        Conv2D(4, 3).output_shape((784,))
    assert Conv2D(4, 5, padding="same").output_shape((1, 3, 3)) == (4, 3, 3)
    for bad in (dict(stride=3), dict(padding="full"), dict(init="nope")):
        with pytest.raises(ValueError):
            Conv2D(4, 3, **bad)
