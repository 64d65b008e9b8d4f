"""Hidden-layer activations by name: the UI lists choices from this same table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """forward(z) -> a; backward(z, a, grad_a) -> grad_z (either cache may be the cheaper one)."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def sigmoid(z: np.ndarray) -> np.ndarray:
    # Written via tanh so that large |z| never overflows exp().
    return 0.5 * (np.tanh(0.5 * z) + 1.0)


def _sigmoid_backward(z, a, g):
    return g * a * (1.0 - a)


def _tanh_backward(z, a, g):
    return g * (1.0 - a * a)


def _relu(z):
    return np.maximum(z, 0)


def _relu_backward(z, a, g):
    return g * (z > 0)


def _leaky(z):
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_backward(z, a, g):
    return g * np.where(z > 0, 1.0, LEAKY_SLOPE).astype(g.dtype)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_backward),
    "tanh": Activation("tanh", np.tanh, _tanh_backward),
    "relu": Activation("relu", _relu, _relu_backward),
    "leaky_relu": Activation("leaky_relu", _leaky, _leaky_backward),
}
