"""Conv2D: a 2-D convolution (cross-correlation, as in every framework) over NCHW inputs.

Weights are (filters, channels, k, k) -- PyTorch's layout -- and biases (filters,). Padding
"valid" uses no padding; "same" gives ceil(H / stride) outputs per axis with TensorFlow's split
(any odd pixel of padding goes to the bottom/right). Vectorised as fast CPU code does it:

- forward: the windows are a ``sliding_window_view`` (no copy), gathered once into an im2col
  matrix of shape (N*Ho*Wo, C*k*k) -- that is the one copy, made because BLAS needs a plain
  matrix -- and multiplied by the (C*k*k, F) weight matrix in one GEMM;
- backward: the weight gradient is one GEMM against the same columns; the input gradient is one
  GEMM to column gradients, then col2im: k*k slice additions, each over the whole batch, all
  channels and all output positions (no loop over pixels or samples).

The output is the GEMM's (N, Ho, Wo, F) buffer seen as (N, F, Ho, Wo): a transposed view, not a
copy; the next layer's windows and reshapes take any strides.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from netlib.initializers import INITIALIZERS
from netlib.layers.base import Layer, Shape, ShapeError, require_rank

PADDINGS = ("valid", "same")


def _pads(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(pad_before, pad_after, output size) along one axis."""
    if padding == "valid":
        return 0, 0, (size - kernel) // stride + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class Conv2D(Layer):
    kind = "conv"

    def __init__(
        self,
        filters: int,
        kernel: int,
        stride: int = 1,
        padding: str = "valid",
        init: str = "he",
        init_scale: float = 0.1,
    ) -> None:
        super().__init__()
        if int(filters) < 1:
            raise ValueError(f"Conv2D needs at least one filter, got {filters}")
        if int(kernel) < 1:
            raise ValueError(f"Conv2D kernel size must be at least 1, got {kernel}")
        if int(stride) not in (1, 2):
            raise ValueError(f"Conv2D stride must be 1 or 2, got {stride}")
        if padding not in PADDINGS:
            raise ValueError(f"Conv2D padding must be one of {PADDINGS}, got {padding!r}")
        if init not in INITIALIZERS:
            raise ValueError(f"unknown initializer {init!r}; choose from {sorted(INITIALIZERS)}")
        self.filters = int(filters)
        self.kernel = int(kernel)
        self.stride = int(stride)
        self.padding = padding
        self.init = init
        self.init_scale = init_scale
        self.W: np.ndarray | None = None
        self.b: np.ndarray | None = None

    def __repr__(self) -> str:
        return (
            f"Conv2D({self.filters}, kernel={self.kernel}, stride={self.stride}, "
            f"padding={self.padding!r})"
        )

    def _geometry(self, input_shape: Shape):
        c, h, w = require_rank(self, input_shape, 3, "(channels, height, width)")
        k, s = self.kernel, self.stride
        if self.padding == "valid" and (h < k or w < k):
            raise ShapeError(
                f"{self!r}: kernel {k}x{k} does not fit the {h}x{w} input (shape {(c, h, w)}); "
                "use a smaller kernel or padding 'same'"
            )
        top, bottom, ho = _pads(h, k, s, self.padding)
        left, right, wo = _pads(w, k, s, self.padding)
        return c, (top, bottom, left, right), ho, wo

    def output_shape(self, input_shape):
        _, _, ho, wo = self._geometry(input_shape)
        return (self.filters, ho, wo)

    def build(self, input_shape, rng=None, dtype="float32"):
        c, _, ho, wo = self._geometry(input_shape)
        rng = np.random.default_rng() if rng is None else rng
        k = self.kernel
        # The table's initialisers make a (fan_in, fan_out) matrix; a filter's fan-in is C*k*k.
        w = INITIALIZERS[self.init](rng, c * k * k, self.filters, self.init_scale)
        self.W = np.ascontiguousarray(w.T.reshape(self.filters, c, k, k), dtype=dtype)
        self.b = np.zeros(self.filters, dtype=dtype)
        return (self.filters, ho, wo)

    def params(self):
        return {"W": self.W, "b": self.b}

    def forward(self, x, train):
        n, c, h, w = x.shape
        _, (top, bottom, left, right), ho, wo = self._geometry((c, h, w))
        k, s = self.kernel, self.stride
        xp = x
        if top or bottom or left or right:
            xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
        # (N, C, Ho, Wo, k, k) view; with stride 2 the trailing window of a "valid" layer
        # that does not fit is dropped by the [: ho] / [: wo] bounds.
        win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, : (ho - 1) * s + 1 : s]
        win = win[:, :, :, : (wo - 1) * s + 1 : s]
        # im2col: the one copy, rows (n, i, j), columns (c, di, dj) matching W's layout.
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)
        w2 = self.W.reshape(self.filters, c * k * k)
        y = cols @ w2.T
        y += self.b
        y = y.reshape(n, ho, wo, self.filters).transpose(0, 3, 1, 2)
        return y, (x.shape, cols)

    def backward(self, cache, dy):
        (n, c, h, w), cols = cache
        f, k, s = self.filters, self.kernel, self.stride
        _, (top, bottom, left, right), ho, wo = self._geometry((c, h, w))
        # Rows in (n, i, j) order like the columns: free when dy is the forward's NHWC buffer.
        dy2 = dy.transpose(0, 2, 3, 1).reshape(n * ho * wo, f)
        grads = {"W": (dy2.T @ cols).reshape(self.W.shape), "b": dy2.sum(axis=0)}
        if not self.need_input_grad:
            return None, grads
        dcols = (dy2 @ self.W.reshape(f, c * k * k)).reshape(n, ho, wo, c, k, k)
        # col2im: one strided slice addition per kernel offset (k*k of them); each adds the
        # gradient of every sample, channel and output position that saw that offset.
        dxp = np.zeros((n, c, h + top + bottom, w + left + right), dtype=dcols.dtype)
        for di in range(k):
            for dj in range(k):
                dxp[:, :, di : di + (ho - 1) * s + 1 : s, dj : dj + (wo - 1) * s + 1 : s] += dcols[
                    :, :, :, :, di, dj
                ].transpose(0, 3, 1, 2)
        return dxp[:, :, top : top + h, left : left + w], grads
