"""The registry, the bundled files, the folder source, and the scripts that rebuild the bundles."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from netlib.data import (
    DATASETS,
    DataError,
    DatasetInfo,
    is_cached,
    load_dataset,
    sources,
    write_idx,
)

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("NETLIB_MNIST_DIR") or ROOT.parent / "shared/data/mnist")
DIGITS_SRC = ROOT.parent / "shared/data/digits/digits_8x8.npz"
needs_mnist = pytest.mark.skipif(
    not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"canonical MNIST files not found in {MNIST_DIR} (set NETLIB_MNIST_DIR)",
)
needs_digits = pytest.mark.skipif(
    not DIGITS_SRC.is_file(), reason=f"canonical 8x8 digits not found at {DIGITS_SRC}"
)
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_registry_ids_and_info():
    assert list(DATASETS) == ["mnist-sample", "mnist", "digits-8x8", "fashion-mnist"]
    for key, info in DATASETS.items():
        assert isinstance(info, DatasetInfo) and info.id == key
        assert info.label and info.description and info.licence
        assert info.needs_download == (key in ("mnist", "fashion-mnist"))
        assert (info.download_bytes > 0) == info.needs_download
    with pytest.raises(dataclasses.FrozenInstanceError):
        DATASETS["mnist"].label = "x"
    assert 10e6 < DATASETS["mnist"].download_bytes < 12e6


def test_unknown_id_is_a_data_error():
    with pytest.raises(DataError, match="unknown data set 'cifar'.*mnist-sample"):
        load_dataset("cifar")
    assert not is_cached("cifar")


def test_bundled_mnist_sample():
    ds = load_dataset("mnist-sample")
    assert ds.name == "mnist-sample" and ds.class_names == tuple("0123456789")
    assert ds.train_images.shape == (10_000, 28, 28) and ds.test_images.shape == (2_000, 28, 28)
    assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.int64
    assert ds.train_images.flags.c_contiguous and ds.max_value == 255
    assert np.bincount(ds.train_labels).tolist() == [1000] * 10
    assert np.bincount(ds.test_labels).tolist() == [200] * 10
    assert ds.train_images.max() == 255 and 0.1 < (ds.train_images > 0).mean() < 0.3
    assert sources.MNIST_SAMPLE_FILE.stat().st_size < 2.5 * 2**20
    assert is_cached("mnist-sample")


def test_bundled_digits_8x8_split():
    ds = load_dataset("digits-8x8")
    assert ds.train_images.shape == (1437, 8, 8) and ds.test_images.shape == (360, 8, 8)
    assert ds.max_value == 16 and int(ds.train_images.max()) == 16 and ds.num_inputs == 64
    counts = np.bincount(ds.test_labels)
    assert len(counts) == 10 and counts.min() >= 35 and counts.max() <= 37
    assert is_cached("digits-8x8")


@needs_digits
def test_bundled_digits_are_the_canonical_ones():
    src = np.load(DIGITS_SRC)
    ds = load_dataset("digits-8x8")
    ours = np.concatenate([ds.train_images, ds.test_images]).reshape(1797, 64)
    theirs = src["images"].reshape(1797, 64)
    ours_y = np.concatenate([ds.train_labels, ds.test_labels])
    key = np.lexsort(np.column_stack([ours, ours_y]).T)
    key_src = np.lexsort(np.column_stack([theirs, src["labels"]]).T)
    np.testing.assert_array_equal(ours[key], theirs[key_src])
    np.testing.assert_array_equal(ours_y[key], src["labels"][key_src])


def test_mnist_not_cached_in_an_empty_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("NETLIB_MNIST_DIR", raising=False)
    assert not is_cached("mnist", data_dir=tmp_path)
    assert not is_cached("fashion-mnist", data_dir=tmp_path)
    monkeypatch.setenv("NETLIB_DATA_DIR", str(tmp_path))
    assert not is_cached("mnist")
    write_tiny_folder(tmp_path, gz=False)
    assert is_cached("mnist", mnist_dir=tmp_path)
    monkeypatch.setenv("NETLIB_MNIST_DIR", str(tmp_path / "missing"))
    assert not is_cached("mnist")


def write_tiny_folder(folder: Path, gz: bool) -> None:
    rng = np.random.default_rng(3)
    arrays = {
        "train_images": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "train_labels": np.arange(10),
        "test_images": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "test_labels": np.arange(5),
    }
    for part, array in arrays.items():
        name = sources.MNIST_FILES[part].name
        data = write_idx(array)
        (folder / (name if gz else name.removesuffix(".gz"))).write_bytes(
            gzip.compress(data) if gz else data
        )


@pytest.mark.parametrize("gz", [True, False])
def test_folder_source_raw_or_gzipped(tmp_path, gz):
    write_tiny_folder(tmp_path, gz)
    x_train, y_train, x_test, y_test = sources.load_idx_folder(tmp_path)
    assert x_train.shape == (10, 28, 28) and y_test.tolist() == [0, 1, 2, 3, 4]


def test_folder_with_non_canonical_files_is_refused_as_mnist(tmp_path):
    write_tiny_folder(tmp_path, gz=True)
    with pytest.raises(DataError, match="SHA-256 .* does not match the expected"):
        load_dataset("mnist", mnist_dir=tmp_path)


def test_folder_problems(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", mnist_dir=tmp_path / "nope")
    write_tiny_folder(tmp_path, gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="has no t10k-labels-idx1-ubyte.gz"):
        sources.load_idx_folder(tmp_path)


@needs_mnist
def test_canonical_mnist_through_the_folder_source(monkeypatch):
    monkeypatch.setenv("NETLIB_MNIST_DIR", str(MNIST_DIR))
    assert is_cached("mnist", data_dir="/nonexistent")
    ds = load_dataset("mnist")
    assert ds.train_images.shape == (60_000, 28, 28) and ds.test_images.shape == (10_000, 28, 28)
    assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.int64
    assert np.bincount(ds.train_labels).tolist() == TRAIN_COUNTS
    assert np.bincount(ds.test_labels).tolist() == TEST_COUNTS
    for remote in sources.MNIST_FILES.values():
        path = sources.find_file(MNIST_DIR, remote.name)
        raw = path.read_bytes()
        plain = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        assert hashlib.sha256(plain).hexdigest() == remote.sha256


@needs_mnist
def test_sample_script_reproduces_the_committed_file(tmp_path):
    out = tmp_path / "sample.npz"
    cmd = [sys.executable, str(ROOT / "tools/make_mnist_sample.py"), "--src", str(MNIST_DIR)]
    subprocess.run([*cmd, "--out", str(out)], check=True, capture_output=True, timeout=120)
    assert out.read_bytes() == sources.MNIST_SAMPLE_FILE.read_bytes()


@needs_digits
def test_digits_script_reproduces_the_committed_file(tmp_path):
    out = tmp_path / "digits.npz"
    cmd = [sys.executable, str(ROOT / "tools/make_digits_8x8.py"), "--src", str(DIGITS_SRC)]
    subprocess.run([*cmd, "--out", str(out)], check=True, capture_output=True, timeout=120)
    assert out.read_bytes() == sources.DIGITS_FILE.read_bytes()
