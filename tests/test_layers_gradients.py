"""Every layer's backward checked against central finite differences (float64, relative error
< 1e-6): weights, biases, gamma/beta and the input gradient, alone and stacked."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.activations import ACTIVATIONS
from netlib.layers import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
)

EPS = 1e-4
TOL = 1e-6
ZERO = 1e-9


def _build(layers, input_shape, seed=0):
    rng = np.random.default_rng(seed)
    shape = tuple(input_shape)
    for layer in layers:
        shape = layer.build(shape, rng, "float64")
    return shape


def _forward(layers, x, train, dropout_seed):
    caches = []
    for layer in layers:
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng(dropout_seed)  # the same mask on every call
        x, cache = layer.forward(x, train)
        caches.append(cache)
    return x, caches


def _backward(layers, caches, dy):
    grads = []
    for layer, cache in zip(reversed(layers), reversed(caches), strict=True):
        dy, g = layer.backward(cache, dy)
        grads.append(g)
    return dy, grads[::-1]


def _rel_error(numeric, analytic):
    """Worst elementwise |n - a| / (|n| + |a|). A gradient that is zero in theory (a bias
    followed by batch norm) comes out as rounding noise: below ZERO it is compared absolutely."""
    diff = np.abs(numeric - analytic)
    denom = np.abs(numeric) + np.abs(analytic)
    err = np.where(denom > ZERO, diff / np.maximum(denom, ZERO), diff / ZERO * TOL)
    return float(np.max(err))


def _numeric(outputs, weights, array):
    """Finite differences of sum(outputs() * weights) in each element of array.

    The five-point central stencil (error O(EPS**4)) lets EPS be 1e-4, so rounding stays near
    1e-12 and even small gradient entries are checked to 1e-6 relative; the outputs are
    subtracted before the weighted sum, so rounding of a large total does not swamp them."""
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        old = array[i]
        taps = []
        for step in (2, 1, -1, -2):
            array[i] = old + step * EPS
            taps.append(outputs())
        array[i] = old
        diff = (taps[3] - taps[0]) + 8 * (taps[1] - taps[2])
        grad[i] = np.sum(diff * weights) / (12 * EPS)
    return grad


def check_stack(layers, x, train=True, dropout_seed=7, seed=3):
    """Worst relative error per checked array: {'input': e, '0.W': e, ...}."""
    rng = np.random.default_rng(seed)
    y, caches = _forward(layers, x, train, dropout_seed)
    weights = rng.normal(size=y.shape)  # loss = sum(y * weights): dloss/dy = weights

    def outputs():
        return _forward(layers, x, train, dropout_seed)[0].copy()  # y may be a view of x

    dx, grads = _backward(layers, caches, weights)
    errors = {"input": _rel_error(_numeric(outputs, weights, x), dx)}
    for i, (layer, g) in enumerate(zip(layers, grads, strict=True)):
        assert set(g) == set(layer.params())
        for name, array in layer.params().items():
            assert g[name].shape == array.shape and g[name].dtype == array.dtype
            errors[f"{i}.{name}"] = _rel_error(_numeric(outputs, weights, array), g[name])
    return errors


def assert_exact(errors):
    bad = {k: v for k, v in errors.items() if not v < TOL}
    assert bad == {}, errors


def _images(n=2, c=2, h=7, w=6, seed=1):
    return np.random.default_rng(seed).normal(size=(n, c, h, w))


def test_dense():
    layers = [Dense(3, init="xavier")]
    _build(layers, (5,))
    layers[0].b[:] = np.random.default_rng(4).normal(size=3)
    assert_exact(check_stack(layers, np.random.default_rng(1).normal(size=(4, 5))))


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kernel", [1, 2, 3])
def test_conv2d(kernel, padding, stride):
    layers = [Conv2D(3, kernel, stride=stride, padding=padding)]
    _build(layers, (2, 7, 6))
    layers[0].b[:] = np.random.default_rng(4).normal(size=3)
    errors = check_stack(layers, _images())
    assert set(errors) == {"input", "0.W", "0.b"}
    assert_exact(errors)


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("size", [2, 3])
def test_pooling(pool, size):
    # 7x8 leaves rows/columns over for both sizes: their gradient must be exactly zero.
    assert_exact(check_stack([pool(size)], _images(c=3, h=7, w=8)))


def test_flatten():
    assert_exact(check_stack([Flatten()], _images()))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name):
    assert_exact(check_stack([Activation(name)], _images()))


def test_dropout_under_a_fixed_mask():
    layers = [Dropout(0.4)]
    x = _images()
    y, _ = _forward(layers, x, True, 7)
    assert 0 < np.count_nonzero(y == 0) < y.size  # some units dropped, some kept
    assert_exact(check_stack(layers, x))


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("shape", [(5,), (3, 4, 5)])
def test_batchnorm(shape, train):
    layers = [BatchNorm()]
    _build(layers, shape)
    bn = layers[0]
    rng = np.random.default_rng(5)
    bn.gamma[:] = rng.uniform(0.5, 1.5, size=bn.gamma.shape)
    bn.beta[:] = rng.normal(size=bn.beta.shape)
    bn.running_mean[:] = rng.normal(size=bn.running_mean.shape)
    bn.running_var[:] = rng.uniform(0.5, 2.0, size=bn.running_var.shape)
    x = rng.normal(size=(6, *shape)) * 2 + 1
    assert_exact(check_stack(layers, x, train=train))


def test_conv_pool_conv_flatten_dense():
    layers = [
        Conv2D(3, 3, padding="same"),
        Activation("tanh"),
        MaxPool2D(2),
        Conv2D(4, 3, stride=2),
        Activation("tanh"),
        Flatten(),
        Dense(3),
    ]
    assert _build(layers, (1, 10, 10)) == (3,)
    assert_exact(check_stack(layers, _images(n=3, c=1, h=10, w=10)))


def test_stack_with_batchnorm_in_train_mode_and_dropout_under_a_fixed_mask():
    layers = [
        Conv2D(3, 2, stride=2, padding="same"),
        BatchNorm(),
        Activation("relu"),
        AvgPool2D(2),
        Conv2D(4, 3, padding="same"),
        BatchNorm(),
        Activation("sigmoid"),
        MaxPool2D(3),
        Flatten(),
        Dropout(0.3),
        Dense(6),
        BatchNorm(),
        Activation("leaky_relu"),
        Dense(3),
    ]
    assert _build(layers, (2, 11, 12)) == (3,)
    errors = check_stack(layers, _images(n=4, c=2, h=11, w=12))
    assert {"0.W", "0.b", "1.gamma", "1.beta", "11.gamma", "13.W", "input"} <= set(errors)
    assert_exact(errors)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Conv2D(3, 3, stride=2, padding="same"),
        BatchNorm,
        lambda: MaxPool2D(2),
        lambda: AvgPool2D(3),
        Flatten,
        lambda: Activation("tanh"),
        lambda: Dropout(0.5),
    ],
)
def test_input_gradient_can_be_skipped_without_changing_parameter_gradients(make):
    x = _images(h=6, w=6)
    full, skipped = make(), make()
    _build([full], (2, 6, 6), seed=0)
    _build([skipped], (2, 6, 6), seed=0)
    skipped.need_input_grad = False
    y, cache = _forward([full], x, True, 7)
    dy = np.random.default_rng(2).normal(size=y.shape)
    dx_full, g_full = full.backward(cache[0], dy)
    dx, g = skipped.backward(_forward([skipped], x, True, 7)[1][0], dy)
    assert dx_full is not None and dx is None
    assert g.keys() == g_full.keys()
    for name in g:
        np.testing.assert_array_equal(g[name], g_full[name])


def test_dense_input_gradient_can_be_skipped():
    layer = Dense(4)
    _build([layer], (5,))
    x = np.random.default_rng(1).normal(size=(3, 5))
    y, cache = layer.forward(x, True)
    dx_full, g_full = layer.backward(cache, np.ones_like(y))
    layer.need_input_grad = False
    dx, g = layer.backward(cache, np.ones_like(y))
    assert dx_full.shape == x.shape and dx is None
    np.testing.assert_array_equal(g["W"], g_full["W"])
