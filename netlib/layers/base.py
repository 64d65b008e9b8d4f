"""The one interface every layer has (CS231n's layers.py with a cache, PyTorch's nn.Module).

A layer is built once for a per-sample input shape (no batch axis), which creates its
parameters, and then:

- ``forward(x, train) -> (y, cache)``: ``train`` switches dropout and batch statistics;
- ``backward(cache, dy) -> (dx, grads)``: ``grads`` has the keys of ``params()``; ``dx`` is
  ``None`` when ``need_input_grad`` is False (the first layer of a network never needs it);
- ``params() -> dict[str, ndarray]``: the arrays themselves, which an optimizer updates in place;
- ``output_shape(input_shape)``: the per-sample output shape, raising ``ShapeError`` with the
  layer and the shapes when the input does not fit.

Arithmetic follows the input's dtype; parameters are created in ``build``'s dtype (float32 by
default). Layers without parameters need no ``build`` call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Shape = tuple[int, ...]
Grads = dict[str, np.ndarray]


class ShapeError(ValueError):
    """An input shape a layer cannot take; the message names the layer and the shapes."""


class Layer:
    """Base class: no parameters, input gradient wanted. Subclasses override what they need."""

    kind = "layer"

    def __init__(self) -> None:
        self.need_input_grad = True

    def build(
        self, input_shape: Shape, rng: np.random.Generator | None = None, dtype: Any = "float32"
    ) -> Shape:
        """Create the parameters for this per-sample input shape; return the output shape."""
        return self.output_shape(input_shape)

    def output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def params(self) -> dict[str, np.ndarray]:
        return {}

    def forward(self, x: np.ndarray, train: bool) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    def backward(self, cache: Any, dy: np.ndarray) -> tuple[np.ndarray | None, Grads]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def require_rank(layer: Layer, input_shape: Shape, rank: int, what: str) -> Shape:
    """The per-sample shape as a tuple of positive ints of the given rank, or a ShapeError."""
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != rank or any(d <= 0 for d in shape):
        raise ShapeError(f"{layer!r} needs {what} per sample, got input shape {shape}")
    return shape


def is_channels_last(x: np.ndarray) -> bool:
    """An (N, C, H, W) array whose memory is (N, H, W, C): what convolutions produce."""
    return x.ndim == 4 and x.transpose(0, 2, 3, 1).flags.c_contiguous


def empty_images(shape: Shape, dtype: Any, channels_last: bool, zero: bool = False):
    """A new (N, C, H, W) array, channels-last in memory when asked (the layout of the
    layer it feeds back into, so elementwise passes run over contiguous memory)."""
    make = np.zeros if zero else np.empty
    if not channels_last:
        return make(shape, dtype=dtype)
    n, c, h, w = shape
    return make((n, h, w, c), dtype=dtype).transpose(0, 3, 1, 2)
