"""Activation(name): an elementwise function from netlib.activations' ACTIVATIONS table."""

from __future__ import annotations

from netlib.activations import ACTIVATIONS
from netlib.layers.base import Layer


class Activation(Layer):
    kind = "activation"

    def __init__(self, name: str) -> None:
        super().__init__()
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}")
        self.name = name
        self._act = ACTIVATIONS[name]

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"

    def forward(self, x, train):
        # The table's backward takes either the input or the output: keep both (no copies).
        y = self._act.forward(x)
        return y, (x, y)

    def backward(self, cache, dy):
        if not self.need_input_grad:
            return None, {}
        z, a = cache
        return self._act.backward(z, a, dy), {}
