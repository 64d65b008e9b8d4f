"""Convolutional runs (trained in the test) on every page that shows a run: no traceback, and
the weight views show the first convolution's filters. (The dashboard's own CNN views are
a later issue; these pages must already take such runs.)"""

import numpy as np
from apptest_helpers import TINY, chart, goto, live_figures
from streamlit.testing.v1 import AppTest

from app import diff_view, navigation, run_picker, state, tab_state
from netlib import architecture as arch
from netlib import nets

CNN = TINY.replace(layers="conv4k5 bn pool2 dense16", seed=5)
RUNS = {"cnn": CNN, "pooled": TINY.replace(layers="pool2", seed=6), "mlp": TINY}


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]


def test_train_page_shows_a_cnn_runs_filters_matrices_and_histograms(app, home):
    app.run()
    registry = state.get_registry()
    run_id = registry.start(CNN, "watched cnn")  # the Train page watches this server's runs
    assert registry.wait(run_id, 60) == "finished"
    app.session_state[tab_state.WATCHED_RUN_KEY] = run_id
    app.run()
    _ok(app)
    assert any("Finished. Test accuracy" in s.value for s in app.success)
    tiles = live_figures(app)[f"tiles_{run_id}"]
    assert tiles["layout"]["title"]["text"].startswith("First-layer weights: 4 of 4")
    for view, title in [("Deeper layers", "5.dense: 576 → 16"), ("Histograms", "Weight")]:
        app.button_group(key=f"weight_view_{run_id}").set_value(view).run()
        _ok(app)
        shown = [f["layout"].get("title", {}).get("text", "") for f in live_figures(app).values()]
        assert any(t.startswith(title) for t in shown), shown


def test_inspect_page_takes_a_cnn_run(app, home):
    goto(app, navigation.INSPECT.script)
    app.selectbox(key=run_picker.RUN_KEY).set_value(home[1]["cnn"]).run()
    _ok(app)
    assert app.metric and any(m.value == CNN.layers for m in app.metric)
    assert chart(app, "w_tiles")["layout"]["title"]["text"].startswith("First-layer weights")


def test_pair_lens_ranks_a_cnns_channels_and_says_when_there_are_none(app, home):
    goto(app, navigation.PAIR_LENS.script)
    app.selectbox(key=run_picker.RUN_KEY).set_value(home[1]["cnn"]).run()
    _ok(app)
    titles = chart(app, "lens_units")["layout"]["annotations"]
    assert titles and all(t["text"].startswith("unit ") for t in titles)
    # what the top channels see in the first (up to 4) samples of a taken for b
    taken = int(app.metric[0].value.split(" of ")[0].replace(",", ""))
    maps = [c for c in app.get("plotly_chart") if c.key == "lens_channel_maps"]
    assert len(maps) == (1 if taken else 0)
    if taken:
        tiles = chart(app, "lens_channel_maps")["layout"]["annotations"]
        assert len(tiles) == min(4, taken) * min(8, len(titles))
        assert tiles[0]["text"].startswith("#") and " ch " in tiles[0]["text"]
    app.selectbox(key=run_picker.RUN_KEY).set_value(home[1]["pooled"]).run()
    _ok(app)
    assert any("no hidden units" in i.value for i in app.info), [i.value for i in app.info]


def test_run_diff_and_compare_take_a_cnn_next_to_an_mlp(app, home):
    ids = home[1]
    goto(app, navigation.RUN_DIFF.script)
    app.selectbox(key=diff_view.A_KEY).set_value(ids["mlp"])
    app.selectbox(key=diff_view.B_KEY).set_value(ids["cnn"]).run()
    _ok(app)
    heat = chart(app, diff_view.CHART_KEY)["data"]
    assert heat, "no fixed/introduced matrix for the MLP against the CNN"
    goto(app, navigation.COMPARE.script)
    _ok(app)
    table = app.dataframe[0].value
    shown = dict(zip(table["id"], table["architecture"], strict=True))
    assert shown[ids["cnn"]] == CNN.layers and shown[ids["mlp"]] == TINY.architecture
    # parameters and multiply-adds per image, from each run's architecture on 28×28 digits
    for name, cfg in (("cnn", CNN), ("mlp", TINY)):
        want = arch.summary(cfg.layer_specs, (1, 28, 28), 10)
        row = table[table["id"] == ids[name]].iloc[0]
        assert (row["parameters"], row["multiply-adds"]) == (want.params, want.macs)


def test_the_stored_cnn_is_a_layer_stack_with_its_filters_as_tiles(app, home):
    app.run()
    net, config, _ = state.get_registry().store.load_weights(home[1]["cnn"], "last")
    matrix, tile = nets.first_layer_tiles(net, (28, 28))
    assert config.layers == CNN.layers and tile == (5, 5) and matrix.shape == (25, 4)
    np.testing.assert_array_equal(matrix[:, 2], net.layers[0].W[2, 0].ravel())


def test_live_feature_maps_follow_a_4_through_every_layer(app, home):
    app.run()
    registry = state.get_registry()
    run_id = registry.start(CNN.replace(layers="conv4k5 pool2 conv4k3 dense16"), "feature maps")
    assert registry.wait(run_id, 60) == "finished"
    app.session_state[tab_state.WATCHED_RUN_KEY] = run_id
    app.run()
    app.button_group(key=f"weight_view_{run_id}").set_value("Feature maps").run()
    _ok(app)
    box = app.number_input(key=f"fm_sample_{run_id}")
    ds = registry.dataset(CNN.dataset)
    assert ds.test_labels[box.value] == 4  # starts on a 4 (one taken for a 9 if there is one)
    fig = live_figures(app)[f"fmaps_{run_id}_{box.value}_margin"]
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles[0].startswith("0. conv (4×24×24)") and titles[1] == "∂(logit 4 − logit 9)"
    assert len(fig["data"]) == 2 * 8  # conv, act, pool, conv, act, dense, act, output
    box.set_value(7).run()
    _ok(app)
    assert f"fmaps_{run_id}_7_margin" in live_figures(app)
    assert any("Sample 7: a " in c.value for c in app.caption)
    app.selectbox(key=f"fm_target_{run_id}").set_value("3").run()  # one logit instead
    _ok(app)
    fig = live_figures(app)[f"fmaps_{run_id}_7_3"]
    assert fig["layout"]["annotations"][1]["text"] == "∂(logit 3)"


def test_feature_maps_of_an_mlp_point_to_the_pair_lens(app, home):
    app.run()
    registry = state.get_registry()
    run_id = registry.start(TINY, "mlp maps")
    assert registry.wait(run_id, 60) == "finished"
    app.session_state[tab_state.WATCHED_RUN_KEY] = run_id
    app.run()
    app.button_group(key=f"weight_view_{run_id}").set_value("Feature maps").run()
    _ok(app)
    assert any("Pair lens" in c.value for c in app.caption)
