"""Conv2D: a 2-D convolution (cross-correlation, as in every framework) over NCHW inputs.

Weights are (filters, channels, k, k) -- PyTorch's layout -- and biases (filters,). Padding
"valid" uses no padding; "same" gives ceil(H / stride) outputs per axis with TensorFlow's split
(any odd pixel of padding goes to the bottom/right). Vectorised as fast CPU code does it, with
channels-last memory inside:

- forward: the windows are a ``sliding_window_view`` (no copy) of the input seen as (N, H, W,
  C), gathered once into an im2col matrix of shape (N*Ho*Wo, k*k*C) -- that is the one copy,
  made because BLAS needs a plain matrix, and its runs are window rows of k*C inputs -- and
  multiplied by the (k*k*C, F) weight matrix in one GEMM;
- backward: the weight gradient is one GEMM against the same columns; the input gradient is,
  per kernel offset, one small GEMM (N*Ho*Wo, F) @ (F, C) added onto the shifted window of
  the padded channels-last gradient (k*k additions over the whole batch: no loop over pixels
  or samples, and no column-gradient matrix).

Arrays keep their logical (N, C, H, W) shape: the output is the GEMM's (N, Ho, Wo, F) buffer
seen as (N, F, Ho, Wo), a transposed view, not a copy, and an input in that layout (the output
of the convolution before, through ReLU and pooling, which keep it) is read without a copy.
Any other layout works too, through one copy.
"""

from __future__ import annotations

import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from netlib.initializers import INITIALIZERS
from netlib.layers.base import Layer, Shape, ShapeError, require_rank

PADDINGS = ("valid", "same")


def _unused_refcount() -> int:
    """getrefcount of a pooled array nobody else holds, measured as _Pool.get looks (the
    list, the loop variable, the call's argument: 3 on CPython 3.11)."""
    arrays = [np.empty(1)]
    for a in arrays:
        return sys.getrefcount(a)
    raise AssertionError


_UNUSED = _unused_refcount()


class _Pool:
    """Reusable arrays per (role, shape, dtype): a training loop makes the same few large
    arrays every step, and fresh ones cost page faults (first touch of memory the allocator
    has just returned to the OS) that took longer than the arithmetic. An array is handed
    out again only when nothing outside the pool refers to it any more -- no cache, view or
    caller -- judged by CPython's reference count, so a cache kept across steps stays intact."""

    KEEP = 4  # arrays kept per key; more live at once are allocated and dropped as usual

    def __init__(self) -> None:
        self._free: dict[tuple, list[np.ndarray]] = {}

    def get(self, role: str, shape: tuple[int, ...], dtype, zero: bool = False) -> np.ndarray:
        """A free array of that shape; with ``zero`` one that was zeroed when made (callers
        that write only part of it rely on the rest staying zero)."""
        key = (role, shape, np.dtype(dtype), zero)
        arrays = self._free.setdefault(key, [])
        for a in arrays:
            if sys.getrefcount(a) <= _UNUSED:
                return a
        a = (np.zeros if zero else np.empty)(shape, dtype=dtype)
        if len(arrays) < self.KEEP:
            arrays.append(a)
        return a

    def __deepcopy__(self, memo):
        return _Pool()

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._free = {}


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
        self._pad_buf: np.ndarray | None = None
        self._pool = _Pool()

    def own_buffers(self) -> None:
        """Scratch buffers of its own (a shard's copy must not write into the original's)."""
        self._pad_buf, self._pool = None, _Pool()

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
        k, s, f = self.kernel, self.stride, self.filters
        xh = x.transpose(0, 2, 3, 1)  # (N, H, W, C): contiguous when x is channels-last
        if top or bottom or left or right:
            xh = self._padded(xh, top, bottom, left, right)
        # (N, Ho, Wo, C, k, k) windows (a view); with stride 2 the trailing window of a
        # "valid" layer that does not fit is dropped by the [: ho] / [: wo] bounds.
        win = sliding_window_view(xh, (k, k), axis=(1, 2))[:, : (ho - 1) * s + 1 : s]
        win = win[:, :, : (wo - 1) * s + 1 : s]
        rows = self._columns(win, n, c, ho, wo)
        # One GEMM (N*Ho*Wo, k*k*C) @ (k*k*C, F) straight into channels-last output rows.
        dtype = np.result_type(x.dtype, self.W.dtype)
        y = self._pool.get("y", (n * ho * wo, f), dtype)
        np.matmul(rows, self._matrix().T, out=y)
        y += self.b
        return y.reshape(n, ho, wo, f).transpose(0, 3, 1, 2), (x.shape, rows)

    def _columns(self, win, n, c, ho, wo):
        """im2col, the one big copy, as an (N*Ho*Wo, k*k*C) matrix (columns in (di, dj, c)
        order, matching _matrix). Its innermost runs decide its speed: with several channels
        the rows are gathered position-major, each run a window row of k*C inputs (contiguous
        in a channels-last input); with one channel those runs would be k floats, so the
        matrix is gathered offset-major instead -- runs of Wo output positions -- and used
        transposed (BLAS takes either)."""
        k = self.kernel
        if c == 1:
            cols = self._pool.get("cols1", (k, k, n, ho, wo), win.dtype)
            np.copyto(cols, win[:, :, :, 0].transpose(3, 4, 0, 1, 2))
            return cols.reshape(k * k, n * ho * wo).T
        cols = self._pool.get("cols", (n, ho, wo, k, k, c), win.dtype)
        np.copyto(cols, win.transpose(0, 1, 2, 4, 5, 3))
        return cols.reshape(n * ho * wo, k * k * c)

    def _matrix(self):
        """W as the (F, k*k*C) matrix of the columns' (di, dj, c) order (a view when C = 1)."""
        f = self.filters
        return self.W.transpose(0, 2, 3, 1).reshape(f, -1)

    def _padded(self, xh, top, bottom, left, right):
        """xh (N, H, W, C) zero-padded, in a buffer kept per input shape (only the border
        stays zero; the interior is overwritten each call, and no cache refers to it)."""
        n, h, w, c = xh.shape
        shape = (n, h + top + bottom, w + left + right, c)
        buf = self._pad_buf
        if buf is None or buf.shape != shape or buf.dtype != xh.dtype:
            buf = self._pad_buf = np.zeros(shape, dtype=xh.dtype)
        buf[:, top : top + h, left : left + w] = xh
        return buf

    def backward(self, cache, dy):
        (n, c, h, w), rows = cache
        f, k, s = self.filters, self.kernel, self.stride
        _, (top, bottom, left, right), ho, wo = self._geometry((c, h, w))
        dtype = np.result_type(dy.dtype, self.W.dtype)
        # dy as channels-last rows (N*Ho*Wo, F): free when dy is channels-last (the layers
        # after a convolution keep its layout), one copy otherwise.
        dyh = dy.transpose(0, 2, 3, 1)
        if not dyh.flags.c_contiguous:
            buf = self._pool.get("dyh", dyh.shape, dy.dtype)
            np.copyto(buf, dyh)
            dyh = buf
        dyr = dyh.reshape(n * ho * wo, f)
        # Weight gradient: one GEMM against the forward's columns, in whichever orientation
        # reads them contiguously (1.3-2x faster than the other, bench/README.md): the
        # gathered (k*k, N*Ho*Wo) matrix itself for one channel, the rows otherwise; then
        # back to W's (F, C, k, k) layout.
        dwm = (rows.T @ dyr).T if c == 1 else dyr.T @ rows
        dw = dwm.reshape(f, k, k, c).transpose(0, 3, 1, 2)
        # The bias gradient as a product with ones (BLAS's GEMV): summing the long axis of the
        # narrow (N*Ho*Wo, F) rows with numpy's reduction took 20x longer.
        ones = self._pool.get("ones", (len(dyr),), dyr.dtype)
        ones.fill(1)
        grads = {"W": np.ascontiguousarray(dw), "b": ones @ dyr}
        if not self.need_input_grad:
            return None, grads
        # Input gradient without col2im's big column matrix: per kernel offset one small
        # GEMM (N*Ho*Wo, F) @ (F, C) -- that offset's share of every input -- added onto the
        # shifted (strided, for stride 2) window of the channels-last padded gradient. Each
        # addition runs over whole rows of Wo*C floats; an exact (N*Ho*Wo, k*k*C) column
        # gradient and col2im over its k*C-float runs took twice as long, and the padded-
        # plane GEMM of the channel-major layout three times (bench/README.md).
        hp, wp = h + top + bottom, w + left + right
        per_offset = np.ascontiguousarray(self.W.transpose(2, 3, 0, 1), dtype=dtype)
        dxp = self._pool.get("dxp", (n, hp, wp, c), dtype)
        dxp.fill(0)
        share = self._pool.get("share", (n * ho * wo, c), dtype)
        for di in range(k):
            for dj in range(k):
                np.matmul(dyr, per_offset[di, dj], out=share)
                view = dxp[:, di : di + (ho - 1) * s + 1 : s, dj : dj + (wo - 1) * s + 1 : s]
                np.add(view, share.reshape(n, ho, wo, c), out=view)
        return dxp[:, top : top + h, left : left + w].transpose(0, 3, 1, 2), grads
