"""Dropout(p): inverted dropout in training (kept units scaled by 1/(1-p)); identity in eval.

The mask is drawn from ``self.rng`` (a numpy Generator given at construction or set later), so
a test fixes the mask by passing or re-seeding the generator.
"""

from __future__ import annotations

import numpy as np

from netlib.layers.base import Layer


class Dropout(Layer):
    kind = "dropout"

    def __init__(self, p: float, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= float(p) < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = np.random.default_rng() if rng is None else rng

    def __repr__(self) -> str:
        return f"Dropout({self.p})"

    def forward(self, x, train):
        if not train or self.p == 0.0:
            return x, None
        keep = 1.0 - self.p
        # Uniforms drawn in x's dtype, turned into the scaled 0 or 1/keep mask in that buffer.
        u = self.rng.random(x.shape, dtype=x.dtype)
        mask = np.multiply(u < keep, x.dtype.type(1.0 / keep), out=u)
        return x * mask, mask

    def backward(self, cache, dy):
        if not self.need_input_grad:
            return None, {}
        mask = cache
        return (dy if mask is None else dy * mask), {}
