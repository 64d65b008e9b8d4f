"""MaxPool2D and AvgPool2D over NCHW inputs: size 2 or 3, stride = size, no padding.

Rows and columns left over when H or W is not a multiple of the size are dropped (as in
"valid" pooling in every framework) and get zero gradient. Both are vectorised: the windows
are a reshape of the cropped input to (N, C, Ho, size, Wo, size) -- a view when the input is
contiguous, one copy otherwise -- and backward is broadcasting, no loops.

Max-pool routes each output's gradient to one input, its window's argmax; ties go to the first
maximum in row-major order inside the window (numpy's argmax), so routing is deterministic.
"""

from __future__ import annotations

import numpy as np

from netlib.layers.base import Layer, ShapeError, require_rank

SIZES = (2, 3)


class _Pool2D(Layer):
    def __init__(self, size: int) -> None:
        super().__init__()
        if int(size) not in SIZES:
            raise ValueError(f"{type(self).__name__} size must be one of {SIZES}, got {size}")
        self.size = int(size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.size})"

    def output_shape(self, input_shape):
        c, h, w = require_rank(self, input_shape, 3, "(channels, height, width)")
        if h < self.size or w < self.size:
            raise ShapeError(
                f"{self!r}: a {self.size}x{self.size} window does not fit the {h}x{w} input "
                f"(shape {(c, h, w)})"
            )
        return (c, h // self.size, w // self.size)

    def _blocks(self, x):
        """(N, C, Ho, size, Wo, size) blocks of the cropped input."""
        n, c, h, w = x.shape
        s = self.size
        ho, wo = h // s, w // s
        return x[:, :, : ho * s, : wo * s].reshape(n, c, ho, s, wo, s)

    def _uncrop(self, shape, dblocks):
        """Input gradient from the (N, C, Ho, size, Wo, size) block gradient."""
        n, c, h, w = shape
        s = self.size
        ho, wo = h // s, w // s
        inner = dblocks.reshape(n, c, ho * s, wo * s)
        if (ho * s, wo * s) == (h, w):
            return inner
        dx = np.zeros(shape, dtype=dblocks.dtype)
        dx[:, :, : ho * s, : wo * s] = inner
        return dx


class MaxPool2D(_Pool2D):
    kind = "maxpool"

    def forward(self, x, train):
        blocks = self._blocks(x)
        n, c, ho, s, wo, _ = blocks.shape
        # Window elements gathered on the last axis (a copy: argmax needs them on one axis).
        flat = blocks.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho, wo, s * s)
        idx = flat.argmax(axis=-1)
        y = np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]
        return y, (x.shape, idx)

    def backward(self, cache, dy):
        if not self.need_input_grad:
            return None, {}
        shape, idx = cache
        s = self.size
        # One-hot of the argmax times dy, laid out (N, C, Ho, Wo, s, s), then back to blocks.
        hit = idx[..., None] == np.arange(s * s)
        dflat = np.multiply(hit, dy[..., None], dtype=dy.dtype)
        n, c, ho, wo, _ = dflat.shape
        dblocks = dflat.reshape(n, c, ho, wo, s, s).transpose(0, 1, 2, 4, 3, 5)
        return self._uncrop(shape, dblocks), {}


class AvgPool2D(_Pool2D):
    kind = "avgpool"

    def forward(self, x, train):
        return self._blocks(x).mean(axis=(3, 5)), x.shape

    def backward(self, cache, dy):
        if not self.need_input_grad:
            return None, {}
        s = self.size
        share = dy / dy.dtype.type(s * s)
        n, c, ho, wo = dy.shape
        dblocks = np.broadcast_to(share[:, :, :, None, :, None], (n, c, ho, s, wo, s))
        return self._uncrop(cache, dblocks), {}
