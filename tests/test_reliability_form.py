"""Absurd hyperparameters on the Train page: refused with a message naming the field, or
clamped and said so; never a traceback and never a run with a value nobody chose."""

from __future__ import annotations

import math

import pytest
from reliability_helpers import (
    button,
    reset_app_state,
    session,
    shut_down_app_state,
    texts,
)

from app import form, state, tab_state
from netlib.config import SPECS


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "home"))
    reset_app_state()

    def open_page(**query):
        at = session()
        at.query_params.update(query)
        at.run()
        assert not at.exception
        return at

    yield open_page
    shut_down_app_state()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("lr", "0"),
        ("lr", "-1"),
        ("lr", "nan"),
        ("epochs", "0"),
        ("dropout", "1.0"),
        ("hidden", "0"),
        ("hidden", "100000"),
        ("batch_size", "-5"),
        ("l2", "nan"),
        ("seed", "-1"),
        ("val_fraction", "2"),
        ("momentum", "inf"),
    ],
)
def test_an_absurd_value_in_a_link_is_ignored_and_named(page, name, value):
    at = page(**{name: value})
    [warning] = texts(at.warning)
    assert warning.startswith(f"Ignored from the link: {name}")
    assert not at.error and not button(at, "Start training").disabled  # the defaults train


@pytest.mark.parametrize(
    ("query", "key", "shown"),
    [
        ({"dropout": "0.97"}, "f_dropout", 0.95),
        ({"optimizer": "momentum", "momentum": "0.9995"}, "f_momentum", 0.999),
        ({"init": "normal", "init_scale": "0.00001"}, "f_init_scale", 1e-4),
        ({"schedule": "step", "step_gamma": "0.001"}, "f_step_gamma", 0.01),
    ],
)
def test_a_link_value_beyond_the_form_range_is_clamped_and_said_so(page, query, key, shown):
    at = page(**query)
    [warning] = texts(at.warning)
    field = form.FIELDS[key]
    assert warning.startswith(f"Changed from the link: {field} ") and f"using {shown:g}" in warning
    assert at.number_input(key=key).value == pytest.approx(shown)
    assert float(at.query_params[field]) == pytest.approx(shown)  # the link now says so too


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("100000", "1..8192"),
        ("0", "1..8192"),
        ("-3", "1..8192"),
        ("nan", "'nan' is not a whole number"),
        ("1e3", "'1e3' is not a whole number"),
        ("64, 0, 32", "1..8192"),
        (",".join(["8"] * 9), "at most 8"),
    ],
)
def test_absurd_widths_typed_in_are_refused_and_block_start(page, text, words):
    at = page()
    at.text_input(key="f_hidden").set_value(text).run()
    assert not at.exception
    [error] = texts(at.error)
    assert error.startswith("Cannot train with these settings: hidden layers") and words in error
    assert button(at, "Start training").disabled


def test_a_batch_larger_than_the_data_is_clamped_and_said_so(page):
    at = page(dataset="digits-8x8", batch_size="100000", epochs="2")
    [note] = texts(at.info)[:1]
    assert note == (
        "Batch size 100,000 is more than the 1,293 training images: "
        "each epoch will be one full batch."
    )
    button(at, "Start training").click().run()
    registry = state.get_registry()
    run_id = at.session_state[tab_state.WATCHED_RUN_KEY]
    assert registry.wait(run_id, 60) == "finished"
    snap = registry.snapshot(run_id)
    assert (snap.batches, snap.step) == (1, 2)  # one full batch per epoch, as announced
    at.selectbox(key="f_batch").set_value("64").run()
    assert not any("full batch" in i for i in texts(at.info))


@pytest.mark.parametrize(
    ("key", "bad", "words"),
    [
        ("f_epochs", 0, "Epochs: 0 is outside the range (allowed: 1 to 5000)"),
        ("f_epochs", -5, "Epochs: -5 is outside the range (allowed: 1 to 5000)"),
        ("f_dropout", 1.0, "Dropout (hidden layers): 1 is outside the range (allowed: 0 to 0.95)"),
        ("f_l2", 11.0, "L2 weight decay: 11 is outside the range (allowed: 0 to 10)"),
        ("f_seed", -1, "Seed: -1 is outside the range (allowed: 0 to 4.29497e+09)"),
        ("f_augment_shift", 9, "Random shift (pixels): 9 is outside the range (allowed: 0 to 4)"),
    ],
)
def test_a_number_typed_out_of_range_blocks_start_and_names_the_range(page, key, bad, words):
    """The boxes have no browser-side bounds (which would keep the old value while showing
    the typed one): the server sees what was typed, says what is allowed, and Start waits."""
    at = page()
    at.number_input(key=key).set_value(bad).run()
    assert not at.exception
    [error] = texts(at.error)
    assert error.startswith("Cannot train until these are in range:") and words in error
    assert button(at, "Start training").disabled
    low, high = form.NUMBER_RANGES[key]
    at.number_input(key=key).set_value(high).run()  # put right: Start comes back
    assert not at.error and not button(at, "Start training").disabled


def test_a_number_no_browser_can_send_never_reaches_a_run(page):
    """Letters cannot be typed in a number box; forced through AppTest, NaN and infinity
    become a finite number, and the form's own check still applies."""
    at = page()
    for bad in (math.nan, math.inf, -math.inf):
        at.number_input(key="f_l2").set_value(bad).run()
        value = at.number_input(key="f_l2").value
        assert not at.exception and math.isfinite(value)
        assert not at.error and not button(at, "Start training").disabled
    assert form.range_problems({"f_l2": math.nan}, ["f_l2"]) == [
        "L2 weight decay: nan is outside the range (allowed: 0 to 10)"
    ]
    assert "'x'" in form.range_problems({"f_l2": "x"}, ["f_l2"])[0]


def test_a_hidden_box_out_of_range_does_not_block_start(page):
    at = page(optimizer="momentum")
    at.number_input(key="f_momentum").set_value(5.0).run()
    assert "Momentum: 5" in texts(at.error)[0]
    at.selectbox(key="f_optimizer").set_value("sgd").run()  # the box is gone, so is its rule
    assert not at.error and not button(at, "Start training").disabled


def test_every_number_box_is_declared_once_with_its_range_in_its_help(page):
    at = page(optimizer="momentum", init="normal", schedule="step")
    for key, box in form.NUMBER_BOXES.items():
        widget = at.number_input(key=key)
        assert widget.label == box.label and box.allowed.capitalize() in widget.help, key
        assert (widget.min, widget.max) == (None, None), key  # checked by the server instead


def test_every_control_of_the_train_form_explains_itself_with_its_settings_help(page):
    at = page(optimizer="momentum", init="normal", schedule="step")
    kinds = ("selectbox", "text_input", "number_input", "checkbox", "select_slider")
    widgets = {w.key: w for kind in kinds for w in getattr(at, kind) if w.key in form.FORM_KEYS}
    assert set(widgets) == set(form.FORM_KEYS)  # every setting of the form is on the page
    assert widgets[form.PRESET_KEY].help == form.PRESET_HELP
    for name, key in form.KEYS.items():
        assert widgets[key].help == form.help_text(name) and SPECS[name].help in widgets[key].help
        assert widgets[key].label == SPECS[name].label


@pytest.mark.browser
def test_out_of_range_numbers_typed_in_a_browser_are_refused_with_a_message(tmp_path):
    """What a person sees: a number typed out of range is named with its allowed range and
    Start is disabled until it is put right; letters cannot be typed at all."""
    from browser_helpers import browser_page, dashboard_server, require_browser

    from runlayer import RunStore

    require_browser()
    home = tmp_path / "home"
    with dashboard_server(home) as url, browser_page(1300, 1600) as page:
        page.goto(f"{url}/?epochs=2&dropout=0.1")
        page.get_by_text("Train a network").first.wait_for(timeout=30_000)
        start = page.get_by_role("button", name="Start training")
        for label, typed, allowed, fixed in (
            ("Epochs", "0", "allowed: 1 to 5000", "2"),
            ("Epochs", "-5", "allowed: 1 to 5000", "2"),
            ("Dropout (hidden layers)", "1", "allowed: 0 to 0.95", "0.1"),
        ):
            box = page.get_by_label(label, exact=True)
            box.fill(typed)
            box.press("Enter")
            error = page.get_by_text(f"{label}: {typed} is outside the range ({allowed})")
            error.wait_for(timeout=30_000)
            assert start.is_disabled()
            box.fill(fixed)
            box.press("Enter")
            error.wait_for(state="detached", timeout=30_000)
            assert start.is_enabled()
        l2 = page.get_by_label("L2 weight decay", exact=True)
        l2.fill("")
        l2.press_sequentially("nan")  # a number box takes no letters
        assert "nan" not in l2.input_value().lower()
        l2.press("Enter")
        page.wait_for_timeout(1000)
        start.click()
        page.get_by_text("Finished. Test accuracy").first.wait_for(timeout=120_000)
    store = RunStore(home)
    try:
        [record] = store.list_runs()
        cfg = record.config
        assert (cfg.epochs, cfg.dropout, record.epochs_done) == (2, 0.1, 2)
        assert math.isfinite(cfg.l2) and cfg.l2 >= 0
    finally:
        store.close()
