"""Data sets: one registry that returns uint8 images (N, H, W), integer labels and class names."""

from netlib.data.dataset import DataError, Dataset

__all__ = ["Dataset", "DataError"]
