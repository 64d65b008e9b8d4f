"""BatchNorm: normalise over features for (N, F) inputs, over channels for (N, C, H, W).

Training normalises with the batch's mean and (biased) variance and updates the running
statistics PyTorch's way: ``running = (1 - momentum) * running + momentum * batch``, with the
unbiased batch variance. Eval mode normalises with the running statistics, so its output does
not depend on the rest of the batch. ``gamma`` and ``beta`` are parameters; the running mean
and variance are buffers (``buffers()``), saved with a model but not touched by an optimizer.
"""

from __future__ import annotations

import numpy as np

from netlib.layers.base import Layer, ShapeError


class BatchNorm(Layer):
    kind = "batchnorm"

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        if not 0.0 < float(momentum) <= 1.0:
            raise ValueError(f"BatchNorm momentum must be in (0, 1], got {momentum}")
        if not float(eps) > 0.0:
            raise ValueError(f"BatchNorm eps must be positive, got {eps}")
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.gamma: np.ndarray | None = None
        self.beta: np.ndarray | None = None
        self.running_mean: np.ndarray | None = None
        self.running_var: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"BatchNorm(momentum={self.momentum}, eps={self.eps})"

    def output_shape(self, input_shape):
        shape = tuple(int(d) for d in input_shape)
        if len(shape) not in (1, 3) or any(d <= 0 for d in shape):
            raise ShapeError(
                f"{self!r} needs (features,) or (channels, height, width) per sample, "
                f"got input shape {shape}"
            )
        return shape

    def build(self, input_shape, rng=None, dtype="float32"):
        shape = self.output_shape(input_shape)
        width = shape[0]
        self.gamma = np.ones(width, dtype=dtype)
        self.beta = np.zeros(width, dtype=dtype)
        self.running_mean = np.zeros(width, dtype=dtype)
        self.running_var = np.ones(width, dtype=dtype)
        return shape

    def params(self):
        return {"gamma": self.gamma, "beta": self.beta}

    def buffers(self) -> dict[str, np.ndarray]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    @staticmethod
    def _axes(x):
        return (0,) if x.ndim == 2 else (0, 2, 3)

    @staticmethod
    def _per_channel(v, ndim):
        return v if ndim == 2 else v[:, None, None]

    def forward(self, x, train):
        axes = self._axes(x)
        if train:
            mean = x.mean(axis=axes)
            centred = x - self._per_channel(mean, x.ndim)
            var = np.mean(centred * centred, axis=axes)
            count = x.size // mean.size
            unbiased = var * (count / (count - 1)) if count > 1 else var
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * mean
            self.running_var *= 1.0 - m
            self.running_var += m * unbiased
        else:
            centred = x - self._per_channel(self.running_mean.astype(x.dtype), x.ndim)
            var = self.running_var.astype(x.dtype)
        inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.eps))
        xhat = centred * self._per_channel(inv_std, x.ndim)
        y = xhat * self._per_channel(self.gamma, x.ndim)
        y += self._per_channel(self.beta, x.ndim)
        return y, (xhat, inv_std, train)

    def backward(self, cache, dy):
        xhat, inv_std, train = cache
        axes = self._axes(dy)
        grads = {"gamma": np.sum(dy * xhat, axis=axes), "beta": dy.sum(axis=axes)}
        if not self.need_input_grad:
            return None, grads
        ndim = dy.ndim
        scale = self._per_channel(self.gamma * inv_std, ndim)
        if not train:
            # Running statistics are constants: the layer is an affine map per channel.
            return dy * scale, grads
        # Batch statistics depend on every input: the usual compact form,
        # dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)).
        count = dy.size // grads["beta"].size
        mean_dy = self._per_channel(grads["beta"] / count, ndim)
        mean_dyx = self._per_channel(grads["gamma"] / count, ndim)
        dx = dy - mean_dy
        dx -= xhat * mean_dyx
        dx *= scale
        return dx, grads
