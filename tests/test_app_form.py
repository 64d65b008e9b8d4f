"""The Train form model: widget values <-> config <-> URL, and refusal of absurd input."""

import pytest

from app import form
from netlib.config import SPECS, ConfigError, NetConfig
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


# -- the form is built from NetConfig's specs -----------------------------------------------
def test_the_layout_places_every_setting_once_and_only_adams_betas_stay_off_the_form():
    placed = [name for row in form.LAYOUT for name in row if name]
    assert len(placed) == len(set(placed)) and set(form.SHOWN_WHEN) <= set(placed)
    assert set(SPECS) - set(form.FORM_SETTINGS) == {"beta1", "beta2"}
    assert all(len(row) in (1, 2) for row in form.LAYOUT)


def test_the_number_boxes_keep_todays_ranges_from_the_specs():
    assert form.NUMBER_RANGES == {
        "f_momentum": (0.0, 0.999),
        "f_init_scale": (1e-4, 10.0),
        "f_step_every": (1, 5000),
        "f_step_gamma": (0.01, 1.0),
        "f_epochs": (1, 5000),
        "f_l2": (0.0, 10.0),
        "f_dropout": (0.0, 0.95),
        "f_val_fraction": (0.0, 0.9),
        "f_seed": (0, 2**32 - 1),
        "f_augment_shift": (0, 4),
    }
    for key, box in form.NUMBER_BOXES.items():
        spec = SPECS[form.FIELDS[key]]
        assert (box.low, box.high) == spec.form_range() and box.label == spec.label
        assert box.help.startswith(spec.help) and box.help.endswith(f"{box.allowed[1:]}.")
    assert (form.LIVE_LR.low, form.LIVE_LR.high) == SPECS["lr"].form_range() == (1e-7, 1e4)


def test_every_control_has_its_specs_help_and_the_choices_are_the_engines():
    for name in form.FORM_SETTINGS:
        assert form.help_text(name).startswith(SPECS[name].help), name
    assert form.CHOICES["loss"] == list(SPECS["loss"].choices)
    assert form.CHOICE_LABELS["loss"]["cross_entropy"] == "softmax cross-entropy"
    assert form.CHOICE_LABELS["activation"]["relu"] == "relu"  # no label: the name


def test_links_are_read_by_the_specs():
    cfg, _, problems = form.from_query({"nesterov": "1", "beta2": "0.99", "epochs": "5.0"})
    assert (cfg.nesterov, cfg.beta2, cfg.epochs) == (True, 0.99, NetConfig().epochs)
    assert problems == ["epochs: '5.0' is not a whole number"]
    assert form.to_query(cfg) == {"nesterov": "1", "beta2": "0.99"}
