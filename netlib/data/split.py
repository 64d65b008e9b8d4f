"""Seeded, stratified train/test split, so every class is represented in both halves."""

from __future__ import annotations

import math

import numpy as np

from netlib.data.dataset import DataError


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted (train_idx, test_idx); the test size is ceil(N * fraction) like sklearn.

    Each class gives its share of the test set (largest remainder), but always keeps at least
    one example for training when it can.
    """
    labels = np.asarray(labels)
    n = len(labels)
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test fraction must be between 0 and 1, got {test_fraction}")
    if n < 2:
        raise DataError(f"need at least 2 images to hold some out for testing, got {n}")
    n_test = min(max(math.ceil(n * test_fraction - 1e-9), 1), n - 1)
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n_test / n
    take = np.minimum(np.floor(quota).astype(np.int64), np.maximum(counts - 1, 0))
    # Hand out the remaining places by largest remainder, then to any class with room.
    order = np.lexsort((np.arange(len(classes)), -(quota - np.floor(quota))))
    for room_rule in (lambda c: take[c] < counts[c] - 1, lambda c: take[c] < counts[c]):
        for c in order:
            if take.sum() >= n_test:
                break
            if room_rule(c):
                take[c] += 1
    rng = np.random.default_rng(seed)
    test = []
    for c, k in zip(classes, take, strict=True):
        idx = np.flatnonzero(labels == c)
        test.append(rng.permutation(idx)[:k])
    test_idx = np.sort(np.concatenate(test))
    train_idx = np.setdiff1d(np.arange(n), test_idx)
    return train_idx, test_idx
