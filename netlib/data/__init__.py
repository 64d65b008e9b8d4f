"""Data sets: one registry that returns uint8 images (N, H, W), integer labels and class names."""

from netlib.data.catalog import DATASETS, DatasetInfo, is_cached, load_dataset
from netlib.data.dataset import DataError, Dataset
from netlib.data.idx import read_idx, write_idx
from netlib.data.uploads import dataset_from_upload, parse_upload, parse_uploads

__all__ = [
    "DATASETS",
    "DataError",
    "Dataset",
    "DatasetInfo",
    "dataset_from_upload",
    "is_cached",
    "load_dataset",
    "parse_upload",
    "parse_uploads",
    "read_idx",
    "write_idx",
]
