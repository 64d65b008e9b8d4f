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
        xp = x
        if top or bottom or left or right:
            xp = self._padded(x, top, bottom, left, right)
        # (N, C, Ho, Wo, k, k) view; with stride 2 the trailing window of a "valid" layer
        # that does not fit is dropped by the [: ho] / [: wo] bounds.
        win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, : (ho - 1) * s + 1 : s]
        win = win[:, :, :, : (wo - 1) * s + 1 : s]
        # im2col, the one big copy: rows (c, di, dj) matching W's layout, columns (n, i, j).
        # Copied in that order, each innermost run is a row of output positions (contiguous
        # in the input when the stride is 1), not a k-element window row.
        cols = self._pool.get("cols", (c, k, k, n, ho, wo), x.dtype)
        np.copyto(cols, win.transpose(1, 4, 5, 0, 2, 3))
        cols = cols.reshape(c * k * k, n * ho * wo)
        # One GEMM (F, C*k*k) @ (C*k*k, N*Ho*Wo) -> (F, N, Ho, Wo), then one small copy to a
        # contiguous NCHW output (the next layers run fastest on contiguous arrays).
        dtype = np.result_type(x.dtype, self.W.dtype)
        yf = self._pool.get("yf", (f, n * ho * wo), dtype)
        np.matmul(self.W.reshape(f, c * k * k), cols, out=yf)
        yf += self.b[:, None]
        y = self._pool.get("y", (n, f, ho, wo), dtype)
        np.copyto(y, yf.reshape(f, n, ho, wo).transpose(1, 0, 2, 3))
        return y, (x.shape, cols)

    def _padded(self, x, top, bottom, left, right):
        """x zero-padded, in a buffer kept per input shape (only the border stays zero; the
        interior is overwritten each call, and no cache refers to the buffer)."""
        n, c, h, w = x.shape
        shape = (n, c, h + top + bottom, w + left + right)
        buf = self._pad_buf
        if buf is None or buf.shape != shape or buf.dtype != x.dtype:
            buf = self._pad_buf = np.zeros(shape, dtype=x.dtype)
        buf[:, :, top : top + h, left : left + w] = x
        return buf

    def backward(self, cache, dy):
        (n, c, h, w), cols = cache
        f, k, s = self.filters, self.kernel, self.stride
        _, (top, bottom, left, right), ho, wo = self._geometry((c, h, w))
        # dy as (F, N*Ho*Wo), the columns' order: one small copy.
        dyf = self._pool.get("dyf", (f, n, ho, wo), dy.dtype)
        np.copyto(dyf, dy.transpose(1, 0, 2, 3))
        dyf = dyf.reshape(f, n * ho * wo)
        # Weight gradient: one GEMM against the forward's columns, as cols @ dyf.T: with the
        # long shared dimension (N*Ho*Wo) this orientation runs 1.5-2x faster in OpenBLAS
        # than dyf @ cols.T (bench/README.md), and the small (C*k*k, F) result is transposed.
        dw = np.ascontiguousarray((cols @ dyf.T).T)
        grads = {"W": dw.reshape(self.W.shape), "b": dyf.sum(axis=1)}
        if not self.need_input_grad:
            return None, grads
        # Input gradient: column gradients in one GEMM, then col2im as k*k slice additions,
        # each over the whole batch and all channels. The column gradients are laid out like
        # the padded input, one (N, Hp, Wp) block per channel and offset (dy is zero-padded
        # to Hp x Wp first, so the extra positions carry zeros): for kernel offset (di, dj)
        # each channel's block then adds onto that channel's flat (N, Hp, Wp) gradient at
        # offset di*Wp + dj in one contiguous run. The zeros land on neighbouring rows,
        # planes or the spare tail and change nothing. Costs a wider GEMM, saves the
        # per-row ufunc calls of a row-by-row col2im (which took longer than the GEMM).
        hp, wp = h + top + bottom, w + left + right
        dtype = np.result_type(dy.dtype, self.W.dtype)
        if s == 1:
            plane = n * hp * wp
            dyw = self._pool.get("dyw", (f, n, hp, wp), dy.dtype, zero=True)
            np.copyto(dyw[:, :, :ho, :wo], dy.transpose(1, 0, 2, 3))
            dcols = self._pool.get("dcols", (c * k * k, plane), dtype)
            np.matmul(self.W.reshape(f, c * k * k).T, dyw.reshape(f, plane), out=dcols)
            dcols = dcols.reshape(c, k, k, plane)
            tail = (k - 1) * wp + k - 1
            flat = self._pool.get("dxc", (c, plane + tail), dtype)
            flat.fill(0)
            for di in range(k):
                for dj in range(k):
                    off = di * wp + dj
                    view = flat[:, off : off + plane]
                    np.add(view, dcols[:, di, dj], out=view)
            dxc = flat[:, :plane].reshape(c, n, hp, wp)[:, :, top : top + h, left : left + w]
            dx = self._pool.get("dx", (n, c, h, w), dtype)
            np.copyto(dx, dxc.transpose(1, 0, 2, 3))
            return dx, grads
        else:
            # Stride 2: the same additions on strided views of the padded input.
            dcols = self._pool.get("dcols", (c * k * k, n * ho * wo), dtype)
            np.matmul(self.W.reshape(f, c * k * k).T, dyf, out=dcols)
            dcols = dcols.reshape(c, k, k, n, ho, wo)
            dxp = self._pool.get("dxp2", (n, c, hp, wp), dtype)
            dxp.fill(0)
            for di in range(k):
                for dj in range(k):
                    view = dxp[:, :, di : di + (ho - 1) * s + 1 : s, dj : dj + (wo - 1) * s + 1 : s]
                    np.add(view, dcols[:, di, dj].transpose(1, 0, 2, 3), out=view)
        if top or bottom or left or right:
            return dxp[:, :, top : top + h, left : left + w], grads
        return dxp, grads
