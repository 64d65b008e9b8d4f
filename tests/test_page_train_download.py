"""The Train page on a data set that must be downloaded (Fashion-MNIST), served by a local HTTP
server that stalls halfway through a file: the page shows the download's progress, then the run
trains on the downloaded images and finishes."""

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import clear_caches, poll_page
from local_http import local_http_server
from streamlit.testing.v1 import AppTest

from app import state, tab_state
from netlib.data import sources, write_idx
from netlib.data.download import CHUNK, RemoteFile

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(4)
TINY = {
    # random pixels do not compress: half the file is more than the downloader's read size
    "train_images": RNG.integers(0, 256, size=(6000, 12, 12), dtype=np.uint8),
    "train_labels": np.arange(6000) % 10,
    "test_images": RNG.integers(0, 256, size=(50, 12, 12), dtype=np.uint8),
    "test_labels": np.arange(50) % 10,
}
GZ = {part: gzip.compress(write_idx(a), mtime=0) for part, a in TINY.items()}


@pytest.fixture
def fashion_server(tmp_path, monkeypatch):
    """Fashion-MNIST's mirrors point at a local server; the training images stall halfway."""
    with local_http_server() as srv:
        files = {}
        for part, body in GZ.items():
            name = sources.FASHION_FILES[part].name
            digest = hashlib.sha256(gzip.decompress(body)).hexdigest()
            files[part] = RemoteFile(name, sha256=digest, size=len(body))
            srv.routes[f"/f/{name}"] = ("stall" if part == "train_images" else "ok", body)
        monkeypatch.setattr(sources, "FASHION_FILES", files)
        monkeypatch.setitem(sources.MIRRORS, "fashion-mnist", (srv.base + "/f/",))
        monkeypatch.setenv("NETLIB_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "home"))
        clear_caches()
        yield srv
        state.get_registry().shutdown()
        clear_caches()


def _bar(at):
    return at.get("progress")[0].proto


def test_a_run_on_fashion_mnist_shows_its_download_then_trains(fashion_server):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.selectbox(key="f_dataset").set_value("fashion-mnist").run()
    at.text_input(key="f_hidden").set_value("8").run()
    at.number_input(key="f_epochs").set_value(2).run()
    next(b for b in at.button if "Start training" in b.label).click().run()
    assert not at.exception

    name = sources.FASHION_FILES["train_images"].name
    size = len(GZ["train_images"])
    assert size // 2 > CHUNK
    assert poll_page(at, lambda a: _bar(a).value > 0 and name in _bar(a).text)
    # stalled at half the file: the bar shows the bytes read so far (whole chunks), not 0
    assert _bar(at).value == int(100 * CHUNK * (size // 2 // CHUNK) / size)
    assert f"loading data {name} 0.3 MB of {size / 1e6:.1f} MB" in _bar(at).text
    fashion_server.release.set()

    assert poll_page(at, lambda a: any("Finished" in s.value for s in a.success))
    run_id = at.session_state[tab_state.WATCHED_RUN_KEY]
    record = state.get_registry().store.get_run(run_id)
    assert record.config.dataset == "fashion-mnist" and record.status == "finished"
    assert record.epochs_done == 2
    net, _, _ = state.get_registry().store.load_weights(run_id)
    assert net.sizes[0] == 144  # trained on the downloaded 12x12 images
