"""The one shape every data source returns: the engine and pages never care where data came from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """Input data is unusable; the message says exactly what is wrong and where."""


@dataclass(frozen=True)
class Dataset:
    name: str
    train_images: np.ndarray  # uint8 (N, H, W)
    train_labels: np.ndarray  # int64 (N,)
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]
    max_value: int = 255  # 255 for MNIST-like, 16 for the 8x8 digits

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.train_images.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_inputs(self) -> int:
        h, w = self.image_shape
        return h * w
