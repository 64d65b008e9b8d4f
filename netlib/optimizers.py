"""Optimizers as small objects: `step(params, grads, lr)` updates in place, state kept inside.

The training loop never knows which one it has. Update rules follow the common (PyTorch)
conventions so results can be compared side by side.
"""

from __future__ import annotations

import numpy as np


class SGD:
    def __init__(self, **_: object) -> None:
        pass

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        for p, g in zip(params, grads, strict=True):
            p -= lr * g


class Momentum:
    """Heavy-ball momentum: buf = mu * buf + g; Nesterov looks ahead with g + mu * buf."""

    def __init__(self, momentum: float = 0.9, nesterov: bool = False, **_: object) -> None:
        self.mu = momentum
        self.nesterov = nesterov
        self.bufs: list[np.ndarray] | None = None

    def step(self, params, grads, lr):
        if self.bufs is None:
            self.bufs = [np.zeros_like(p) for p in params]
        for p, g, buf in zip(params, grads, self.bufs, strict=True):
            buf *= self.mu
            buf += g
            p -= lr * (g + self.mu * buf) if self.nesterov else lr * buf


class Adam:
    """Adam with bias correction (Kingma & Ba, 2015)."""

    def __init__(
        self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, **_: object
    ) -> None:
        self.b1, self.b2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None

    def step(self, params, grads, lr):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        # Fold both bias corrections into one scalar step size: fewer array passes per step.
        step_size = lr * np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)
        eps_hat = self.eps * np.sqrt(1 - self.b2**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * (g * g)
            p -= step_size * m / (np.sqrt(v) + eps_hat)


OPTIMIZERS: dict[str, type] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, **settings: object):
    return OPTIMIZERS[name](**settings)
