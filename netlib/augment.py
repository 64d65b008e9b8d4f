"""Seeded augmentation beyond pixel shifts (issue 21): rotation, scaling, elastic distortion
(Simard, Steinkraus & Platt 2003, the trick behind 0.7 % MLP error on MNIST) and Gaussian noise.

Each works on a batch of flat rows (b, H*W) in [0, 1] with the caller's generator, so the same
seed gives the same images; everything is vectorised over the batch (the elastic field's
Gaussian smoothing is separable: a few shifted adds per axis).
"""

from __future__ import annotations

import numpy as np

from netlib.resample import bilinear, rotation_source, taps


def affine(x: np.ndarray, shape, rng, degrees: float = 0.0, scale: float = 0.0) -> np.ndarray:
    """Each image rotated by a uniform angle in ±degrees and scaled by a uniform factor in
    1 ± scale, about its centre."""
    b = len(x)
    t = np.deg2rad(rng.uniform(-degrees, degrees, b)).astype(np.float32)[:, None, None]
    s = rng.uniform(1 - scale, 1 + scale, b).astype(np.float32)[:, None, None]
    sy, sx = rotation_source(shape, t, s)
    return bilinear(x.reshape(b, *shape), sy, sx).reshape(b, -1).astype(x.dtype)


def _smooth(field: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of (b, H, W) along both image axes (zero padding), separable: one
    shifted add of a view per tap and axis."""
    radius = max(1, int(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).astype(np.float32)
    taps /= taps.sum()
    b, h, w = field.shape
    padded = np.pad(field, ((0, 0), (radius, radius), (0, 0)))
    rows = np.zeros_like(field)
    for i, k in enumerate(taps):
        rows += k * padded[:, i : i + h, :]
    padded = np.pad(rows, ((0, 0), (0, 0), (radius, radius)))
    out = np.zeros_like(field)
    for i, k in enumerate(taps):
        out += k * padded[:, :, i : i + w]
    return out


def elastic(x: np.ndarray, shape, rng, alpha: float = 34.0, sigma: float = 4.0) -> np.ndarray:
    """Simard's elastic distortion: a random displacement field (uniform in ±1 per pixel),
    smoothed by a Gaussian of std sigma and scaled by alpha (pixels). 34 and 4 are Simard's
    values for 28x28 digits."""
    b = len(x)
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dy = _smooth(rng.random((b, h, w), np.float32) * 2 - 1, sigma) * np.float32(alpha)
    dx = _smooth(rng.random((b, h, w), np.float32) * 2 - 1, sigma) * np.float32(alpha)
    return bilinear(x.reshape(b, h, w), yy[None] + dy, xx[None] + dx).reshape(b, -1).astype(x.dtype)


def noise(x: np.ndarray, rng, sigma: float) -> np.ndarray:
    """Gaussian pixel noise of std sigma, clipped to [0, 1]."""
    noisy = x + rng.standard_normal(x.shape, np.float32) * np.float32(sigma)
    return np.clip(noisy, 0.0, 1.0, out=noisy).astype(x.dtype, copy=False)


class WarpBank:
    """`size` random warps (rotation, scaling and elastic distortion together) drawn once from
    the generator as gather tables: applying one to a batch is four flat gathers and
    multiply-adds, cheaper than the training step it feeds (bench/bench_augment.py), where
    drawing a fresh warp per image costs several steps. Redraw the bank (e.g. each epoch) for
    new warps; the same generator state gives the same bank and the same images."""

    def __init__(self, shape, rng, size: int = 512, degrees: float = 0.0, scale: float = 0.0,
                 alpha: float = 0.0, sigma: float = 4.0) -> None:  # fmt: skip
        h, w = shape
        self.shape, self.size = (h, w), int(size)
        t = np.deg2rad(rng.uniform(-degrees, degrees, size)).astype(np.float32)[:, None, None]
        s = rng.uniform(1 - scale, 1 + scale, size).astype(np.float32)[:, None, None]
        sy, sx = rotation_source(shape, t, s)
        if alpha:
            sy = sy + _smooth(rng.random((size, h, w), np.float32) * 2 - 1, sigma) * alpha
            sx = sx + _smooth(rng.random((size, h, w), np.float32) * 2 - 1, sigma) * alpha
        index, weight = zip(*taps(sy, sx, h, w), strict=True)
        self.index = np.stack(index, axis=1).reshape(size, 4, h * w).astype(np.int32)
        self.weight = np.stack(weight, axis=1).reshape(size, 4, h * w).astype(np.float32)

    def apply(self, x: np.ndarray, rng) -> np.ndarray:
        """Each row of x (b, H*W) through a warp of the bank chosen at random."""
        b, pixels = x.shape
        pick = rng.integers(0, self.size, b)
        flat = np.ascontiguousarray(x, np.float32).ravel()
        base = (np.arange(b, dtype=np.int64) * pixels)[:, None]
        out = np.zeros((b, pixels), np.float32)
        for k in range(4):
            out += self.weight[pick, k] * flat.take(self.index[pick, k] + base)
        return out.astype(x.dtype, copy=False)
