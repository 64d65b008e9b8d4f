"""A small learnable stand-in for MNIST, generated in the test: each class is a bar or blob."""

import numpy as np

from netlib.data.dataset import Dataset


def synthetic_dataset(
    n_train=600, n_test=200, size=12, classes=10, seed=0, noise=40, name="synthetic"
) -> Dataset:
    rng = np.random.default_rng(seed)
    templates = np.zeros((classes, size, size))
    for k in range(classes):
        r, c = divmod(k, 4)
        templates[k, 2 + 2 * r : 5 + 2 * r, :] = 200  # a horizontal band per row of classes
        templates[k, :, 1 + 3 * c : 3 + 3 * c] += 150  # and a vertical band per column

    def make(n):
        y = np.arange(n) % classes
        rng.shuffle(y)
        x = templates[y] + rng.normal(0, noise, size=(n, size, size))
        return np.clip(x, 0, 255).astype(np.uint8), y.astype(np.int64)

    xtr, ytr = make(n_train)
    xte, yte = make(n_test)
    return Dataset(name, xtr, ytr, xte, yte, tuple(str(i) for i in range(classes)))
