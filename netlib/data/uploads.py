"""User uploads (bytes in memory, as st.file_uploader gives them) turned into a Dataset.

Formats: an IDX image file plus an IDX label file (raw or .gz), a Kaggle-style CSV
(`label,pixel0,...`, header optional, may be gzipped) or an .npz holding `x`/`y` or
`images`/`labels`. The format comes from the file name, else from its first bytes.
Every failure is a DataError whose message starts with the file name.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from netlib.data.checks import as_pair, check_declared_shape
from netlib.data.csvfile import byte_pieces, read_csv_pieces
from netlib.data.dataset import DataError, Dataset
from netlib.data.idx import gunzip, gunzip_idx, is_gzip, iter_gunzip, read_idx
from netlib.data.npz import ZIP_MAGIC, read_npz
from netlib.data.split import stratified_split

MAX_UPLOAD_BYTES = 200 * 2**20
_NPZ_KEYS = (("x", "y"), ("images", "labels"))


def parse_upload(
    name: str, data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[np.ndarray, np.ndarray]:
    """One uploaded file (CSV or .npz) -> (uint8 images (N, H, W), int64 labels (N,))."""
    try:
        kind, plain = _open(name, data, max_bytes)
        if kind == "npz":
            return _from_npz(read_npz(plain(), max_bytes=max_bytes, check=_declared))
        if kind == "csv":
            return read_csv_pieces(plain.pieces())
        if kind == "npy":
            raise DataError("a .npy file holds one array; save images and labels with np.savez")
        raise DataError(
            "an IDX file holds only images or only labels; upload the images file and the "
            "labels file together"
        )
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None


def parse_idx_pair(
    images: tuple[str, bytes], labels: tuple[str, bytes], *, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[np.ndarray, np.ndarray]:
    """An IDX images file and an IDX labels file, each given as (name, bytes)."""
    x = _read_idx_upload(*images, max_bytes)
    y = _read_idx_upload(*labels, max_bytes)
    return as_pair(x, y, f"{images[0]} + {labels[0]}")


def parse_uploads(
    files: Sequence[tuple[str, bytes]], *, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[np.ndarray, np.ndarray]:
    """One CSV/.npz, or an IDX pair in either order (the 1-D one is taken as the labels)."""
    if len(files) == 1:
        return parse_upload(*files[0], max_bytes=max_bytes)
    if len(files) != 2:
        raise DataError(f"upload one CSV or .npz file, or two IDX files; got {len(files)} files")
    arrays = [_read_idx_upload(n, d, max_bytes) for n, d in files]
    names = [n for n, _ in files]
    if arrays[0].ndim == 1 and arrays[1].ndim != 1:
        arrays.reverse()
        names.reverse()
    if arrays[1].ndim != 1 or arrays[0].ndim == 1:
        raise DataError(f"{names[0]} and {names[1]}: need one image file and one 1-D label file")
    return as_pair(arrays[0], arrays[1], f"{names[0]} + {names[1]}")


def dataset_from_upload(
    images: np.ndarray,
    labels: np.ndarray,
    name: str = "upload",
    test_fraction: float = 1 / 6,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
) -> Dataset:
    """Make a Dataset; without a separate test upload, a seeded stratified split is held out."""
    x, y = as_pair(images, labels, "training")
    if test is not None:
        x_test, y_test = as_pair(*test, "test")
        if x_test.shape[1:] != x.shape[1:]:
            raise DataError(
                f"test images are {x_test.shape[1:]} but training images are {x.shape[1:]}"
            )
    else:
        train_idx, test_idx = stratified_split(y, test_fraction, seed)
        x, y, x_test, y_test = x[train_idx], y[train_idx], x[test_idx], y[test_idx]
    k = int(max(y.max(), y_test.max())) + 1
    if class_names is None:
        class_names = [str(i) for i in range(k)]
    if len(class_names) < k:
        raise DataError(f"labels go up to {k - 1} but only {len(class_names)} class names given")
    return Dataset(name, x, y, x_test, y_test, class_names=tuple(str(c) for c in class_names))


class _Gzipped:
    """A gzipped upload not yet inflated: CSV streams its pieces, the other formats inflate
    it whole (within max_bytes) when called, and IDX stops where its header says it ends."""

    def __init__(self, data: bytes, max_bytes: int) -> None:
        self.data, self.max_bytes = data, max_bytes

    def pieces(self):
        return iter_gunzip(self.data, self.max_bytes)

    def __call__(self) -> bytes:
        return gunzip(self.data, self.max_bytes)

    def idx(self) -> bytes:
        return gunzip_idx(self.data, self.max_bytes)


def _open(name: str, data: bytes, max_bytes: int):
    """Check size and decide the format ('npz', 'npy', 'csv' or 'idx') from the name and the
    first bytes; gzip is only peeked at here (a _Gzipped), plain bytes are wrapped the same way."""
    data = bytes(data)
    if len(data) == 0:
        raise DataError("the file is empty")
    if len(data) > max_bytes:
        raise DataError(
            f"the file is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit"
        )
    lower = name.lower()
    if is_gzip(data):
        head = next(iter_gunzip(data, max_bytes), b"")[:64]
        if not head:
            gunzip(data, max_bytes)  # names a truncated or corrupt stream, if it is one
            raise DataError("the file is empty once decompressed")
        return _kind(lower.removesuffix(".gz"), head), _Gzipped(data, max_bytes)
    return _kind(lower, data[:64]), _Plain(data)


class _Plain:
    """Uncompressed upload bytes, with _Gzipped's three ways to read them (none copies)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __call__(self) -> bytes:
        return self.data

    def pieces(self):
        return byte_pieces(self.data)

    def idx(self) -> bytes:
        return self.data


def _kind(lower: str, head: bytes) -> str:
    if lower.endswith(".npz") or (lower.endswith(".zip") and head.startswith(ZIP_MAGIC)):
        return "npz"
    if lower.endswith((".csv", ".txt")):
        return "csv"
    if lower.endswith(".npy") or head.startswith(b"\x93NUMPY"):
        return "npy"
    if "idx" in lower or "ubyte" in lower or head[:2] == b"\0\0":
        return "idx"
    return "npz" if head.startswith(ZIP_MAGIC) else "csv"


def _read_idx_upload(name: str, data: bytes, max_bytes: int) -> np.ndarray:
    try:
        kind, plain = _open(name, data, max_bytes)
        if kind != "idx":
            raise DataError(f"expected an IDX file, but this looks like a {kind} file")
        return read_idx(plain.idx(), max_bytes=max_bytes)
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None


def _declared(name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Refuse an .npz member whose header declares more images or pixels than allowed."""
    check_declared_shape(shape, f"the .npz member {name!r}")


def _from_npz(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    for xk, yk in _NPZ_KEYS:
        if xk in arrays and yk in arrays:
            return as_pair(arrays[xk], arrays[yk], ".npz")
    found = ", ".join(sorted(arrays)) or "nothing"
    raise DataError(f"the .npz must hold arrays x and y (or images and labels); found {found}")
