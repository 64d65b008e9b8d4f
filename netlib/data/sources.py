"""Where each data set's bytes live: bundled .npz files, a local IDX folder, or the download cache.

Every path ends in the same four arrays (train images/labels, test images/labels), checked
by netlib.data.checks, so the registry only has to attach names.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from netlib.data.checks import as_pair
from netlib.data.dataset import DataError
from netlib.data.download import Progress, RemoteFile, fetch
from netlib.data.idx import DEFAULT_MAX_BYTES, gunzip_idx, idx_header_size, is_gzip, read_idx
from netlib.data.npz import read_npz

HERE = Path(__file__).resolve().parent
MNIST_SAMPLE_FILE = HERE / "mnist_sample.npz"
DIGITS_FILE = HERE / "digits_8x8.npz"
PARTS = ("train_images", "train_labels", "test_images", "test_labels")
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

MNIST_FILES: dict[str, RemoteFile] = {
    "train_images": RemoteFile(
        "train-images-idx3-ubyte.gz",
        sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        size=9_912_422,
    ),
    "train_labels": RemoteFile(
        "train-labels-idx1-ubyte.gz",
        sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        size=28_881,
    ),
    "test_images": RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        size=1_648_877,
    ),
    "test_labels": RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        size=4_542,
    ),
}
FASHION_FILES: dict[str, RemoteFile] = {
    "train_images": RemoteFile(
        "train-images-idx3-ubyte.gz", md5="8d4fb7e6c68d591d4c3dfef9ec88bf0d", size=26_421_880
    ),
    "train_labels": RemoteFile(
        "train-labels-idx1-ubyte.gz", md5="25c81989df183df01b3e8a0aad5dffbe", size=29_515
    ),
    "test_images": RemoteFile(
        "t10k-images-idx3-ubyte.gz", md5="bef4ecab320f06d8554ea6380940ec79", size=4_422_102
    ),
    "test_labels": RemoteFile(
        "t10k-labels-idx1-ubyte.gz", md5="bb300cfdad3c16e7a12a480ee83cd310", size=5_148
    ),
}
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": (
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
}


def load_bundled(path: Path) -> Arrays:
    """Read a committed .npz holding train_images, train_labels, test_images, test_labels."""
    try:
        arrays = read_npz(Path(path).read_bytes())
    except OSError as exc:
        raise DataError(f"the bundled file {Path(path).name} is missing: {exc}") from None
    missing = [p for p in PARTS if p not in arrays]
    if missing:
        raise DataError(f"the bundled file {Path(path).name} lacks {', '.join(missing)}")
    return _checked(*(arrays[p] for p in PARTS))


def find_file(folder: Path, name: str) -> Path | None:
    """The file in folder, gzipped ("x.gz") or raw ("x"), or None."""
    for candidate in (name, name.removesuffix(".gz")):
        if (Path(folder) / candidate).is_file():
            return Path(folder) / candidate
    return None


def load_idx_folder(
    folder: Path | str, files: Mapping[str, RemoteFile] = MNIST_FILES, verify: bool = False
) -> Arrays:
    """Read the four IDX files from a local folder; with verify, insist on the known hashes."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataError(f"the MNIST folder {folder} does not exist")
    paths = {}
    for part in PARTS:
        path = find_file(folder, files[part].name)
        if path is None:
            name = files[part].name
            raise DataError(f"{folder} has no {name} (or its uncompressed form)")
        paths[part] = path
    return _checked(*(_read(paths[p], files[p] if verify else None) for p in PARTS))


def load_remote(
    files: Mapping[str, RemoteFile],
    mirrors: Sequence[str],
    cache_dir: Path,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Arrays:
    """Read the four files from cache_dir, downloading (and verifying) any that are missing."""
    out = []
    for part in PARTS:
        remote = files[part]
        path = Path(cache_dir) / remote.name
        if path.is_file():
            try:
                out.append(_read(path, remote))
                continue
            except DataError:
                path.unlink(missing_ok=True)  # damaged cache: fetch it again
        path = fetch(remote, mirrors, cache_dir, progress=progress, timeout=timeout)
        out.append(_read(path, remote))
    return _checked(*out)


def is_complete(folder: Path, files: Mapping[str, RemoteFile]) -> bool:
    return all(find_file(folder, files[p].name) is not None for p in PARTS)


def _read(path: Path, remote: RemoteFile | None) -> np.ndarray:
    try:
        raw = _read_bounded(path)
        plain = gunzip_idx(raw) if is_gzip(raw) else raw
        if remote is not None:
            if remote.md5 is not None and is_gzip(raw):
                _compare(path, "MD5", hashlib.md5(raw, usedforsecurity=False), remote.md5)
            if remote.sha256 is not None:
                _compare(path, "SHA-256", hashlib.sha256(plain), remote.sha256)
        return read_idx(plain)
    except DataError as exc:
        raise DataError(f"{path.name}: {exc}") from None


def _read_bounded(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, refused by size before reading: raw IDX by what its header declares
    (a bogus 10 GB file is not read), gzip by max_bytes (its header is checked as it inflates)."""
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(24)
            if not is_gzip(head):
                need = idx_header_size(head)  # a DataError for a file that is not IDX
                if size > need:
                    extra = size - need
                    raise DataError(f"the IDX file has {extra} unexpected bytes after its data")
            if size > max_bytes:
                raise DataError(
                    f"the file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit"
                )
            return head + fh.read(max_bytes)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from None


def _compare(path: Path, kind: str, h, expected: str) -> None:
    if h.hexdigest() != expected:
        raise DataError(
            f"{kind} {h.hexdigest()} does not match the expected {expected}; "
            f"the file {path} is damaged or is not the canonical one"
        )


def _checked(x_train, y_train, x_test, y_test) -> Arrays:
    x_train, y_train = as_pair(x_train, y_train, "training")
    x_test, y_test = as_pair(x_test, y_test, "test")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"training images are {x_train.shape[1:]} but test images are {x_test.shape[1:]}"
        )
    return x_train, y_train, x_test, y_test
