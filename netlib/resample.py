"""Bilinear resampling of a batch of images at given source coordinates (zeros outside): the
one sampler behind rotation, scaling and elastic distortion (netlib/perturb.py, augment.py).
float32 and flat-index gathers: a batch of 64 MNIST images in about a millisecond."""

from __future__ import annotations

import numpy as np


def bilinear(images: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """images (n, H, W); sy, sx the source row/column of every output pixel, (H, W) for the
    whole batch or (n, H, W) per image. Returns float32 (n, H, W)."""
    n, h, w = images.shape
    flat = np.ascontiguousarray(images, np.float32).reshape(n, h * w)
    sy, sx = np.asarray(sy, np.float32), np.asarray(sx, np.float32)
    y0f, x0f = np.floor(sy), np.floor(sx)
    fy, fx = sy - y0f, sx - x0f
    y0, x0 = y0f.astype(np.intp), x0f.astype(np.intp)
    per_image = sy.ndim == 3
    out = np.zeros((n, h * w), np.float32)
    for dy, dx, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):  # fmt: skip
        yi, xi = y0 + dy, x0 + dx
        weight = weight * ((yi >= 0) & (yi < h) & (xi >= 0) & (xi < w))
        index = np.clip(yi, 0, h - 1) * w + np.clip(xi, 0, w - 1)
        if per_image:
            vals = np.take_along_axis(flat, index.reshape(n, -1), axis=1)
            out += weight.reshape(n, -1) * vals
        else:
            out += weight.reshape(1, -1) * flat[:, index.ravel()]
    return out.reshape(n, h, w)
