"""Flatten: (N, C, H, W) (or any rank) -> (N, C*H*W), in C order; backward restores the shape."""

from __future__ import annotations

import math

from netlib.layers.base import Layer


class Flatten(Layer):
    kind = "flatten"

    def output_shape(self, input_shape):
        return (math.prod(int(d) for d in input_shape),)

    def forward(self, x, train):
        # A view when x is C-contiguous; a copy otherwise (e.g. a convolution's NHWC-ordered
        # output seen as NCHW), which is the one place the dense layer's layout is made.
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, cache, dy):
        return (dy.reshape(cache) if self.need_input_grad else None), {}
