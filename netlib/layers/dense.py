"""Dense: y = x @ W + b for (N, D) inputs; W is (D, units), the MLP's (fan_in, fan_out) layout."""

from __future__ import annotations

import numpy as np

from netlib.initializers import INITIALIZERS
from netlib.layers.base import Layer, Shape, require_rank


class Dense(Layer):
    kind = "dense"

    def __init__(self, units: int, init: str = "he", init_scale: float = 0.1) -> None:
        super().__init__()
        if int(units) < 1:
            raise ValueError(f"Dense needs at least one unit, got {units}")
        if init not in INITIALIZERS:
            raise ValueError(f"unknown initializer {init!r}; choose from {sorted(INITIALIZERS)}")
        self.units = int(units)
        self.init = init
        self.init_scale = init_scale
        self.W: np.ndarray | None = None
        self.b: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Dense({self.units})"

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 1, "a flat vector (put a Flatten before it)")
        return (self.units,)

    def build(self, input_shape, rng=None, dtype="float32"):
        (fan_in,) = require_rank(self, input_shape, 1, "a flat vector (put a Flatten before it)")
        rng = np.random.default_rng() if rng is None else rng
        make = INITIALIZERS[self.init]
        self.W = make(rng, fan_in, self.units, self.init_scale).astype(dtype)
        self.b = np.zeros(self.units, dtype=dtype)
        return (self.units,)

    def params(self):
        return {"W": self.W, "b": self.b}

    def forward(self, x, train):
        y = x @ self.W
        y += self.b
        return y, x

    def backward(self, cache, dy):
        x = cache
        grads = {"W": x.T @ dy, "b": dy.sum(axis=0)}
        dx = dy @ self.W.T if self.need_input_grad else None
        return dx, grads
