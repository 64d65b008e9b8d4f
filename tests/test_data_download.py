"""The mirror downloader against a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import gzip
import hashlib
import socket

import numpy as np
import pytest
from local_http import local_http_server

from netlib.data import DataError, is_cached, load_dataset, sources, write_idx
from netlib.data.download import RemoteFile, default_data_dir, fetch

RNG = np.random.default_rng(2)
TINY = {
    "train_images": RNG.integers(0, 256, size=(20, 6, 6), dtype=np.uint8),
    "train_labels": np.arange(20) % 10,
    "test_images": RNG.integers(0, 256, size=(10, 6, 6), dtype=np.uint8),
    "test_labels": np.arange(10),
}
GZ = {part: gzip.compress(write_idx(a), mtime=0) for part, a in TINY.items()}


def remote(part: str, by: str = "sha256") -> RemoteFile:
    name = sources.MNIST_FILES[part].name
    if by == "md5":
        return RemoteFile(name, md5=hashlib.md5(GZ[part]).hexdigest())
    return RemoteFile(name, sha256=hashlib.sha256(gzip.decompress(GZ[part])).hexdigest())


@pytest.fixture
def server():
    with local_http_server() as srv:
        yield srv


@pytest.fixture
def dead_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now: connection refused
    return f"http://127.0.0.1:{port}/mirror/"


def serve_all(srv, prefix: str, mode: str = "ok") -> None:
    for part, body in GZ.items():
        srv.routes[f"{prefix}{sources.MNIST_FILES[part].name}"] = (mode, body)


def leftovers(path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


@pytest.mark.parametrize("by", ["sha256", "md5"])
def test_happy_path_reports_progress(server, tmp_path, by):
    serve_all(server, "/m/")
    calls = []
    got = fetch(
        remote("train_images", by), [server.base + "/m/"], tmp_path, lambda *a: calls.append(a)
    )
    assert got == tmp_path / "train-images-idx3-ubyte.gz"
    assert got.read_bytes() == GZ["train_images"]
    size = len(GZ["train_images"])
    assert calls[0] == (0, size, got.name) and calls[-1] == (size, size, got.name)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:], strict=False))
    assert leftovers(tmp_path) == [got.name]


def test_404_then_a_good_mirror(server, tmp_path):
    serve_all(server, "/good/")
    mirrors = [server.base + "/empty/", server.base + "/good/"]
    got = fetch(remote("test_labels"), mirrors, tmp_path)
    assert got.read_bytes() == GZ["test_labels"]
    assert server.hits == ["/empty/t10k-labels-idx1-ubyte.gz", "/good/t10k-labels-idx1-ubyte.gz"]


def test_connection_dropped_mid_file(server, tmp_path):
    serve_all(server, "/drop/", mode="drop")
    with pytest.raises(DataError, match="closed after|IncompleteRead"):
        fetch(remote("train_images"), [server.base + "/drop/"], tmp_path)
    assert leftovers(tmp_path) == []
    serve_all(server, "/good/")
    got = fetch(remote("train_images"), [server.base + "/drop/", server.base + "/good/"], tmp_path)
    assert got.read_bytes() == GZ["train_images"]
    assert leftovers(tmp_path) == [got.name]


@pytest.mark.parametrize("by", ["sha256", "md5"])
def test_checksum_mismatch_is_rejected_and_cache_left_clean(server, tmp_path, by):
    server.routes["/m/train-images-idx3-ubyte.gz"] = ("ok", GZ["test_images"])
    with pytest.raises(DataError, match="SHA-256|MD5") as info:
        fetch(remote("train_images", by), [server.base + "/m/"], tmp_path)
    assert "does not match the expected" in str(info.value)
    assert leftovers(tmp_path) == []


def test_not_gzip_when_a_decompressed_hash_is_expected(server, tmp_path):
    server.routes["/m/train-images-idx3-ubyte.gz"] = ("ok", b"<html>captive portal</html>")
    with pytest.raises(DataError, match="SHA-256|gzip"):
        fetch(remote("train_images"), [server.base + "/m/"], tmp_path)
    assert leftovers(tmp_path) == []


def test_every_mirror_down_gives_a_clear_error(server, tmp_path, dead_url):
    mirrors = [dead_url, server.base + "/nothing/"]
    with pytest.raises(DataError) as info:
        fetch(remote("train_labels"), mirrors, tmp_path, timeout=5)
    msg = str(info.value)
    assert "could not download train-labels-idx1-ubyte.gz" in msg
    assert dead_url + "train-labels-idx1-ubyte.gz" in msg and "refused" in msg.lower()
    assert "/nothing/train-labels-idx1-ubyte.gz: HTTP 404" in msg
    assert "mnist-sample" in msg
    assert leftovers(tmp_path) == []


def test_default_data_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NETLIB_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.delenv("NETLIB_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "digit-net"


@pytest.fixture
def tiny_mnist(monkeypatch, server):
    """Point the registry's "mnist" at the local server and the tiny files."""
    monkeypatch.delenv("NETLIB_MNIST_DIR", raising=False)
    files = {part: remote(part) for part in GZ}
    monkeypatch.setattr(sources, "MNIST_FILES", files)
    monkeypatch.setitem(sources.MIRRORS, "mnist", (server.base + "/a/", server.base + "/b/"))
    serve_all(server, "/b/")
    return server


def test_registry_downloads_once_then_reads_the_cache(tiny_mnist, tmp_path):
    assert not is_cached("mnist", data_dir=tmp_path)
    seen = set()
    ds = load_dataset("mnist", progress=lambda done, total, name: seen.add(name), data_dir=tmp_path)
    assert seen == {f.name for f in sources.MNIST_FILES.values()}
    np.testing.assert_array_equal(ds.train_images, TINY["train_images"])
    np.testing.assert_array_equal(ds.test_labels, TINY["test_labels"])
    assert ds.train_labels.dtype == np.int64 and ds.class_names == tuple("0123456789")
    assert is_cached("mnist", data_dir=tmp_path)
    assert len(leftovers(tmp_path / "mnist")) == 4

    tiny_mnist.routes.clear()
    tiny_mnist.hits.clear()
    again = load_dataset("mnist", data_dir=tmp_path)
    np.testing.assert_array_equal(again.train_images, ds.train_images)
    assert tiny_mnist.hits == []


def test_registry_replaces_a_damaged_cache_file(tiny_mnist, tmp_path):
    cache = tmp_path / "mnist"
    cache.mkdir()
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(GZ["test_labels"][:-5])
    ds = load_dataset("mnist", data_dir=tmp_path)
    np.testing.assert_array_equal(ds.test_labels, TINY["test_labels"])
    assert (cache / "t10k-labels-idx1-ubyte.gz").read_bytes() == GZ["test_labels"]


def test_registry_offline_error_offers_the_sample(tiny_mnist, tmp_path):
    tiny_mnist.routes.clear()
    with pytest.raises(DataError, match="mnist-sample"):
        load_dataset("mnist", data_dir=tmp_path)
    assert leftovers(tmp_path / "mnist") == []
