"""The Data page under AppTest: preview, download only on request, uploads with their verdict."""

import numpy as np
import pytest
from apptest_helpers import array, chart, close_app, goto, new_app
from synthetic_data import synthetic_dataset

from app import state
from netlib.data import registry as data_registry
from netlib.data.dataset import DataError


@pytest.fixture
def app(tmp_path, monkeypatch):
    """Overrides conftest.py's: a fresh home, and no MNIST downloaded or found yet."""
    monkeypatch.setenv("NETLIB_DATA_DIR", str(tmp_path / "data"))  # nothing downloaded yet
    monkeypatch.delenv("NETLIB_MNIST_DIR", raising=False)
    yield new_app(tmp_path / "home", monkeypatch)
    close_app()


@pytest.fixture
def loader_calls(monkeypatch):
    """Replace downloads (bundled sets still load): records calls; .result is a Dataset or error."""
    real = data_registry.load_dataset

    class Fake:
        calls: list = []
        result: object = None

        def __call__(self, dataset_id, progress=None, **kw):
            if not data_registry.DATASETS[dataset_id].needs_download:
                return real(dataset_id, progress, **kw)
            self.calls.append(dataset_id)
            if progress is not None:
                progress(512_000, 1_024_000, "train-images-idx3-ubyte.gz")
                progress(1_024_000, 1_024_000, "train-images-idx3-ubyte.gz")
            if isinstance(self.result, Exception):
                raise self.result
            return self.result

    fake = Fake()
    fake.calls = []
    monkeypatch.setattr(data_registry, "load_dataset", fake)
    return fake


def test_bundled_sample_preview_counts_samples_and_means(app):
    goto(app, "pages/data.py")
    assert app.selectbox(key="keep_data_dataset").value == "mnist-sample"
    assert any("10,000 training and 2,000 test images, 28×28" in m.value for m in app.markdown)
    counts = chart(app, "data_counts")["data"]
    assert [t["name"] for t in counts] == ["train", "test"]
    np.testing.assert_array_equal(array(counts[0]["y"]), [1000] * 10)
    np.testing.assert_array_equal(array(counts[1]["y"]), [200] * 10)
    assert chart(app, "data_means")["data"]
    samples = chart(app, "data_samples")
    titles = [a["text"] for a in samples["layout"]["annotations"]]
    assert [t for t in titles if t] == [str(d) for d in range(10)]  # one row per class
    assert len(titles) == 10 * 8
    app.slider(key="keep_data_per_class").set_value(3).run()
    assert len(chart(app, "data_samples")["layout"]["annotations"]) == 30
    app.radio(key="keep_data_split").set_value("test").run()
    assert not app.exception
    app.selectbox(key="keep_data_dataset").set_value("digits-8x8").run()
    app.switch_page("pages/compare.py").run()
    app.switch_page("pages/data.py").run()  # the choices survive a trip to another page
    assert app.selectbox(key="keep_data_dataset").value == "digits-8x8"
    assert app.slider(key="keep_data_per_class").value == 3
    assert app.radio(key="keep_data_split").value == "test"
    assert any("8×8 pixels with values 0–16" in m.value for m in app.markdown)


def test_a_set_that_needs_a_download_waits_for_the_button(app, loader_calls):
    loader_calls.result = synthetic_dataset(n_train=100, n_test=50, name="mnist")
    goto(app, "pages/data.py")
    app.selectbox(key="keep_data_dataset").set_value("mnist").run()
    assert not app.exception
    mb = data_registry.DATASETS["mnist"].download_bytes / 1e6
    assert any(f"about {mb:.0f} MB" in i.value for i in app.info)
    assert loader_calls.calls == []  # nothing downloaded silently
    assert not app.get("plotly_chart")
    app.button(key="data_download").click().run()
    assert not app.exception, app.exception
    assert loader_calls.calls == ["mnist"]
    (bar,) = app.get("progress")
    assert bar.proto.value == 100 and "verified" in bar.proto.text
    assert any("100 training and 50 test images, 12×12" in m.value for m in app.markdown)


def test_a_failed_download_shows_the_loaders_message(app, loader_calls):
    message = "could not download train-images-idx3-ubyte.gz from any mirror: timed out"
    loader_calls.result = DataError(message)
    goto(app, "pages/data.py")
    app.selectbox(key="keep_data_dataset").set_value("fashion-mnist").run()
    app.button(key="data_download").click().run()
    assert not app.exception, app.exception
    assert [e.value for e in app.error] == [f"Download failed: {message}"]


def csv_bytes(n=60, size=4, classes=3, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    lines = ["label," + ",".join(f"pixel{i}" for i in range(size * size))]
    for i in range(n):
        lines.append(",".join(map(str, [i % classes, *rng.integers(0, 256, size * size)])))
    return ("\n".join(lines) + "\n").encode()


def test_upload_shows_its_validation_result_and_is_previewed(app):
    goto(app, "pages/data.py")
    app.file_uploader(key="data_upload_files").set_value(("mine.csv", csv_bytes(), "text/csv"))
    app.run()
    next(b for b in app.button if b.label == "Validate and add").click().run()
    assert not app.exception, app.exception
    (ok,) = app.success
    assert "4×4 pixels" in ok.value and "3 classes: 0, 1, 2" in ok.value
    assert "50 training and 10 test images" in ok.value
    chosen = app.selectbox(key="keep_data_dataset").value
    assert chosen.startswith("upload-")
    assert state.get_registry().dataset(chosen).num_classes == 3
    counts = chart(app, "data_counts")["data"]
    assert array(counts[0]["y"]).sum() + array(counts[1]["y"]).sum() == 60


def test_bad_upload_shows_the_precise_error(app):
    goto(app, "pages/data.py")
    bad = b"label,p0,p1,p2,p3\n1,2,3,4,5\n0,5,6,7\n"
    app.file_uploader(key="data_upload_files").set_value(("bad.csv", bad, "text/csv"))
    app.run()
    next(b for b in app.button if b.label == "Validate and add").click().run()
    assert not app.exception, app.exception
    (err,) = app.error
    assert err.value.startswith("Not added: bad.csv:") and "row 2" in err.value
    assert app.selectbox(key="keep_data_dataset").value == "mnist-sample"
