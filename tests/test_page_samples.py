"""The Samples page (issue 20) under AppTest, on tiny runs trained in the test: each view shows
what the engine computes from the run's kept predictions and weights, for an MLP and a CNN.

The `home`, `app` and `empty_app` fixtures (conftest.py) train and open the RUNS below.
"""

import numpy as np
import pytest
from apptest_helpers import TINY, array, chart, evaluated, goto, poll_page, subset
from streamlit.testing.v1 import AppTest

from app import map_view, navigation, run_picker, state, tab_state
from netlib import agreement, embedding, histories, metrics
from netlib.training_data import scale_images

RUNS = {
    "tiny": TINY.replace(epochs=4),
    "cnn": TINY.replace(layers="conv4k5 pool2 dense16", epochs=3, seed=5),
}


def open_view(at: AppTest, run_id: str, view: str) -> AppTest:
    goto(at, navigation.SAMPLES.script)
    at.selectbox(key=run_picker.RUN_KEY).set_value(run_id).run()
    at.session_state["samples_view"] = view
    at.run()
    assert not at.exception, at.exception
    return at


def test_without_a_run_the_page_says_what_to_do(empty_app):
    goto(empty_app, navigation.SAMPLES.script)
    assert [t.value for t in empty_app.title] == ["Samples"]
    assert any("No trained run yet" in i.value for i in empty_app.info)


def test_histories_count_each_stage_and_time_the_pairs_flips(app, home):
    run_id = home[1]["tiny"]
    open_view(app, run_id, "histories")
    kept = state.get_registry().store.predictions(run_id)
    labels = subset().test_labels
    assert kept.shape == (4, len(labels))
    stage = histories.sample_history(kept, labels).stage()
    bars = chart(app, "hist_stages")["data"]
    assert [array(b["y"]).sum() for b in bars] == [int((stage == s).sum()) for s in range(3)]
    samples, codes = histories.pair_timeline(kept, labels, 4, 9)
    timeline = chart(app, "hist_pair")["data"]
    if len(samples):
        assert array(timeline[0]["z"]).shape == codes.shape


def test_agreement_compares_the_runs_last_predictions(app, home):
    ids = home[1]
    open_view(app, ids["tiny"], "agreement")
    app.multiselect(key="agree_runs").set_value([ids["tiny"], ids["cnn"]]).run()
    assert not app.exception, app.exception
    store = state.get_registry().store
    stacked = np.stack([store.predictions(ids[n])[-1] for n in ("tiny", "cnn")])
    expected = agreement.agreement_matrix(stacked)
    np.testing.assert_allclose(array(chart(app, "agree_matrix")["data"][0]["z"]), expected)


@pytest.mark.parametrize("name", RUNS)
def test_the_pair_axis_map_places_each_sample_as_the_engine_does(app, home, name):
    run_id = home[1][name]
    open_view(app, run_id, "map")
    app.radio(key="map_how").set_value("pair").run()
    assert not app.exception, app.exception
    net, labels, _, _, _ = evaluated(run_id)
    x = scale_images(subset().test_images, 255, RUNS[name].dtype)
    layer = app.selectbox(key="map_layer").value - 1
    ax, _ = embedding.pair_axis(embedding.layer_features(net, x, layer), labels, 4, 9)
    traces = chart(app, map_view.MAP_KEY)["data"]
    shown = {
        int(i): float(v)
        for t in traces
        for i, v in zip(array(t["customdata"]), array(t["x"]), strict=True)
    }
    assert len(shown) == len(labels)
    np.testing.assert_allclose([shown[i] for i in range(len(labels))], ax, rtol=1e-4, atol=1e-5)


def test_a_tsne_map_is_computed_off_the_page_with_progress_then_shown(app, home):
    pytest.importorskip("openTSNE")
    open_view(app, home[1]["tiny"], "map")
    app.radio(key="map_how").set_value("tsne").run()
    assert not app.exception, app.exception
    assert app.radio(key="map_how").value == "tsne", app.radio(key="map_how").value

    assert poll_page(app, lambda at: _map_axis(at) == "t-SNE 1", seconds=600)
    traces = chart(app, map_view.MAP_KEY)["data"]
    assert sum(len(array(t["customdata"])) for t in traces) == len(subset().test_labels)


def _map_axis(at: AppTest) -> str | None:
    try:
        return chart(at, map_view.MAP_KEY)["layout"]["xaxis"]["title"]["text"]
    except (KeyError, ValueError):  # no map yet (only the progress bar)
        return None


def test_a_clicked_point_is_shown_and_opens_in_the_pair_lens(app, home):
    """A mistake clicked on the map opens the lens on its (true, predicted) pair, looking
    closer at that very sample (the lens's surest mistake of the cell)."""
    run_id = home[1]["tiny"]
    _, labels, _, proba, pred = evaluated(run_id)
    wrong = np.flatnonzero(labels != pred)
    t, p = int(labels[wrong[0]]), int(pred[wrong[0]])
    i = int(metrics.cell_samples(labels, pred, proba, t, p)[0])
    open_view(app, run_id, "map")
    app.session_state[map_view.MAP_KEY] = {"selection": {"points": [{"customdata": i}]}}
    app.run()
    assert app.session_state[map_view.SELECTED_KEY] == i
    bars = chart(app, "map_selected_proba")["data"][0]
    np.testing.assert_allclose(array(bars["y"]), proba[i], rtol=1e-5)
    app.button(key="map_to_lens").click().run()
    assert [t.value for t in app.title] == ["Pair lens"]
    assert app.session_state[tab_state.PAIR_KEY] == (t, p)
    assert app.session_state[map_view.LENS_SAMPLE_KEY] == i


@pytest.mark.parametrize("name", RUNS)
def test_the_morph_starts_and_ends_at_the_two_samples(app, home, name):
    run_id = home[1][name]
    open_view(app, run_id, "morph")
    start = app.number_input(key="morph_a").value
    end = app.number_input(key="morph_b").value
    _, labels, _, proba, _ = evaluated(run_id)
    assert labels[start] == 4 and labels[end] == 9
    p4 = array(chart(app, "morph_curves")["data"][0]["y"])
    assert p4[0] == pytest.approx(proba[start, 4], rel=1e-4)
    assert p4[-1] == pytest.approx(proba[end, 4], rel=1e-4)
    app.selectbox(key="morph_path").set_value(1).run()  # blended in the first hidden layer
    assert not app.exception, app.exception
    p4 = array(chart(app, "morph_curves")["data"][0]["y"])
    assert p4[0] == pytest.approx(proba[start, 4], rel=1e-4)


@pytest.mark.parametrize("name", RUNS)
def test_attributions_and_lists_show_for_the_chosen_sample(app, home, name):
    open_view(app, home[1][name], "attributions")
    maps = chart(app, "attr_maps")["data"]
    assert len(maps) == 5  # the input and four maps
    ig = next(c.value for c in app.caption if "Integrated gradients add up" in c.value)
    assert "✅ Integrated gradients add up to" in ig, ig[ig.index("Integrated") :]
    assert len(chart(app, "attr_nearest_9")["layout"]["annotations"]) == 8
    app.session_state["samples_view"] = "lists"
    app.run()
    assert not app.exception, app.exception
    assert chart(app, "list_Most con")["data"]


def test_a_sample_every_run_gets_wrong_can_be_marked_and_the_mark_is_kept(app, home):
    from apptest_helpers import SUBSET

    from runlayer.marks import SampleMarks

    ids = home[1]
    open_view(app, ids["tiny"], "agreement")
    app.multiselect(key="agree_runs").set_value([ids["tiny"], ids["cnn"]]).run()
    store = state.get_registry().store
    stacked = np.stack([store.predictions(ids[n])[-1] for n in ("tiny", "cnn")])
    everywhere = agreement.wrong_everywhere(agreement.right_grid(stacked, subset().test_labels))
    assert len(everywhere), "two tiny runs that share no mistake: the test needs one"
    sample = int(everywhere[0])
    app.selectbox(key="mark_sample").set_value(sample)
    app.radio(key="mark_kind").set_value("mislabeled")
    app.button(key="mark_save").click().run()
    assert not app.exception, app.exception
    assert SampleMarks(home[0]).of(SUBSET) == {sample: "mislabeled"}
    titles = [t["text"] for t in chart(app, "agree_wrong")["layout"]["annotations"]]
    assert f"#{sample} true {subset().test_labels[sample]} (mislabeled)" in titles
    app.selectbox(key="mark_sample").set_value(sample)
    app.radio(key="mark_kind").set_value("no mark")
    app.button(key="mark_save").click().run()
    assert SampleMarks(home[0]).of(SUBSET) == {}
