"""The Pair lens and its confusion timeline under AppTest, on tiny runs trained in the test.

The `home`, `app` and `empty_app` fixtures (conftest.py) train and open the RUNS below.
"""

import numpy as np
from apptest_helpers import TINY, array, chart, evaluated, goto, subset
from streamlit.testing.v1 import AppTest

from app import inspect_view, lens_view, navigation, run_picker, state, tab_state
from netlib import metrics

RUNS = {"tiny": TINY, "linear": TINY.replace(hidden=(), seed=4)}


def pick_run(at: AppTest, run_id: str) -> None:
    at.selectbox(key=run_picker.RUN_KEY).set_value(run_id).run()
    assert not at.exception, at.exception


def pair_shown(at: AppTest) -> tuple[int, int]:
    return at.selectbox(key=lens_view.A_KEY).value, at.selectbox(key=lens_view.B_KEY).value


def test_without_a_run_the_lens_says_what_to_do(empty_app):
    goto(empty_app, navigation.PAIR_LENS.script)
    assert [t.value for t in empty_app.title] == ["Pair lens"]
    assert any("No trained run yet" in i.value for i in empty_app.info)
    assert not empty_app.error


def test_the_lens_opens_on_4_and_9_and_shows_the_pair(app, home):
    run_id = home[1]["tiny"]
    goto(app, navigation.PAIR_LENS.script)
    pick_run(app, run_id)
    assert pair_shown(app) == (4, 9)
    net, y, logits, proba, pred = evaluated(run_id)
    cm = metrics.confusion_matrix(y, pred, 10)

    counts = {m.label: m.value for m in app.metric}
    assert counts["True 4 taken for 9"] == f"{cm[4, 9]} of {(y == 4).sum()}"
    assert counts["True 9 taken for 4"] == f"{cm[9, 4]} of {(y == 9).sum()}"

    bars = chart(app, "lens_margins")["data"]  # one histogram per true class
    assert [array(b["y"]).sum() for b in bars] == [(y == 4).sum(), (y == 9).sum()]
    m = metrics.margin(logits, 4, 9)
    centres = array(bars[0]["x"])
    assert centres.min() < m[y == 4].min() + 1 and centres.max() > m[y == 4].max() - 1

    means = chart(app, "lens_means")["data"]
    ds = subset()
    np.testing.assert_allclose(
        array(means[0]["z"]), ds.test_images[y == 4].mean(axis=0) / 255, atol=1e-6
    )

    for t, p in ((4, 9), (9, 4)):
        expected = metrics.cell_samples(y, pred, proba, t, p)[: lens_view.TILES]
        if len(expected) == 0:
            assert any(f"No test {t} is taken for a {p}" in s.value for s in app.success)
            continue
        titles = [a["text"] for a in chart(app, f"lens_tiles_{t}_{p}")["layout"]["annotations"]]
        assert titles == [f"#{i} {proba[i, 4]:.0%}/{proba[i, 9]:.0%}" for i in expected]

    units = chart(app, "lens_units")["layout"]["annotations"]
    assert len(units) == 8 and all(u["text"].startswith("unit ") for u in units)

    epochs = chart(app, "lens_timeline")["data"]
    cms = state.get_registry().store.confusions(run_id)
    assert array(epochs[0]["y"]).tolist() == [cms[e][4, 9] for e in sorted(cms)]
    assert array(epochs[1]["y"]).tolist() == [cms[e][9, 4] for e in sorted(cms)]


def test_a_cell_clicked_on_the_inspect_page_opens_the_lens_on_that_pair(app, home):
    goto(app, navigation.INSPECT.script)
    pick_run(app, home[1]["tiny"])
    click = {"points": [{"x": 5, "y": 3, "customdata": {"0": 3, "1": 5}}]}
    app.session_state[inspect_view.CHART_KEY] = {"selection": click}
    app.run()
    assert app.session_state[tab_state.PAIR_KEY] == (3, 5)
    app.switch_page(navigation.PAIR_LENS.script).run()
    assert not app.exception, app.exception
    # (AppTest, unlike a browser, drops the run picked on the other page: pick it again)
    pick_run(app, home[1]["tiny"])
    assert pair_shown(app) == (3, 5)
    assert any(m.label == "True 3 taken for 5" for m in app.metric)


def test_picking_classes_swapping_and_a_diagonal_pair(app, home):
    goto(app, navigation.PAIR_LENS.script)
    pick_run(app, home[1]["tiny"])
    app.selectbox(key=lens_view.B_KEY).set_value(7).run()
    assert app.session_state[tab_state.PAIR_KEY] == (4, 7)
    assert any(m.label == "True 4 taken for 7" for m in app.metric)
    next(b for b in app.button if "Swap" in b.label).click().run()
    assert pair_shown(app) == (7, 4)
    app.selectbox(key=lens_view.B_KEY).set_value(7).run()  # the same class twice
    assert not app.exception, app.exception
    _, y, _, _, pred = evaluated(home[1]["tiny"])
    partner = app.selectbox(key=lens_view.B_KEY).value
    cm = metrics.confusion_matrix(y, pred, 10)
    both = cm[7] + cm[:, 7]
    both[7] = -1
    assert partner == both.argmax()


def test_the_timeline_slider_and_a_click_on_its_matrix(app, home):
    run_id = home[1]["tiny"]
    goto(app, navigation.PAIR_LENS.script)
    pick_run(app, run_id)
    cms = state.get_registry().store.confusions(run_id)
    heat = chart(app, lens_view.CM_KEY)["data"][0]
    np.testing.assert_array_equal(array(heat["z"]), cms[2])
    app.select_slider(key=lens_view.EPOCH_KEY).set_value(1).run()
    heat = chart(app, lens_view.CM_KEY)["data"][0]
    np.testing.assert_array_equal(array(heat["z"]), cms[1])

    click = {"points": [{"x": 8, "y": 2, "customdata": {"0": 2, "1": 8}}]}
    app.session_state[lens_view.CM_KEY] = {"selection": click}
    app.run()
    assert not app.exception, app.exception
    assert pair_shown(app) == (2, 8)
    # a class picked afterwards is not undone by the click the chart still remembers
    app.selectbox(key=lens_view.A_KEY).set_value(1).run()
    assert app.selectbox(key=lens_view.A_KEY).value == 1


def test_a_network_without_hidden_layer_shows_its_weight_difference_map(app, home):
    goto(app, navigation.PAIR_LENS.script)
    pick_run(app, home[1]["linear"])
    net, _, _, _, _ = evaluated(home[1]["linear"])
    field = chart(app, "lens_wdiff")
    band = int(np.ceil(0.4 * 28))
    grid = array(field["data"][0]["z"]).astype(float)
    expected = (net.weights[0][:, 4] - net.weights[0][:, 9]).reshape(28, 28)
    np.testing.assert_allclose(grid[band:, :], expected, rtol=1e-5, atol=1e-6)
    assert not any(c.key == "lens_units" for c in app.get("plotly_chart"))
