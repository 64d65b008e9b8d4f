"""The fast paths of Conv2D and MaxPool2D: backward against loop references, reused buffers
never clobbering a live cache or output, first-maximum routing under many ties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from netlib.layers import Conv2D, MaxPool2D


def _padded(x, layer):
    n, c, h, w = x.shape
    _, (top, bottom, left, right), ho, wo = layer._geometry((c, h, w))
    xp = np.zeros((n, c, h + top + bottom, w + left + right))
    xp[:, :, top : top + h, left : left + w] = x
    return xp, (top, left), ho, wo


def naive_conv_backward(layer, x, dy):
    """dW, db and dx by the definition, loop by loop, in float64."""
    xp, (top, left), ho, wo = _padded(x, layer)
    f, c, k, _ = layer.W.shape
    s = layer.stride
    n = x.shape[0]
    dw = np.zeros(layer.W.shape)
    dxp = np.zeros_like(xp)
    for b, o, i, j in itertools.product(range(n), range(f), range(ho), range(wo)):
        g = dy[b, o, i, j]
        window = xp[b, :, i * s : i * s + k, j * s : j * s + k]
        dw[o] += g * window
        dxp[b, :, i * s : i * s + k, j * s : j * s + k] += g * layer.W[o]
    h, w = x.shape[2:]
    return dw, dy.sum(axis=(0, 2, 3)), dxp[:, :, top : top + h, left : left + w]


CASES = [
    (channels, kernel, stride, padding, h, w)
    for channels in (1, 3)  # one channel gathers its columns offset-major
    for kernel in (1, 3, 5)
    for stride in (1, 2)
    for padding in ("valid", "same")
    for h, w in ((5, 5), (7, 6))
]


@pytest.mark.parametrize(("channels", "kernel", "stride", "padding", "h", "w"), CASES)
def test_conv_backward_matches_the_loop_reference(channels, kernel, stride, padding, h, w):
    rng = np.random.default_rng(kernel * 7 + stride)
    layer = Conv2D(4, kernel, stride=stride, padding=padding)
    layer.build((channels, h, w), rng, "float64")
    x = rng.normal(size=(2, channels, h, w))
    y, cache = layer.forward(x, train=True)
    dy = rng.normal(size=y.shape)
    dx, grads = layer.backward(cache, dy)
    dw, db, dx_ref = naive_conv_backward(layer, x, dy)
    np.testing.assert_allclose(grads["W"], dw, atol=1e-12)
    np.testing.assert_allclose(grads["b"], db, atol=1e-12)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-12)
    # The output is channels-last in memory (what the next layers' fast paths expect), and
    # an input in that layout (the previous convolution's output) gives the same results.
    assert y.transpose(0, 2, 3, 1).flags.c_contiguous
    x_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    y2, cache2 = layer.forward(x_last, train=True)
    np.testing.assert_allclose(y2, y, atol=1e-12)
    np.testing.assert_allclose(layer.backward(cache2, dy)[0], dx_ref, atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_reused_buffers_leave_live_caches_and_outputs_alone(padding):
    rng = np.random.default_rng(3)
    layer = Conv2D(5, 3, padding=padding)
    layer.build((2, 8, 8), rng, "float32")
    xa = rng.normal(size=(4, 2, 8, 8)).astype(np.float32)
    xb = rng.normal(size=(4, 2, 8, 8)).astype(np.float32)
    dy = rng.normal(size=(4, *layer.output_shape((2, 8, 8)))).astype(np.float32)
    ya, cache_a = layer.forward(xa, train=True)
    ya_copy = ya.copy()
    dxa, ga = layer.backward(cache_a, dy)
    dxa_copy, gwa = dxa.copy(), ga["W"].copy()
    # Several more steps with other data while the first step's arrays are still held.
    for _ in range(6):
        yb, cache_b = layer.forward(xb, train=True)
        layer.backward(cache_b, dy)
    np.testing.assert_array_equal(ya, ya_copy)
    np.testing.assert_array_equal(dxa, dxa_copy)
    dxa2, ga2 = layer.backward(cache_a, dy)  # the old cache still gives the old gradients
    np.testing.assert_array_equal(dxa2, dxa_copy)
    np.testing.assert_array_equal(ga2["W"], gwa)
    # Once released, the arrays are handed out again (no growth step after step).
    del ya, cache_a, dxa, dxa2, ga, ga2, yb, cache_b
    y1, c1 = layer.forward(xa, train=True)
    first = y1.__array_interface__["data"][0]
    del y1, c1
    y2, _ = layer.forward(xa, train=True)
    assert y2.__array_interface__["data"][0] == first
    np.testing.assert_array_equal(y2, ya_copy)


@pytest.mark.parametrize("size", [2, 3])
def test_max_pool_first_maximum_under_heavy_ties(size):
    rng = np.random.default_rng(size)
    x = rng.integers(0, 3, size=(3, 2, 7, 8)).astype(np.float32)  # many equal values
    y, cache = MaxPool2D(size).forward(x, train=True)
    dy = rng.normal(size=y.shape).astype(np.float32)
    dx, _ = MaxPool2D(size).backward(cache, dy)
    expected = np.zeros_like(x)
    for b, ch, i, j in itertools.product(*map(range, y.shape)):
        window = x[b, ch, i * size : (i + 1) * size, j * size : (j + 1) * size]
        assert y[b, ch, i, j] == window.max()
        di, dj = divmod(int(np.argmax(window)), size)  # numpy's argmax: first maximum
        expected[b, ch, i * size + di, j * size + dj] = dy[b, ch, i, j]
    np.testing.assert_array_equal(dx, expected)
