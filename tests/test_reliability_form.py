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

from app import form, state


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
    run_id = at.session_state["keep_run_id"]
    assert registry.wait(run_id, 60) == "finished"
    snap = registry.snapshot(run_id)
    assert (snap.batches, snap.step) == (1, 2)  # one full batch per epoch, as announced
    at.selectbox(key="f_batch").set_value("64").run()
    assert not any("full batch" in i for i in texts(at.info))


def test_values_a_browser_cannot_send_never_reach_a_run(page):
    """Number boxes refuse text and out-of-range values in the browser; forced through
    AppTest, Streamlit restores a value in range: the config stays finite and valid."""
    at = page()
    for key, bad in (("f_l2", math.nan), ("f_dropout", 1.0), ("f_epochs", 0), ("f_seed", -1)):
        at.number_input(key=key).set_value(bad).run()
        assert not at.exception
        value = at.number_input(key=key).value
        low, high = form.NUMBER_RANGES[key]
        assert math.isfinite(value) and low <= value <= high


def test_the_form_ranges_are_the_ranges_of_the_boxes(page):
    at = page(optimizer="momentum", init="normal", schedule="step")
    for key, (low, high) in form.NUMBER_RANGES.items():
        box = at.number_input(key=key)
        assert (box.min, box.max) == (low, high), key


@pytest.mark.browser
def test_out_of_range_numbers_typed_in_a_browser_are_refused_with_a_message(tmp_path):
    """What a person sees: the number box names the allowed range and keeps the last valid
    value, letters cannot be typed at all, and Start uses only valid values."""
    from browser_helpers import browser_page, dashboard_server, require_browser

    from runlayer import RunStore

    require_browser()
    home = tmp_path / "home"
    with dashboard_server(home) as url, browser_page(1300, 1600) as page:
        page.goto(f"{url}/?epochs=2&dropout=0.1")
        page.get_by_text("Train a network").first.wait_for(timeout=30_000)
        for label, typed, allowed in (
            ("Epochs", "0", "between 1 and 5000"),
            ("Epochs", "-5", "between 1 and 5000"),
            ("Dropout (hidden layers)", "1", "between 0.00 and 0.95"),
        ):
            box = page.get_by_label(label)
            box.fill(typed)
            box.press("Enter")
            holder = page.locator('[data-testid="stNumberInput"]').filter(has_text=label).first
            holder.get_by_text("Number is outside the allowed range").wait_for(timeout=10_000)
            assert allowed in holder.inner_text()
        l2 = page.get_by_label("L2 weight decay")
        l2.fill("")
        l2.press_sequentially("nan")  # a number box takes no letters
        assert "nan" not in l2.input_value().lower()
        l2.press("Enter")
        page.wait_for_timeout(1000)
        page.get_by_role("button", name="Start training").click()
        page.get_by_text("Finished. Test accuracy").first.wait_for(timeout=120_000)
    store = RunStore(home)
    try:
        [record] = store.list_runs()
        cfg = record.config
        assert (cfg.epochs, cfg.dropout, record.epochs_done) == (2, 0.1, 2)
        assert math.isfinite(cfg.l2) and cfg.l2 >= 0
    finally:
        store.close()
