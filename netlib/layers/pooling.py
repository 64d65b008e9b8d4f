"""MaxPool2D and AvgPool2D over NCHW inputs: size 2 or 3, stride = size, no padding.

Rows and columns left over when H or W is not a multiple of the size are dropped (as in
"valid" pooling in every framework) and get zero gradient. Both are vectorised: max-pool works
on the size*size strided views of the input (one per window offset, a loop of at most 9 whole-
batch operations); average pooling reshapes the cropped input to (N, C, Ho, size, Wo, size) --
a view when the input is contiguous, one copy otherwise -- and its backward broadcasts.

Max-pool routes each output's gradient to one input, its window's argmax; ties go to the first
maximum in row-major order inside the window (numpy's argmax), so routing is deterministic.
"""

from __future__ import annotations

import numpy as np

from netlib.layers.base import Layer, ShapeError, empty_images, is_channels_last, require_rank

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

    def _offsets(self, x):
        """The size*size strided views x[..., di::s, dj::s] (no copies), row-major order."""
        s = self.size
        ho, wo = x.shape[2] // s, x.shape[3] // s
        rows, cols = ho * s, wo * s
        offsets = [(di, dj) for di in range(s) for dj in range(s)]
        return [x[:, :, di : di + rows : s, dj : dj + cols : s] for di, dj in offsets]

    def forward(self, x, train):
        # size*size elementwise passes over strided views, each over the whole batch: no
        # gathered copy of the windows. The argmax (a window offset) is tracked in the same
        # scan: an offset takes over only when strictly greater, so the first maximum in
        # row-major order wins ties.
        # Every array here keeps x's memory layout (empty_like), so each pass runs over
        # the same order in all its operands (channels-last after a convolution).
        views = self._offsets(x)
        y = np.empty_like(views[0])
        np.copyto(y, views[0])
        idx = np.zeros_like(y, dtype=np.uint8)
        gt = np.empty_like(y, dtype=bool)
        step = np.empty_like(y, dtype=np.uint8)
        for k, v in enumerate(views[1:], start=1):
            np.greater(v, y, out=gt)
            # idx = k where gt, as uint8 arithmetic (idx += gt * (k - idx), wrapping): a
            # masked copy (copyto where=) is several times slower on random masks.
            np.subtract(np.uint8(k), idx, out=step)
            np.multiply(step, gt.view(np.uint8), out=step)
            np.add(idx, step, out=idx)
            np.maximum(y, v, out=y)
        return y, (x.shape, idx)

    def backward(self, cache, dy):
        if not self.need_input_grad:
            return None, {}
        shape, idx = cache
        s = self.size
        ho, wo = idx.shape[2:]
        if is_channels_last(idx) != is_channels_last(dy):  # one small copy to idx's layout
            same = np.empty_like(idx, dtype=dy.dtype)
            np.copyto(same, dy)
            dy = same
        # Every input of the cropped region is written below; only left-over rows/columns
        # (never routed to) need zeros.
        covered = (shape[2], shape[3]) == (ho * s, wo * s)
        dx = empty_images(shape, dy.dtype, is_channels_last(idx), zero=not covered)
        # One strided write per window offset (size*size of them): each output's gradient
        # goes to its argmax, every other input of the window gets zero.
        hit = np.empty_like(idx, dtype=bool)
        for k in range(s * s):
            di, dj = divmod(k, s)
            np.equal(idx, k, out=hit)
            np.multiply(dy, hit, out=dx[:, :, di : di + ho * s : s, dj : dj + wo * s : s])
        return dx, {}

    # ReLU then max-pool, computed as max-pool then ReLU: the same numbers (ReLU keeps every
    # positive input as it is, and a window whose maximum is not positive passes no
    # gradient either way), with the activation's two passes over a quarter of the data.
    def forward_relu(self, z):
        """maxpool(relu(z)) and its cache, for a LayerStack fusing the pair."""
        y, (shape, idx) = self.forward(z, True)
        np.maximum(y, 0, out=y)
        return y, (shape, idx, y)

    def backward_relu(self, cache, dy):
        """d(loss)/dz for forward_relu's cache: the ReLU's mask on the small side."""
        shape, idx, y = cache
        return self.backward((shape, idx), np.multiply(dy, y > 0))


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
