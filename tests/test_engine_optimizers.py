"""Each optimizer's steps checked against values worked out by hand."""

import numpy as np
import pytest

from netlib.optimizers import SGD, Adam, Momentum
from netlib.schedules import SCHEDULES


def _two_steps(opt, grads=((0.5, -1.0), (0.25, 2.0)), lr=0.1):
    p = np.array([1.0, 2.0])
    for g in grads:
        opt.step([p], [np.array(g)], lr)
    return p


def test_sgd():
    # p - 0.1 * (0.5 + 0.25), p - 0.1 * (-1 + 2)
    np.testing.assert_allclose(_two_steps(SGD()), [0.925, 1.9])


def test_momentum():
    # buf1 = g1 = (0.5, -1); p1 = (0.95, 2.1)
    # buf2 = 0.9*buf1 + g2 = (0.7, 1.1); p2 = (0.88, 1.99)
    np.testing.assert_allclose(_two_steps(Momentum(momentum=0.9)), [0.88, 1.99])


def test_nesterov():
    # step1: buf = (0.5, -1); d = g + 0.9 buf = (0.95, -1.9); p1 = (0.905, 2.19)
    # step2: buf = (0.7, 1.1); d = (0.25 + 0.63, 2 + 0.99) = (0.88, 2.99); p2 = (0.817, 1.891)
    np.testing.assert_allclose(_two_steps(Momentum(momentum=0.9, nesterov=True)), [0.817, 1.891])


def test_adam_first_step_moves_by_lr_times_sign():
    # With bias correction the first step is lr * g / (|g| + eps) = lr * sign(g).
    p = np.array([1.0, 2.0])
    Adam().step([p], [np.array([0.5, -1.0])], 0.1)
    np.testing.assert_allclose(p, [0.9, 2.1], rtol=1e-7)


def test_adam_second_step_by_hand():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.1
    g1, g2 = np.array([0.5, -1.0]), np.array([0.25, 2.0])
    m = (1 - b1) * g1
    v = (1 - b2) * g1**2
    p = np.array([1.0, 2.0]) - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    m = b1 * m + (1 - b1) * g2
    v = b2 * v + (1 - b2) * g2**2
    p = p - lr * (m / (1 - b1**2)) / (np.sqrt(v / (1 - b2**2)) + eps)
    np.testing.assert_allclose(_two_steps(Adam(beta1=b1, beta2=b2, eps=eps)), p, rtol=1e-9)


@pytest.mark.parametrize(
    ("name", "epoch", "expected"),
    [
        ("constant", 7, 0.2),
        ("step", 9, 0.2),
        ("step", 10, 0.1),
        ("step", 25, 0.05),
        ("cosine", 0, 0.2),
        ("cosine", 10, 0.1),
    ],
)
def test_schedules(name, epoch, expected):
    assert SCHEDULES[name](0.2, epoch, 20, 10, 0.5) == pytest.approx(expected)
