"""BatchNorm: batch statistics in training, running statistics (momentum) in eval."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.layers import BatchNorm, ShapeError

SHAPES = [(5,), (3, 4, 4)]


def _layer(shape, momentum=0.1):
    bn = BatchNorm(momentum=momentum)
    assert bn.build(shape, None, "float64") == shape
    return bn


def _axes(x):
    return (0,) if x.ndim == 2 else (0, 2, 3)


@pytest.mark.parametrize("shape", SHAPES)
def test_train_mode_normalises_each_feature_or_channel_over_the_batch(shape):
    bn = _layer(shape)
    x = np.random.default_rng(0).normal(size=(8, *shape)) * 3 + 2
    y, _ = bn.forward(x, train=True)
    np.testing.assert_allclose(y.mean(axis=_axes(x)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=_axes(x)), 1, rtol=1e-4)  # eps = 1e-5
    assert bn.params().keys() == {"gamma", "beta"}
    assert bn.params()["gamma"] is bn.gamma  # the arrays themselves, for the optimizer


@pytest.mark.parametrize("shape", SHAPES)
def test_running_statistics_follow_the_momentum_rule(shape):
    bn = _layer(shape, momentum=0.25)
    rng = np.random.default_rng(1)
    mean, var = np.zeros(shape[0]), np.ones(shape[0])
    for _ in range(3):
        x = rng.normal(size=(6, *shape)) * 2 - 1
        bn.forward(x, train=True)
        count = x.size // shape[0]
        mean = 0.75 * mean + 0.25 * x.mean(axis=_axes(x))
        var = 0.75 * var + 0.25 * x.var(axis=_axes(x)) * count / (count - 1)
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-12)
    assert bn.buffers() == {"running_mean": bn.running_mean, "running_var": bn.running_var}


@pytest.mark.parametrize("shape", SHAPES)
def test_eval_mode_uses_the_running_statistics_and_leaves_them_alone(shape):
    bn = _layer(shape)
    rng = np.random.default_rng(2)
    bn.gamma[:] = rng.uniform(0.5, 2, size=shape[0])
    bn.beta[:] = rng.normal(size=shape[0])
    for _ in range(5):
        bn.forward(rng.normal(size=(10, *shape)) + 3, train=True)
    rm, rv = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.normal(size=(4, *shape))
    y_eval, _ = bn.forward(x, train=False)
    per = (slice(None),) + (None,) * (len(shape) - 1)
    expected = (x - rm[per]) / np.sqrt(rv[per] + bn.eps) * bn.gamma[per] + bn.beta[per]
    np.testing.assert_allclose(y_eval, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean, rm)  # eval does not update them
    np.testing.assert_array_equal(bn.running_var, rv)
    # A sample's eval output does not depend on the rest of the batch; train output does.
    np.testing.assert_allclose(bn.forward(x[:1], train=False)[0], y_eval[:1], rtol=1e-12)
    y_train, _ = bn.forward(x, train=True)
    assert not np.allclose(y_train, y_eval)


def test_float32_stays_float32():
    bn = BatchNorm()
    bn.build((3, 4, 4))
    assert bn.gamma.dtype == np.float32 and bn.running_var.dtype == np.float32
    x = np.random.default_rng(3).normal(size=(5, 3, 4, 4)).astype(np.float32)
    for train in (True, False):
        y, cache = bn.forward(x, train=train)
        dx, grads = bn.backward(cache, np.ones_like(y))
        assert y.dtype == dx.dtype == np.float32
        assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    assert bn.running_mean.dtype == np.float32


def test_bad_shapes_and_settings_are_refused():
    with pytest.raises(ShapeError, match=r"\(features,\) or \(channels, height, width\)"):
        BatchNorm().output_shape((4, 4))
    for bad in (dict(momentum=0.0), dict(momentum=1.5), dict(eps=0.0)):
        with pytest.raises(ValueError):
            BatchNorm(**bad)
