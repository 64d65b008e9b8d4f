"""The one place the dashboard asks for data: an id in, a checked Dataset out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from netlib.data import sources
from netlib.data.dataset import DataError, Dataset
from netlib.data.download import Progress, default_data_dir

DIGIT_NAMES = tuple(str(i) for i in range(10))
FASHION_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
MNIST_LICENCE = "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)"


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    label: str  # for a select box
    description: str
    needs_download: bool
    licence: str
    download_bytes: int = 0  # approximate size of a first download
    source_url: str = ""


DATASETS: dict[str, DatasetInfo] = {
    "mnist-sample": DatasetInfo(
        id="mnist-sample",
        label="MNIST sample (12,000, bundled)",
        description="A class-balanced subset of real MNIST: 1,000 training and 200 test "
        "images per digit, 28x28. Ships with the project, so it works offline and instantly.",
        needs_download=False,
        licence=MNIST_LICENCE,
        source_url="http://yann.lecun.com/exdb/mnist/",
    ),
    "mnist": DatasetInfo(
        id="mnist",
        label="MNIST (70,000)",
        description="The full MNIST handwritten digits: 60,000 training and 10,000 test images,"
        " 28x28. Downloaded once (about 11 MB) or read from $NETLIB_MNIST_DIR.",
        needs_download=True,
        licence=MNIST_LICENCE,
        download_bytes=sum(f.size for f in sources.MNIST_FILES.values()),
        source_url="http://yann.lecun.com/exdb/mnist/",
    ),
    "digits-8x8": DatasetInfo(
        id="digits-8x8",
        label="8x8 digits (1,797, bundled)",
        description="Tiny 8x8 digits with values 0-16 (UCI optdigits, as in scikit-learn). "
        "Fixed stratified split: 1,437 training / 360 test images (seed 0).",
        needs_download=False,
        licence="CC BY 4.0 (UCI Machine Learning Repository)",
        source_url="https://archive.ics.uci.edu/dataset/80",
    ),
    "fashion-mnist": DatasetInfo(
        id="fashion-mnist",
        label="Fashion-MNIST (70,000)",
        description="Zalando's clothing images in MNIST's format: 60,000 training and 10,000 "
        "test images, 28x28, ten classes. Downloaded once (about 30 MB).",
        needs_download=True,
        licence="MIT (Zalando Research)",
        download_bytes=sum(f.size for f in sources.FASHION_FILES.values()),
        source_url="https://github.com/zalandoresearch/fashion-mnist",
    ),
}


def load_dataset(
    dataset_id: str,
    progress: Progress | None = None,
    data_dir: Path | str | None = None,
    mnist_dir: Path | str | None = None,
) -> Dataset:
    """Load a registered data set; progress(bytes_done, bytes_total, filename) while downloading.

    "mnist" reads mnist_dir, else $NETLIB_MNIST_DIR, else the download cache in data_dir
    (default $NETLIB_DATA_DIR or ~/.cache/digit-net).
    """
    if dataset_id not in DATASETS:
        known = ", ".join(DATASETS)
        raise DataError(f"unknown data set {dataset_id!r}; choose one of: {known}")
    names, max_value = DIGIT_NAMES, 255
    if dataset_id == "mnist-sample":
        arrays = sources.load_bundled(sources.MNIST_SAMPLE_FILE)
    elif dataset_id == "digits-8x8":
        arrays, max_value = sources.load_bundled(sources.DIGITS_FILE), 16
    elif dataset_id == "mnist" and _mnist_folder(mnist_dir) is not None:
        arrays = sources.load_idx_folder(_mnist_folder(mnist_dir), sources.MNIST_FILES, True)
    else:
        files = sources.FASHION_FILES if dataset_id == "fashion-mnist" else sources.MNIST_FILES
        cache = _cache_dir(dataset_id, data_dir)
        arrays = sources.load_remote(files, sources.MIRRORS[dataset_id], cache, progress)
        if dataset_id == "fashion-mnist":
            names = FASHION_NAMES
    return Dataset(dataset_id, *arrays, class_names=names, max_value=max_value)


def is_cached(
    dataset_id: str, data_dir: Path | str | None = None, mnist_dir: Path | str | None = None
) -> bool:
    """True when loading needs no network (bundled, in the MNIST folder, or downloaded)."""
    if dataset_id not in DATASETS:
        return False
    if not DATASETS[dataset_id].needs_download:
        return True
    files = sources.FASHION_FILES if dataset_id == "fashion-mnist" else sources.MNIST_FILES
    folder = _mnist_folder(mnist_dir) if dataset_id == "mnist" else None
    if folder is not None:  # load_dataset reads only the folder then, never the cache
        return sources.is_complete(folder, files)
    cache = _cache_dir(dataset_id, data_dir)
    return all((cache / f.name).is_file() for f in files.values())


def _mnist_folder(mnist_dir: Path | str | None) -> Path | None:
    chosen = mnist_dir or os.environ.get("NETLIB_MNIST_DIR")
    return Path(chosen).expanduser() if chosen else None


def _cache_dir(dataset_id: str, data_dir: Path | str | None) -> Path:
    root = Path(data_dir).expanduser() if data_dir else default_data_dir()
    return root / dataset_id
