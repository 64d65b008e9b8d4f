"""Optimizers as small objects: `step(params, grads, lr)` updates in place, state kept inside.

The training loop never knows which one it has. Update rules follow the common (PyTorch)
conventions so results can be compared side by side.

Speed notes, true of every step below: scalars are plain Python floats, so with NumPy's
promotion rules they take the arrays' dtype (a NumPy float64 scalar would silently turn every
float32 product into a float64 array twice the size), and each update runs in place in at most
one temporary per parameter, so a step is a few passes over memory and never a float64 copy.
"""

from __future__ import annotations

import math

import numpy as np


class SGD:
    def __init__(self, **_: object) -> None:
        pass

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        lr = float(lr)
        for p, g in zip(params, grads, strict=True):
            p -= lr * g


class Momentum:
    """Heavy-ball momentum: buf = mu * buf + g; Nesterov looks ahead with g + mu * buf."""

    def __init__(self, momentum: float = 0.9, nesterov: bool = False, **_: object) -> None:
        self.mu = float(momentum)
        self.nesterov = nesterov
        self.bufs: list[np.ndarray] | None = None

    def step(self, params, grads, lr):
        lr = float(lr)
        if self.bufs is None:
            self.bufs = [np.zeros_like(p) for p in params]
        for p, g, buf in zip(params, grads, self.bufs, strict=True):
            buf *= self.mu
            buf += g
            if self.nesterov:
                d = self.mu * buf  # the look-ahead direction g + mu * buf, in one temporary
                d += g
                d *= lr
                p -= d
            else:
                p -= lr * buf


class Adam:
    """Adam with bias correction (Kingma & Ba, 2015)."""

    def __init__(
        self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, **_: object
    ) -> None:
        self.b1, self.b2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None

    def step(self, params, grads, lr):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        b1, b2 = self.b1, self.b2
        # Fold both bias corrections into one scalar step size: fewer array passes per step.
        # math.sqrt keeps these Python floats (np.sqrt would give float64 scalars: see above).
        correction = math.sqrt(1 - b2**self.t)
        step_size = float(lr) * correction / (1 - b1**self.t)
        eps_hat = self.eps * correction
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            d = np.square(g)  # the one temporary, reused below for the step itself
            d *= 1 - b2
            v += d
            # p -= step_size * m / (sqrt(v) + eps_hat), computed inside d
            np.sqrt(v, out=d)
            d += eps_hat
            np.divide(m, d, out=d)
            d *= step_size
            p -= d


OPTIMIZERS: dict[str, type] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, **settings: object):
    return OPTIMIZERS[name](**settings)
