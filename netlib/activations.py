"""Hidden-layer activations by name: the UI lists choices from this same table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """forward(z) -> a; backward(z, a, grad_a) -> grad_z (either cache may be the cheaper one).

    Neither function modifies its arguments; each returns a new array of the input's dtype.
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def sigmoid(z: np.ndarray) -> np.ndarray:
    # Written via tanh so that large |z| never overflows exp(). The steps run in place in one
    # new buffer (one allocation instead of three temporaries).
    s = np.multiply(z, 0.5)
    np.tanh(s, out=s)
    s += 1.0
    s *= 0.5
    return s


def _sigmoid_backward(z, a, g):
    # g * a * (1 - a), built in one new buffer.
    out = np.subtract(1.0, a)
    out *= a
    out *= g
    return out


def _tanh_backward(z, a, g):
    out = np.multiply(a, a)
    np.subtract(1.0, out, out=out)
    out *= g
    return out


def _relu(z):
    return np.maximum(z, 0)


def _relu_backward(z, a, g):
    # Multiplying by the boolean mask keeps g's dtype (no float64 0/1 array).
    return np.multiply(g, z > 0)


def _leaky(z):
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_backward(z, a, g):
    # Slope 1 or LEAKY_SLOPE chosen per element, in g's dtype (a float64 table would upcast).
    return g * np.where(z > 0, g.dtype.type(1.0), g.dtype.type(LEAKY_SLOPE))


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_backward),
    "tanh": Activation("tanh", np.tanh, _tanh_backward),
    "relu": Activation("relu", _relu, _relu_backward),
    "leaky_relu": Activation("leaky_relu", _leaky, _leaky_backward),
}
