"""Each setting is declared once, beside its NetConfig field: validation, text parsing and the
words shown to people all come from that one Spec."""

from __future__ import annotations

import dataclasses
import math

import pytest

from netlib.activations import ACTIVATIONS
from netlib.config import DTYPES, SPECS, ConfigError, NetConfig, parse_hidden
from netlib.initializers import INITIALIZERS
from netlib.losses import LOSSES
from netlib.optimizers import OPTIMIZERS
from netlib.presets import PRESETS
from netlib.schedules import SCHEDULES
from netlib.settings import Spec

NUMBERS = [name for name, spec in SPECS.items() if spec.kind in ("int", "float")]


def test_every_field_but_extra_is_declared_with_a_spec():
    names = [f.name for f in dataclasses.fields(NetConfig)]
    assert list(SPECS) == [n for n in names if n != "extra"]


@pytest.mark.parametrize("name", list(SPECS))
def test_every_spec_has_a_label_and_one_or_two_sentences_of_help(name):
    spec = SPECS[name]
    assert spec.label and spec.help.endswith(".")
    sentences = spec.help.replace("e.g.", "eg").count(". ") + 1
    assert 1 <= sentences <= 2 and 60 <= len(spec.help) <= 300, spec.help


def test_choices_are_the_engines_own_tables():
    tables = {
        "activation": ACTIVATIONS,
        "loss": LOSSES,
        "optimizer": OPTIMIZERS,
        "schedule": SCHEDULES,
        "init": INITIALIZERS,
        "dtype": DTYPES,
    }
    assert {n: s.choices for n, s in SPECS.items() if s.kind == "choice"} == tables
    assert all(SPECS[n].choices is table for n, table in tables.items())


@pytest.mark.parametrize("name", NUMBERS)
def test_validation_follows_each_declared_range_end(name):
    spec = SPECS[name]
    default = getattr(NetConfig(), name)
    for end, is_open, outward in ((spec.low, spec.low_open, -1), (spec.high, spec.high_open, 1)):
        if is_open:
            with pytest.raises(ConfigError, match=f"^{name}: "):
                NetConfig().replace(**{name: end})
        else:
            assert getattr(NetConfig().replace(**{name: end}), name) == end
        beyond = end + outward * (1 if spec.kind == "int" else 1e-3)
        with pytest.raises(ConfigError, match=f"^{name}: .* is outside"):
            NetConfig().replace(**{name: beyond})
    assert spec.contains(default)


def test_the_messages_name_the_field_and_the_range():
    cases = [
        ({"lr": -1.0}, "lr: -1.0 is outside (0.0, 10000.0]"),
        ({"momentum": 1.0}, "momentum: 1.0 is outside [0.0, 1.0)"),
        ({"epochs": 0}, "epochs: 0 is outside [1, 5000]"),
        ({"epochs": 2.0}, "epochs: must be an integer, got 2.0"),
        ({"l2": math.nan}, "l2: must be a finite number, got nan"),
        ({"activation": "swish"}, "activation: 'swish' is not one of sigmoid, tanh, relu"),
        ({"nesterov": "yes"}, "nesterov: must be true or false"),
        ({"hidden": (8,) * 9}, "hidden: at most 8 layers"),
        ({"hidden": (8193,)}, "hidden: each width must be 1..8192, got 8193"),
    ]
    for change, words in cases:
        with pytest.raises(ConfigError) as info:
            NetConfig().replace(**change)
        assert str(info.value).startswith(words)


def test_hidden_text_is_parsed_with_the_hidden_specs_limits():
    spec = SPECS["hidden"]
    assert parse_hidden(", ".join(["8"] * spec.max_items)) == (8,) * spec.max_items
    assert parse_hidden(str(spec.high)) == (spec.high,)
    for text, words in [("8," * 9, "at most 8"), ("8193", "1..8192"), ("1e3", "'1e3'")]:
        with pytest.raises(ConfigError, match=f"^hidden layers: .*{words}"):
            parse_hidden(text)


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_every_value_round_trips_through_its_text(preset_id):
    config = PRESETS[preset_id].config.replace(hidden=(), nesterov=True)
    for name, spec in SPECS.items():
        value = getattr(config, name)
        assert spec.parse(name, spec.text(value)) == value, name


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("epochs", "5.0", "epochs: '5.0' is not a whole number"),
        ("lr", "abc", "lr: 'abc' is not a number"),
        ("lr", "inf", "lr: must be a finite number"),
        ("nesterov", "yes", "nesterov: 'yes' is not 0 or 1"),
        ("dropout", "1", "dropout: 1.0 is outside [0.0, 1.0)"),
    ],
)
def test_bad_text_is_refused_naming_the_field(name, text, words):
    with pytest.raises(ConfigError) as info:
        SPECS[name].parse(name, text)
    assert str(info.value).startswith(words)


@pytest.mark.parametrize("name", NUMBERS)
def test_a_form_range_is_closed_and_inside_the_engines(name):
    spec = SPECS[name]
    if name in ("beta1", "beta2"):  # no box on the form: an open end needs no form bound
        with pytest.raises(ValueError, match="open end"):
            spec.form_range()
        return
    low, high = spec.form_range()
    assert spec.contains(low) and spec.contains(high) and low < high
    assert type(low) is type(high) is type(spec.low)  # an int setting keeps an int box


def test_a_spec_refuses_an_inconsistent_declaration():
    with pytest.raises(ValueError, match="low/high"):
        Spec("int", "Epochs", "How many.")
    with pytest.raises(ValueError, match="choices"):
        Spec("choice", "Loss", "What is minimised.")
    with pytest.raises(ValueError, match="max_items"):
        Spec("widths", "Hidden", "Widths.", low=1, high=8)
    with pytest.raises(ValueError, match="inside the engine"):
        Spec("float", "Dropout", "Off.", low=0.0, high=1.0, form_high=2.0).form_range()


def test_json_values_are_coerced_by_kind():
    config = NetConfig.from_dict({"lr": 1, "hidden": [3, 2], "nesterov": True})
    assert (config.lr, config.hidden, config.nesterov) == (1.0, (3, 2), True)
    for data, words in [
        ({"epochs": 2.5}, "epochs: must be an integer"),
        ({"lr": "0.1"}, "lr: must be a number"),
        ({"hidden": "64"}, "hidden: must be a list of integers"),
        ({"nesterov": 1}, "nesterov: must be true or false"),
        ({"loss": 3}, "loss: must be a string"),
        ({"extra": []}, "extra: must be an object"),
    ]:
        with pytest.raises(ConfigError, match=words):
            NetConfig.from_dict(data)
