"""Bilinear resampling of a batch of images at given source coordinates (zeros outside): the
one sampler behind rotation, scaling and elastic distortion (netlib/perturb.py, augment.py).
float32 and flat-index gathers: a batch of 64 MNIST images in about a millisecond."""

from __future__ import annotations

import numpy as np


def rotation_source(shape, radians, scale=1.0) -> tuple[np.ndarray, np.ndarray]:
    """Where each output pixel reads its input when the image is turned counter-clockwise by
    `radians` and scaled by `scale` about its centre (the inverse map). radians and scale are
    numbers or (n, 1, 1) arrays (one per image); the result broadcasts to (…, H, W)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dy, dx = yy - (h - 1) / 2, xx - (w - 1) / 2
    cos, sin = np.cos(radians), np.sin(radians)
    sy = (cos * dy + sin * dx) / scale + (h - 1) / 2
    sx = (-sin * dy + cos * dx) / scale + (w - 1) / 2
    return sy, sx


def taps(sy: np.ndarray, sx: np.ndarray, h: int, w: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The four (flat index, weight) pairs of bilinear interpolation at (sy, sx) in an H x W
    image; a neighbour outside the image weighs 0 (its index is clipped inside)."""
    sy, sx = np.asarray(sy, np.float32), np.asarray(sx, np.float32)
    y0f, x0f = np.floor(sy), np.floor(sx)
    fy, fx = sy - y0f, sx - x0f
    y0, x0 = y0f.astype(np.intp), x0f.astype(np.intp)
    out = []
    for dy, dx, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):  # fmt: skip
        yi, xi = y0 + dy, x0 + dx
        weight = weight * ((yi >= 0) & (yi < h) & (xi >= 0) & (xi < w))
        out.append((np.clip(yi, 0, h - 1) * w + np.clip(xi, 0, w - 1), weight))
    return out


def bilinear(images: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """images (n, H, W); sy, sx the source row/column of every output pixel, (H, W) for the
    whole batch or (n, H, W) per image. Returns float32 (n, H, W)."""
    n, h, w = images.shape
    flat = np.ascontiguousarray(images, np.float32).reshape(n, h * w)
    per_image = np.ndim(sy) == 3
    out = np.zeros((n, h * w), np.float32)
    for index, weight in taps(sy, sx, h, w):
        if per_image:
            vals = np.take_along_axis(flat, index.reshape(n, -1), axis=1)
            out += weight.reshape(n, -1) * vals
        else:
            out += weight.reshape(1, -1) * flat[:, index.ravel()]
    return out.reshape(n, h, w)
