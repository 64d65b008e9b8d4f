"""Bilinear resampling of a batch of images at given source coordinates (zeros outside): the
one sampler behind rotation, scaling and elastic distortion (netlib/perturb.py, augment.py)."""

from __future__ import annotations

import numpy as np


def bilinear(images: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """images (n, H, W); sy, sx the source row/column of every output pixel, (H, W) for the
    whole batch or (n, H, W) per image. Returns float64 (n, H, W)."""
    n, h, w = images.shape
    y0, x0 = np.floor(sy).astype(np.intp), np.floor(sx).astype(np.intp)
    fy, fx = sy - y0, sx - x0
    per_image = sy.ndim == 3
    rows = np.arange(n)[:, None, None] if per_image else None
    out = np.zeros((n, h, w))
    for dy, dx, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):  # fmt: skip
        yi, xi = y0 + dy, x0 + dx
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        yc, xc = np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)
        vals = images[rows, yc, xc] if per_image else images[:, yc, xc]
        out += np.where(inside, weight, 0.0) * vals
    return out
