"""The Train page under AppTest: presets fill the form, bad values are refused, a run finishes."""

import time
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import array, clear_caches, live_figures, poll_page
from streamlit.testing.v1 import AppTest

from app import navigation, state, tab_state
from netlib.config import MAX_EPOCHS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "home"))
    clear_caches()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    yield at
    state.get_registry().shutdown()
    clear_caches()


def _button(at, words):
    return next(b for b in at.button if words in b.label)


def test_page_opens_with_the_default_settings(app):
    app.run()
    assert not app.exception
    assert app.selectbox(key="f_dataset").value == "mnist-sample"
    assert app.selectbox(key="f_preset").value == "custom"
    assert any("Start training" in m.value for m in app.info) or app.info


def test_choosing_a_preset_fills_the_controls(app):
    app.run()
    app.selectbox(key="f_preset").set_value("tiny-relu").run()
    assert app.text_input(key="f_hidden").value == "10"
    assert app.selectbox(key="f_activation").value == "relu"
    assert app.selectbox(key="f_batch").value == "full batch"
    assert app.number_input(key="f_epochs").value == 200
    # any control can still be changed afterwards
    app.text_input(key="f_hidden").set_value("32, 16").run()
    assert not app.error
    assert app.query_params["hidden"] == ["32,16"] or app.query_params["hidden"] == "32,16"


def test_a_preset_says_where_its_claim_was_measured_and_what_it_reaches_here(app):
    from netlib.presets import PRESETS

    app.run()
    app.selectbox(key="f_preset").set_value("classic-sigmoid").run()
    captions = [c.value for c in app.caption]
    assert any("Claimed: 95.75 %" in c and "measured on the full MNIST test set" in c
               for c in captions)  # fmt: skip
    assert any(c.startswith("Not measured on MNIST sample") for c in captions), captions

    store = state.get_registry().store
    preset = PRESETS["classic-sigmoid"].config
    for config, acc in ((preset, 0.931), (preset, 0.912), (preset.replace(lr=0.1), 0.99)):
        run_id = store.create_run(config, "stored")
        store.update_run(run_id, status="finished", final_test_acc=acc)
    app.run()
    captions = [c.value for c in app.caption]
    assert "Measured here on MNIST sample" in " ".join(captions)
    [line] = [c for c in captions if c.startswith("Measured here")]
    assert "91.20% test accuracy (2 finished runs: best 93.10%)" in line  # the latest first
    app.selectbox(key="f_dataset").set_value("digits-8x8").run()  # not measured on this data
    assert any(c.startswith("Not measured on") for c in (c.value for c in app.caption))


def test_the_memory_estimate_sits_beside_the_architecture(app):
    app.run()
    order = [(node.type, getattr(node, "key", None) or getattr(node, "value", ""))
             for node in _in_order(app.main)]  # fmt: skip
    hidden = order.index(("text_input", "f_hidden"))
    assert order[hidden + 1] == ("text_input", "f_layers")  # the two ways to say the network
    kind, text = order[hidden + 2]
    assert kind == "caption" and "memory ≈" in text and text.startswith("784-64-10")


def test_layers_typed_in_the_form_are_checked_against_the_images(app):
    app.run()
    app.text_input(key="f_layers").set_value("conv8k5 pool2 conv8k5 pool2 conv8k5").run()
    assert not app.exception, app.exception
    shown = [e.value for e in app.error]
    assert any("token 5 'conv8k5'" in e and "smaller than the kernel" in e for e in shown), shown
    assert _button(app, "Start training").disabled
    app.text_input(key="f_layers").set_value("conv8k5 pool2 dense32").run()
    captions = [c.value for c in app.caption if "memory ≈" in c.value]
    assert captions and captions[0].startswith("28×28 → conv8k5 pool2 dense32 → 10 · ")
    assert f"{8 * 26 + 32 * (8 * 12 * 12 + 1) + 330:,} parameters" in captions[0]
    assert not _button(app, "Start training").disabled


def _in_order(node):
    """Every element under node, in the order a person reads the page."""
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for key in sorted(children):
        yield from _in_order(children[key])


def test_a_link_reopens_its_configuration(app):
    app.query_params["preset"] = "wide-relu"
    app.query_params["lr"] = "0.02"
    app.query_params["bogus"] = "1"
    app.run()
    assert not app.exception
    assert app.text_input(key="f_hidden").value == "256"
    assert app.select_slider(key="f_lr").value == pytest.approx(0.02)
    assert any("bogus" in w.value for w in app.warning)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("f_hidden", "12, x", "'x'"),
        ("f_hidden", "0", "1..8192"),
        ("f_hidden", "1,2,3,4,5,6,7,8,9", "at most"),
    ],
)
def test_bad_control_values_show_an_error_and_disable_start(app, key, value, words):
    app.run()
    app.text_input(key=key).set_value(value).run()
    assert not app.exception
    assert any(words in e.value for e in app.error)
    assert _button(app, "Start training").disabled


def test_start_trains_and_streams_until_finished(app):
    app.run()
    app.text_input(key="f_hidden").set_value("16").run()
    app.number_input(key="f_epochs").set_value(2).run()
    _button(app, "Start training").click().run()
    assert not app.exception
    assert poll_page(app, lambda at: any("Finished" in s.value for s in at.success))
    run_id = app.session_state[tab_state.WATCHED_RUN_KEY]
    charts = live_figures(app)
    assert {f"loss_{run_id}", f"acc_{run_id}", f"tiles_{run_id}"} <= set(charts)
    assert charts[f"loss_{run_id}"]["layout"]["title"]["text"] == "Loss"
    records = state.get_registry().store.list_runs()
    assert len(records) == 1 and records[0].status == "finished"
    assert records[0].epochs_done == 2


def _chart_titles(app) -> list[str]:
    return [f["layout"].get("title", {}).get("text", "") for f in live_figures(app).values()]


def test_weight_views_show_one_chart_at_a_time(app):
    app.run()
    app.text_input(key="f_hidden").set_value("16").run()
    app.number_input(key="f_epochs").set_value(1).run()
    _button(app, "Start training").click().run()
    assert poll_page(app, lambda at: any("Finished" in s.value for s in at.success))
    run_id = app.session_state[tab_state.WATCHED_RUN_KEY]
    titles = _chart_titles(app)
    assert any(t.startswith("First-layer weights: 16 of 16") for t in titles)
    assert not any(t.startswith(("layer 2", "Weights")) for t in titles)
    view = app.button_group(key=f"weight_view_{run_id}")
    view.set_value("Deeper layers").run()
    titles = _chart_titles(app)
    assert "layer 2: 16 → 10" in titles and not any(t.startswith("First-layer") for t in titles)
    app.button_group(key=f"weight_view_{run_id}").set_value("Histograms").run()
    # weights, and the hidden layer's activations on the first 256 test images
    assert "Weights, and activations on 256 test images" in _chart_titles(app)


def test_a_diverging_run_shows_its_reason(app):
    app.run()
    app.selectbox(key="f_activation").set_value("relu").run()
    app.number_input(key="f_epochs").set_value(3).run()
    app.select_slider(key="f_lr").set_value(100.0).run()
    _button(app, "Start training").click().run()
    assert poll_page(app, lambda at: any("diverged" in e.value for e in at.error))
    assert any("lower the learning rate" in e.value for e in app.error)


def test_settings_survive_a_trip_to_another_page(app):
    app.run()
    app.selectbox(key="f_preset").set_value("wide-relu").run()
    app.text_input(key="f_hidden").set_value("300").run()
    app.switch_page(navigation.COMPARE.script).run()
    assert not app.exception
    app.switch_page(navigation.TRAIN.script).run()
    assert not app.exception
    assert app.text_input(key="f_hidden").value == "300"
    assert app.selectbox(key="f_activation").value == "relu"
    assert app.select_slider(key="f_lr").value == 0.1


def _snap(app):
    return state.get_registry().snapshot(app.session_state[tab_state.WATCHED_RUN_KEY])


def _start_long_run(app) -> str:
    """Start a run of the most epochs allowed from the page (it trains until stopped)."""
    app.run()
    app.text_input(key="f_hidden").set_value("16").run()
    app.number_input(key="f_epochs").set_value(MAX_EPOCHS).run()
    _button(app, "Start training").click().run()
    return app.session_state[tab_state.WATCHED_RUN_KEY]


def test_pause_resume_a_new_rate_and_stop_from_the_page(app):
    run_id = _start_long_run(app)
    assert poll_page(app, lambda at: _snap(at).status == "running" and _snap(at).step > 0)

    app.button(key=f"pause_{run_id}").click().run()
    assert poll_page(app, lambda at: _snap(at).status == "paused" and _snap(at).held)
    assert any("paused" in m.value for m in app.markdown)
    step = _snap(app).step
    time.sleep(0.5)
    assert _snap(app).step == step  # paused: no batch runs

    app.number_input(key=f"lr_{run_id}").set_value(0.0125).run()
    app.button(key=f"apply_lr_{run_id}").click().run()
    assert not app.exception
    app.button(key=f"resume_{run_id}").click().run()
    assert poll_page(app, lambda at: _snap(at).step > step + 5)
    assert _snap(app).lr == 0.0125  # the running run took the new rate
    assert poll_page(app, lambda at: "lr 0.0125" in at.get("progress")[0].proto.text)
    assert app.number_input(key=f"lr_{run_id}").label == "This run's learning rate (now 0.0125)"

    app.button(key=f"stop_{run_id}").click().run()
    assert poll_page(app, lambda at: any("Stopped" in w.value for w in at.warning))
    record = state.get_registry().store.get_run(run_id)
    assert record.status == "stopped" and record.epochs_done < MAX_EPOCHS


def test_the_running_runs_controls_are_apart_from_the_next_runs_form(app):
    run_id = _start_long_run(app)
    assert poll_page(app, lambda at: _snap(at).status == "running")
    captions = [c.value for c in app.caption]
    assert any("These settings configure the next run" in c for c in captions)
    assert any("**Steer this run** while it trains" in c for c in captions)
    assert [h.value for h in app.subheader][:1] == ["Next run"]

    live_lr = app.number_input(key=f"lr_{run_id}")
    assert live_lr.label.startswith("This run's learning rate") and "1e-07 to 10000" in live_lr.help
    live_lr.set_value(5e4).run()  # typed out of range: named, and nothing is applied
    assert any("outside the range (allowed: 1e-07 to 10000)" in e.value for e in app.error)
    assert app.button(key=f"apply_lr_{run_id}").disabled
    app.select_slider(key="f_lr").set_value(0.5).run()  # the form's rate: the next run's
    assert _snap(app).lr == _snap(app).config.lr != 0.5

    app.button(key=f"stop_{run_id}").click().run()
    assert poll_page(app, lambda at: any("Stopped" in w.value for w in at.warning))
    app.run()
    keys = {b.key for b in app.button}
    assert not keys & {f"pause_{run_id}", f"stop_{run_id}", f"apply_lr_{run_id}"}


def test_every_choice_made_on_the_page_reaches_the_run(app):
    app.run()
    choices = {
        "f_dataset": "digits-8x8",
        "f_activation": "tanh",
        "f_loss": "mse",
        "f_optimizer": "adam",
        "f_schedule": "cosine",
        "f_init": "xavier",
        "f_dtype": "float64",
    }
    for key, value in choices.items():
        app.selectbox(key=key).set_value(value).run()
    app.text_input(key="f_hidden").set_value("24, 12").run()
    for key, value in (("f_epochs", 2), ("f_l2", 0.001), ("f_dropout", 0.2), ("f_seed", 7)):
        app.number_input(key=key).set_value(value).run()
    app.select_slider(key="f_lr").set_value(0.01).run()
    _button(app, "Start training").click().run()
    assert poll_page(app, lambda at: any("Finished" in s.value for s in at.success))
    [record] = state.get_registry().store.list_runs()
    cfg = record.config
    assert (cfg.dataset, cfg.activation, cfg.loss, cfg.optimizer) == (
        "digits-8x8", "tanh", "mse", "adam",
    )  # fmt: skip
    assert (cfg.schedule, cfg.init, cfg.dtype, cfg.hidden) == (
        "cosine",
        "xavier",
        "float64",
        (24, 12),
    )
    assert (cfg.epochs, cfg.l2, cfg.dropout, cfg.seed, cfg.lr) == (2, 0.001, 0.2, 7, 0.01)
    net, _, _ = state.get_registry().store.load_weights(record.id)
    assert net.sizes == [64, 24, 12, 10] and net.weights[0].dtype == "float64"


def test_the_weight_heatmap_changes_while_the_run_trains(app):
    run_id = _start_long_run(app)
    tiles = f"tiles_{run_id}"
    assert poll_page(app, lambda at: tiles in live_figures(at))
    first = array(live_figures(app)[tiles]["data"][0]["z"]).copy()
    assert poll_page(
        app, lambda at: not np.array_equal(array(live_figures(at)[tiles]["data"][0]["z"]), first)
    )  # the page's next polls show newer weights, with the run still going
    assert _snap(app).status == "running"
    state.get_registry().stop(run_id)
