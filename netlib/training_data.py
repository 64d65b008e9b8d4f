"""Turn a Dataset into the float matrices the network trains on, with a seeded validation split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlib.data.dataset import Dataset


@dataclass(frozen=True)
class PreparedData:
    x_train: np.ndarray  # (N, H*W) in [0, 1], config dtype
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    num_classes: int
    val_index: np.ndarray  # which training images were held out (for the Inspect page)


def scale_images(images: np.ndarray, max_value: int, dtype: str) -> np.ndarray:
    """uint8 (N, H, W) -> (N, H*W) floats in [0, 1]: every source project divided by its max."""
    flat = images.reshape(len(images), -1)
    return (flat.astype(dtype) * np.asarray(1.0 / max_value, dtype=dtype)).astype(dtype)


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation index split; validation never empty when a fraction is asked for."""
    rng = np.random.default_rng([seed, 1])
    perm = rng.permutation(n)
    n_val = int(round(n * val_fraction))
    if val_fraction > 0:
        n_val = min(max(n_val, 1), n - 1)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def prepare(ds: Dataset, val_fraction: float, seed: int, dtype: str = "float32") -> PreparedData:
    train_idx, val_idx = split_indices(len(ds.train_labels), val_fraction, seed)
    x_all = scale_images(ds.train_images, ds.max_value, dtype)
    y_all = np.asarray(ds.train_labels, dtype=np.int64)
    return PreparedData(
        x_train=x_all[train_idx],
        y_train=y_all[train_idx],
        x_val=x_all[val_idx],
        y_val=y_all[val_idx],
        x_test=scale_images(ds.test_images, ds.max_value, dtype),
        y_test=np.asarray(ds.test_labels, dtype=np.int64),
        image_shape=ds.image_shape,
        num_classes=ds.num_classes,
        val_index=val_idx,
    )


def random_shift(x: np.ndarray, shape: tuple[int, int], k: int, rng) -> np.ndarray:
    """Translate each flattened image by up to k pixels (zero fill): cheap augmentation for MLPs.

    Image i reads pixel (r + dy_i - k, c + dx_i - k) of its input, zero where that falls
    outside, with dy_i, dx_i drawn uniformly from 0..2k.
    """
    b = len(x)
    h, w = shape
    dy = rng.integers(0, 2 * k + 1, size=b)
    dx = rng.integers(0, 2 * k + 1, size=b)
    src = x.reshape(b, h, w)
    out = np.zeros_like(src)
    # One block copy per offset pair ((2k+1)^2 of them) rather than a gather through
    # per-pixel index arrays over a padded copy: same result, a fraction of the memory traffic.
    for oy in range(-k, k + 1):
        for ox in range(-k, k + 1):
            sel = np.flatnonzero((dy == oy + k) & (dx == ox + k))
            if len(sel) == 0:
                continue
            out[sel, max(0, -oy) : h - max(0, oy), max(0, -ox) : w - max(0, ox)] = src[
                sel, max(0, oy) : h - max(0, -oy), max(0, ox) : w - max(0, -ox)
            ]
    return out.reshape(b, h * w)
