"""Data sets: one registry that returns uint8 images (N, H, W), integer labels and class names.

Names are imported on first use (netlib/lazy.py says why).
"""

from netlib.lazy import lazy_exports

_EXPORTS = {
    "DATASETS": "netlib.data.catalog",
    "DataError": "netlib.data.dataset",
    "Dataset": "netlib.data.dataset",
    "DatasetInfo": "netlib.data.catalog",
    "dataset_from_upload": "netlib.data.uploads",
    "is_cached": "netlib.data.catalog",
    "load_dataset": "netlib.data.catalog",
    "parse_upload": "netlib.data.uploads",
    "parse_uploads": "netlib.data.uploads",
    "read_idx": "netlib.data.idx",
    "write_idx": "netlib.data.idx",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
