"""Backprop checked against central finite differences (float64, relative error < 1e-6)."""

import itertools

import numpy as np
import pytest

from netlib.activations import ACTIVATIONS
from netlib.losses import LOSSES
from netlib.network import MLP


def _net(activation, sizes=(5, 4, 3, 3), seed=0):
    rng = np.random.default_rng(seed)
    return MLP.create(list(sizes), activation, "xavier", rng, "float64")


def _total_loss(net, x, y, loss, l2, masks=None):
    logits, _ = net.forward(x, masks=masks)
    value, _ = LOSSES[loss].value_and_grad(logits, y)
    return value + net.l2_penalty(l2)


def _max_rel_error(net, x, y, loss, l2, masks=None, eps=1e-6):
    logits, cache = net.forward(x, masks=masks)
    _, dlogits = LOSSES[loss].value_and_grad(logits, y)
    grads, _ = net.backward(cache, dlogits, l2)
    worst = 0.0
    for p, g in zip(net.params(), grads, strict=True):
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = _total_loss(net, x, y, loss, l2, masks)
            p[i] = old - eps
            down = _total_loss(net, x, y, loss, l2, masks)
            p[i] = old
            numeric = (up - down) / (2 * eps)
            denom = max(abs(numeric) + abs(g[i]), 1e-8)
            worst = max(worst, abs(numeric - g[i]) / denom)
    return worst


def _data(seed=1, n=6, d=5, k=3):
    rng = np.random.default_rng(seed)
    # Keep ReLU pre-activations away from the kink where finite differences are meaningless.
    return rng.normal(size=(n, d)), rng.integers(0, k, size=n)


@pytest.mark.parametrize(
    ("activation", "loss", "l2"),
    list(itertools.product(ACTIVATIONS, LOSSES, [0.0, 0.05])),
)
def test_gradients_match_finite_differences(activation, loss, l2):
    net = _net(activation)
    x, y = _data()
    assert _max_rel_error(net, x, y, loss, l2) < 1e-6


def test_gradients_with_fixed_dropout_mask():
    net = _net("tanh")
    x, y = _data()
    rng = np.random.default_rng(3)
    keep = 0.5
    masks = [(rng.random((6, 4)) < keep) / keep, (rng.random((6, 3)) < keep) / keep]
    assert any((m == 0).any() for m in masks)
    assert _max_rel_error(net, x, y, "cross_entropy", 0.01, masks) < 1e-6


def test_zero_hidden_layers_is_softmax_regression():
    net = _net("relu", sizes=(5, 3))
    x, y = _data()
    assert len(net.weights) == 1
    assert _max_rel_error(net, x, y, "cross_entropy", 0.0) < 1e-6


def test_input_gradient_matches_finite_differences():
    from netlib.metrics import saliency

    net = _net("sigmoid")
    x, _ = _data(n=2)
    sal = saliency(net, x, 0, 2)
    eps = 1e-6
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        lp, lm = net.logits(xp), net.logits(xm)
        numeric = ((lp[:, 0] - lp[:, 2]) - (lm[:, 0] - lm[:, 2]))[i[0]] / (2 * eps)
        assert abs(numeric - sal[i]) <= 1e-6 * max(1.0, abs(numeric))


@pytest.mark.parametrize("loss", list(LOSSES))
def test_losses_are_stable_at_huge_logits(loss):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]])
    value, grad = LOSSES[loss].value_and_grad(logits, np.array([1, 1]))
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert value > 0.5  # the first sample is confidently wrong
    proba = LOSSES[loss].proba(logits)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
