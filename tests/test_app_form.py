"""The Train form model: widget values <-> config <-> URL, and refusal of absurd input."""

import pytest

from app import form
from netlib.config import ConfigError, NetConfig
from netlib.presets import PRESETS


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_every_preset_round_trips_through_the_form(preset_id):
    cfg = PRESETS[preset_id].config
    assert form.config_from_form(form.form_values(cfg, preset_id)) == cfg


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_every_preset_round_trips_through_the_url(preset_id):
    cfg = PRESETS[preset_id].config.replace(lr=0.02, hidden=(32, 16))
    query = form.to_query(cfg, preset_id)
    assert all(isinstance(v, str) for v in query.values())
    back, preset, problems = form.from_query(query)
    assert back == cfg and preset == preset_id and problems == []


def test_default_config_makes_an_empty_query():
    assert form.to_query(NetConfig()) == {}
    assert form.from_query({})[0] == NetConfig()


def test_bad_url_values_are_reported_and_skipped():
    cfg, preset, problems = form.from_query(
        {"preset": "zzz", "lr": "abc", "epochs": "0", "bogus": "1", "hidden": "none"}
    )
    assert preset == form.CUSTOM and cfg.hidden == () and cfg.lr == NetConfig().lr
    text = " ".join(problems)
    for word in ("zzz", "lr", "epochs", "bogus"):
        assert word in text


@pytest.mark.parametrize(
    ("text", "expected"), [("128, 64", (128, 64)), ("", ()), ("10;5", (10, 5)), (" 7 ", (7,))]
)
def test_hidden_text(text, expected):
    assert form.parse_hidden(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [("12, x", "'x'"), ("0", "1..8192"), ("100000", "1..8192"), ("1,1,1,1,1,1,1,1,1", "at most")],
)
def test_bad_hidden_text_is_refused(text, words):
    with pytest.raises(ConfigError, match=words):
        form.parse_hidden(text)


def test_batch_text():
    assert form.parse_batch("full batch") == 0
    assert form.parse_batch("128") == 128
    for bad in ("-3", "0.5", "lots"):
        with pytest.raises(ConfigError, match="batch size"):
            form.parse_batch(bad)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"f_lr": 0.0}, "lr"),
        ({"f_lr": -1.0}, "lr"),
        ({"f_lr": float("nan")}, "lr"),
        ({"f_epochs": 0}, "epochs"),
        ({"f_dropout": 1.0}, "dropout"),
        ({"f_hidden": "0"}, "hidden"),
    ],
)
def test_absurd_form_values_are_refused(change, words):
    values = form.form_values(NetConfig()) | change
    with pytest.raises(ConfigError, match=words):
        form.config_from_form(values)
