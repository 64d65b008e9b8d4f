"""The Data page under AppTest: preview, download only on request, uploads with their verdict."""

import re

import numpy as np
import pytest
from apptest_helpers import array, chart, close_app, goto, new_app, shown
from synthetic_data import synthetic_dataset

from app import navigation, state, uploads
from netlib.config import NetConfig
from netlib.data import catalog as data_registry
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
    goto(app, navigation.DATA.script)
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
    app.switch_page(navigation.COMPARE.script).run()
    app.switch_page(navigation.DATA.script).run()  # the choices survive a trip to another page
    assert app.selectbox(key="keep_data_dataset").value == "digits-8x8"
    assert app.slider(key="keep_data_per_class").value == 3
    assert app.radio(key="keep_data_split").value == "test"
    assert any("8×8 pixels with values 0–16" in m.value for m in app.markdown)


def test_a_set_that_needs_a_download_waits_for_the_button(app, loader_calls):
    loader_calls.result = synthetic_dataset(n_train=100, n_test=50, name="mnist")
    goto(app, navigation.DATA.script)
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
    goto(app, navigation.DATA.script)
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
    goto(app, navigation.DATA.script)
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
    goto(app, navigation.DATA.script)
    bad = b"label,p0,p1,p2,p3\n1,2,3,4,5\n0,5,6,7\n"
    app.file_uploader(key="data_upload_files").set_value(("bad.csv", bad, "text/csv"))
    app.run()
    next(b for b in app.button if b.label == "Validate and add").click().run()
    assert not app.exception, app.exception
    (err,) = app.error
    assert shown(err.value).startswith("Not added: bad.csv:") and "row 2" in shown(err.value)
    assert app.selectbox(key="keep_data_dataset").value == "mnist-sample"


# -- uploads kept on disk: listed, shared by a restart, deleted with care ----------------------
def click(at, label):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception


def upload_on_page(at, name="mine.csv", data=None):
    at.file_uploader(key="data_upload_files").set_value((name, data or csv_bytes(), "text/csv"))
    at.run()
    click(at, "Validate and add")


def uploads_table(at):
    tables = [d for d in at.dataframe if "runs using it" in d.value.columns]
    return tables[0].value if tables else None


def test_the_same_upload_twice_is_one_listed_data_set_that_survives_a_restart(
    app, tmp_path, monkeypatch
):
    goto(app, navigation.DATA.script)
    upload_on_page(app)
    first = app.selectbox(key="keep_data_dataset").value
    assert re.fullmatch(r"upload-[0-9a-f]{12}", first)
    upload_on_page(app, name="same pixels, other name.csv")
    assert app.selectbox(key="keep_data_dataset").value == first
    table = uploads_table(app)
    assert table["id"].tolist() == [first] and table["name"].tolist() == ["mine.csv"]
    assert table["images"].tolist() == ["50 train + 10 test, 4×4"]
    assert table["classes"].tolist() == ["3: 0 ×20 · 1 ×20 · 2 ×20"]
    assert table["runs using it"].tolist() == ["none"]
    assert state.get_registry().loaded_datasets() == ["mnist-sample", first]  # one copy, not two
    state.get_registry().close()  # the server stops; a new one opens the same NETLIB_HOME
    restarted = new_app(tmp_path / "home", monkeypatch)
    goto(restarted, navigation.DATA.script)
    assert uploads_table(restarted)["id"].tolist() == [first]
    restarted.selectbox(key="keep_data_dataset").set_value(first).run()
    assert any("50 training and 10 test images, 4×4" in m.value for m in restarted.markdown)


def test_delete_asks_first_when_finished_runs_used_the_upload(app):
    goto(app, navigation.DATA.script)
    registry = state.get_registry()
    upload_id, _ = uploads.add_upload(registry, [("mine.csv", csv_bytes())])
    config = NetConfig(dataset=upload_id, hidden=(4,), epochs=1)
    registry.store.create_run(config, "trained on it", status="finished")
    app.run()
    assert uploads_table(app)["runs using it"].tolist() == ["trained on it"]
    app.selectbox(key="keep_data_dataset").set_value(upload_id).run()
    click(app, "🗑 Delete")
    (warning,) = app.warning
    assert "1 finished run(s) were trained on this data set (trained on it)" in shown(warning.value)
    assert uploads_table(app)["id"].tolist() == [upload_id]  # nothing deleted yet
    click(app, "Delete anyway")
    assert [s.value for s in app.success] == [f"Deleted {upload_id}."]
    assert uploads_table(app) is None and registry.uploads.list() == []
    assert app.selectbox(key="keep_data_dataset").value == "mnist-sample"


def test_delete_is_refused_while_a_run_trains_on_the_upload(app):
    goto(app, navigation.DATA.script)
    registry = state.get_registry()
    upload_id, _ = uploads.add_upload(registry, [("busy.csv", csv_bytes())])
    registry.store.create_run(NetConfig(dataset=upload_id), "busy run", status="running")
    app.run()
    click(app, "🗑 Delete")
    (err,) = app.error
    assert "still use this data set (busy run): stop them before deleting it" in shown(err.value)
    assert not [b for b in app.button if b.label == "Delete anyway"]
    assert [u.id for u in registry.uploads.list()] == [upload_id]


def test_inspect_says_a_runs_deleted_upload_is_gone_instead_of_scoring_other_data(app):
    goto(app, navigation.DATA.script)
    registry = state.get_registry()
    upload_id, _ = uploads.add_upload(registry, [("mine.csv", csv_bytes(n=90))])
    run_id = registry.start(NetConfig(dataset=upload_id, hidden=(4,), epochs=1), "on mine")
    assert registry.wait(run_id, 60) == "finished"
    registry.delete_upload(upload_id, force=True)
    app.switch_page(navigation.INSPECT.script).run()
    assert not app.exception, app.exception
    (err,) = app.error
    assert f"the uploaded data set {upload_id!r} is not on this computer" in err.value
    assert not app.get("plotly_chart")  # nothing scored on anything else
