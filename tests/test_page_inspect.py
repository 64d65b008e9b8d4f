"""The Inspect page under AppTest, on a tiny run trained in the test on the bundled sample."""

import numpy as np
import pytest
from apptest_helpers import array, chart, close_app, goto, new_app
from streamlit.testing.v1 import AppTest

from app import inspect_view, navigation, run_picker, state, tab_state
from netlib import metrics, scoring
from netlib.config import NetConfig
from netlib.data.catalog import load_dataset
from netlib.network import MLP
from netlib.training_data import scale_images

TINY = NetConfig(hidden=(16,), activation="relu", epochs=2, batch_size=64, seed=3)


@pytest.fixture
def app(tmp_path, monkeypatch):
    """Overrides conftest.py's: a fresh home without any run, on the bundled sample."""
    yield new_app(tmp_path / "home", monkeypatch)
    close_app()


def train(name="tiny", config=TINY) -> str:
    registry = state.get_registry()
    run_id = registry.start(config, name)
    assert registry.wait(run_id, 60) == "finished"
    return run_id


def frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_matrix_report_and_a_clicked_cell_list_exactly_its_samples(app):
    run_id = train()
    goto(app, navigation.INSPECT.script)
    app.selectbox(key=run_picker.EPOCH_KEY).set_value(2).run()
    assert not app.exception, app.exception

    # what the test itself computes with the engine, on the same network and data
    net, config, _ = state.get_registry().store.load_weights(run_id, 2)
    ds = load_dataset("mnist-sample")
    proba = metrics.probabilities(net, scale_images(ds.test_images, 255, config.dtype))
    pred = proba.argmax(axis=1)
    cm = metrics.confusion_matrix(ds.test_labels, pred, 10)
    np.testing.assert_array_equal(cm, state.get_registry().store.confusion(run_id, 2))

    heat = chart(app, inspect_view.CHART_KEY)["data"][0]
    np.testing.assert_array_equal(array(heat["z"]), cm)
    report = frame_with(app, "recall")
    np.testing.assert_allclose(report["recall"], metrics.per_class_report(cm).recall)
    np.testing.assert_array_equal(report["support"], cm.sum(axis=1))

    off = cm - np.diag(np.diag(cm))
    t, p = np.unravel_index(off.argmax(), off.shape)  # the most common mistake
    expected = metrics.cell_samples(ds.test_labels, pred, proba, t, p)
    assert 1 <= len(expected) <= inspect_view.PER_PAGE

    click = {"points": [{"x": int(p), "y": int(t), "customdata": {"0": int(t), "1": int(p)}}]}
    app.session_state[inspect_view.CHART_KEY] = {"selection": click}
    app.run()
    assert not app.exception, app.exception
    assert app.session_state["keep_cell"] == (t, p)
    assert app.session_state[tab_state.PAIR_KEY] == (t, p)
    assert any(f"true {t}, predicted {p}**: {len(expected)}, most" in m.value for m in app.markdown)

    shown = frame_with(app, "top 3")
    np.testing.assert_array_equal(shown["test #"], expected)
    np.testing.assert_allclose(shown["confidence"], proba[expected, p], rtol=1e-6)
    assert (shown["true"] == str(t)).all() and (shown["predicted"] == str(p)).all()
    first = np.argsort(-proba[expected[0]], kind="stable")[:3]
    assert shown["top 3"][0] == " · ".join(f"{c} {proba[expected[0], c]:.0%}" for c in first)
    titles = [a["text"] for a in chart(app, "cell_grid")["layout"]["annotations"]]
    assert titles == [f"#{i} {proba[i, p]:.0%}" for i in expected]
    # the clicked cell is outlined on the matrix
    shapes = chart(app, inspect_view.CHART_KEY)["layout"]["shapes"]
    assert any(
        s["x0"] == p - 0.5 and s["y0"] == t - 0.5 and s["line"]["width"] == 4 for s in shapes
    )

    # the gallery of mistakes, filtered to the same pair, least confident first
    app.selectbox(key="keep_gal_true").set_value(int(t))
    app.selectbox(key="keep_gal_pred").set_value(int(p))
    app.selectbox(key="keep_gal_confident_first").set_value(False).run()
    assert not app.exception, app.exception
    gallery = [a["text"] for a in chart(app, "gallery_grid")["layout"]["annotations"]]
    assert gallery == [f"{t}→{p} {proba[i, p]:.0%}" for i in expected[::-1]]


def test_predictions_grid_marks_right_and_wrong(app, monkeypatch):
    calls = []
    real = scoring.evaluate
    monkeypatch.setattr(scoring, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k))
    train()
    goto(app, navigation.INSPECT.script)
    app.radio(key="keep_pred_show").set_value("wrong").run()
    spec = chart(app, "pred_grid")
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles and all(t.startswith("✗") for t in titles)
    assert {s["line"]["color"] for s in spec["layout"]["shapes"]} == {"#d62728"}
    before = titles
    app.button(key="pred_shuffle").click().run()
    assert [a["text"] for a in chart(app, "pred_grid")["layout"]["annotations"]] != before
    for tab_chart in ("w_tiles", "w_hist"):
        assert chart(app, tab_chart)["data"]
    assert len(calls) == 1  # evaluated once for all those reruns (cached per run and epoch)


def test_a_run_on_an_upload_the_server_no_longer_holds(app):
    store, config = state.get_registry().store, TINY.replace(dataset="upload-7")
    run_id = store.create_run(config, "gone", status="finished")
    net = MLP.create([784, 16, 10], "relu", "he", np.random.default_rng(0))
    store.save_weights(run_id, 1, net, config, {"epoch": 1})
    goto(app, navigation.INSPECT.script)
    (err,) = app.error
    assert "'upload-7' is gone" in err.value


def test_run_picker_newest_first_and_epoch_picker(app):
    store = state.get_registry().store
    store.create_run(TINY, "old failed", status="failed")
    first = train("first")
    second = train("second")
    goto(app, navigation.INSPECT.script)
    runs = app.selectbox(key=run_picker.RUN_KEY)
    assert [o.split(" · ")[0][2:] for o in runs.options] == ["second", "first"]
    assert runs.value == second
    assert app.selectbox(key=run_picker.EPOCH_KEY).options == [
        f"best (epoch {store.get_run(second).best_epoch})",
        "epoch 2",
        "epoch 1",
    ]
    runs.set_value(first).run()
    assert not app.exception and app.metric[0].value.endswith("%")
    app.selectbox(key="keep_gal_true").set_value(3).run()
    # the choices survive a trip to another page and back
    app.switch_page(navigation.DATA.script).run()
    app.switch_page(navigation.INSPECT.script).run()
    assert not app.exception, app.exception
    assert app.selectbox(key=run_picker.RUN_KEY).value == first
    assert app.selectbox(key="keep_gal_true").value == 3


def test_run_with_no_saved_epochs_gives_a_message(app):
    state.get_registry().store.create_run(TINY, "never trained", status="interrupted")
    goto(app, navigation.INSPECT.script)
    assert any("no saved weights" in i.value for i in app.info)
    assert not app.error and not app.get("plotly_chart")


def test_deleted_run_gives_a_message(app):
    run_id = train()
    goto(app, navigation.INSPECT.script)
    assert app.session_state[run_picker.RUN_KEY] == run_id
    state.get_registry().delete(run_id)
    app.run()
    assert not app.exception, app.exception
    assert any("no longer exists" in w.value for w in app.warning)
    assert any("No run to inspect" in i.value for i in app.info)


def test_no_runs_at_all(app):
    goto(app, navigation.INSPECT.script)
    assert any("No run to inspect" in i.value for i in app.info)
