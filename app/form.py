"""The Train form as plain data: widget values <-> NetConfig <-> URL query parameters.

Pure Python (no streamlit) so that every rule about what a person may type is tested without a
browser. Labels, ranges, choices and help come from NetConfig's specs (netlib/config.py):
nothing here restates a limit; this module only says where each setting sits on the form.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netlib.config import SPECS, ConfigError, NetConfig, parse_hidden
from netlib.presets import PRESETS
from netlib.settings import Spec
from runlayer.records import RunStatus

CUSTOM = "custom"
BATCH_CHOICES = ["1", "8", "16", "32", "64", "128", "256", "512", "1024", "full batch"]
# The rate box's ticks: 1-2-5 steps, within the range the setting's Spec allows.
LR_CHOICES = [
    v
    for v in [round(m * 10.0**e, 10) for e in range(-5, 2) for m in (1, 2, 5)] + [100.0]
    if SPECS["lr"].low <= v <= SPECS["lr"].high
]
PRESET_HELP = (
    "Fills every setting below from a known configuration; its source, what it claims and "
    "what it reached here are shown under the data set. Change any setting afterwards."
)

#: Below the preset, the data set and the architecture (drawn first, with the preset's claim
#: and the memory estimate): rows of settings. A row's first setting goes in the left column,
#: its second in the right; a one-setting row spans the width, and the next row starts new
#: columns. The columns stack independently, as Streamlit's do.
LAYOUT: tuple[tuple[str | None, ...], ...] = (
    ("activation", "loss"),
    ("optimizer", "init"),
    ("momentum", "nesterov"),
    ("init_scale",),
    ("lr",),
    ("schedule", "step_every"),
    (None, "step_gamma"),
    ("batch_size", "epochs"),
    ("l2", "dropout"),
    ("val_fraction", "seed"),
    ("dtype", "augment_shift"),
)
#: Settings shown only while another has a given value (the rest are always shown).
SHOWN_WHEN = {
    "momentum": ("optimizer", "momentum"),
    "nesterov": ("optimizer", "momentum"),
    "init_scale": ("init", "normal"),
    "step_every": ("schedule", "step"),
    "step_gamma": ("schedule", "step"),
}
FORM_SETTINGS = (
    "dataset", "hidden", "layers", *(name for row in LAYOUT for name in row if name)
)  # fmt: skip

#: Widget key of each setting on the form (kept stable: links and tests address them).
KEYS = {name: "f_batch" if name == "batch_size" else f"f_{name}" for name in FORM_SETTINGS}
HIDDEN_KEY, BATCH_KEY, PRESET_KEY = KEYS["hidden"], KEYS["batch_size"], "f_preset"
# Widget key -> NetConfig field, for everything the form edits directly (not through text).
FIELDS = {key: name for name, key in KEYS.items() if key not in (HIDDEN_KEY, BATCH_KEY)}
FORM_KEYS = [PRESET_KEY, HIDDEN_KEY, BATCH_KEY, *FIELDS]

_BY_KIND = {
    "choice": "select", "bool": "checkbox", "widths": "text", "layers": "text", "int": "number",
    "float": "number",
}  # fmt: skip
_OWN_WIDGET = {"dataset": "data_set", "lr": "log_slider", "batch_size": "batch"}
#: The widget each setting is drawn with: by its kind, but the data set from this server's
#: sets, the learning rate on a log slider and the batch size as sizes or "full batch".
WIDGETS = {name: _OWN_WIDGET.get(name) or _BY_KIND[SPECS[name].kind] for name in FORM_SETTINGS}


def shown(name: str, values: Mapping[str, Any]) -> bool:
    """Whether the setting's widget is on the form, given the widget values."""
    if name not in SHOWN_WHEN:
        return True
    other, wanted = SHOWN_WHEN[name]
    return values.get(KEYS[other]) == wanted


@dataclass(frozen=True)
class NumberBox:
    """A number box of the form. The range is checked here, not by the browser: a box with
    bounds keeps its old value while a person sees the out-of-range one they typed."""

    label: str
    low: float
    high: float
    step: float | None = None
    format: str | None = None
    about: str = ""  # what the setting does (its spec's help)

    @classmethod
    def of(cls, spec: Spec, **changes: Any) -> NumberBox:
        """The box of a setting: its label, its form range (the engine's or narrower), help."""
        low, high = spec.form_range()
        box = cls(spec.label, low, high, spec.step, spec.format, spec.help)
        return dataclasses.replace(box, **changes)

    @property
    def widget_step(self) -> float | int | None:
        """An int step makes Streamlit's box an integer box (it shows 5, not 5.00)."""
        return 1 if self.step is None and isinstance(self.low, int) else self.step

    @property
    def allowed(self) -> str:
        return f"allowed: {self.low:g} to {self.high:g}"

    @property
    def help(self) -> str:
        """The tooltip: what the setting does, then its range."""
        return f"{self.about} {self.allowed.capitalize()}.".lstrip()

    def problem(self, value: object) -> str | None:
        """Why value cannot be used (not a finite number in range), or None."""
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and math.isfinite(value) and self.low <= value <= self.high:
            return None
        shown = f"{value:g}" if number else repr(value)
        return f"{self.label}: {shown} is outside the range ({self.allowed})"


NUMBER_BOXES: dict[str, NumberBox] = {
    KEYS[name]: NumberBox.of(SPECS[name]) for name, w in WIDGETS.items() if w == "number"
}
NUMBER_RANGES = {key: (box.low, box.high) for key, box in NUMBER_BOXES.items()}


def range_problems(values: dict[str, Any], keys) -> list[str]:
    """One message per shown number box whose value is outside its range (or not a number)."""
    return [p for key in keys if (p := NUMBER_BOXES[key].problem(values.get(key)))]


#: The box that changes a running run's rate (app/live_view.py): the lr setting's form range.
LIVE_LR = NumberBox.of(SPECS["lr"], label="This run's learning rate")

CHOICES = {name: list(SPECS[name].choices) for name, w in WIDGETS.items() if w == "select"}


def _choice_labels(table: Mapping[str, Any] | tuple[str, ...]) -> dict[str, str]:
    entries = table.items() if isinstance(table, Mapping) else ((c, None) for c in table)
    return {c: getattr(entry, "label", c) for c, entry in entries}


#: How a choice is shown: its engine entry's label where it has one (the losses), else its name.
CHOICE_LABELS = {name: _choice_labels(SPECS[name].choices) for name in CHOICES}


def help_text(name: str) -> str:
    """The tooltip of a setting's widget: its spec's help, and what may be typed in a box."""
    if KEYS[name] in NUMBER_BOXES:
        return NUMBER_BOXES[KEYS[name]].help
    spec = SPECS[name]
    return f"{spec.help} Allowed: {spec.allowed()}." if spec.kind == "widths" else spec.help


def hidden_text(hidden: tuple[int, ...]) -> str:
    return ", ".join(str(h) for h in hidden)


def batch_text(batch_size: int) -> str:
    return "full batch" if batch_size <= 0 else str(batch_size)


def parse_batch(text: str) -> int:
    text = str(text).strip().lower()
    if text in ("full", "full batch", "0"):
        return 0
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"batch size: {text!r} is not a whole number or 'full batch'") from None
    if value < 1:
        raise ConfigError("batch size: must be at least 1 (or 'full batch')")
    return value


def form_values(config: NetConfig, preset: str = CUSTOM) -> dict[str, Any]:
    """Widget values that show `config` (what choosing a preset or opening a link fills in)."""
    values: dict[str, Any] = {key: getattr(config, name) for key, name in FIELDS.items()}
    values[HIDDEN_KEY] = hidden_text(config.hidden)
    values[BATCH_KEY] = batch_text(config.batch_size)
    values[PRESET_KEY] = preset
    return values


def clamp_to_ranges(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Bring values (from a link) into the number boxes' ranges, saying what changed.

    Streamlit would otherwise silently reset an out-of-range box to its minimum.
    """
    out, notes = dict(values), []
    for key, (low, high) in NUMBER_RANGES.items():
        value = out.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            clamped = type(value)(min(max(value, low), high))
            if clamped != value:
                out[key] = clamped
                notes.append(
                    f"{FIELDS[key]} {value:g} is outside {low:g}..{high:g}: using {clamped:g}"
                )
    return out, notes


def batch_note(batch_size: int, train_images: int | None) -> str | None:
    """Say so when the trainer will shrink the batch to the whole training set."""
    if train_images is None or batch_size <= train_images:
        return None
    return (
        f"Batch size {batch_size:,} is more than the {train_images:,} training images: "
        "each epoch will be one full batch."
    )


def config_from_form(values: dict[str, Any]) -> NetConfig:
    """Widget values -> a validated config; raises ConfigError naming the field at fault."""
    kwargs: dict[str, Any] = {name: values[key] for key, name in FIELDS.items() if key in values}
    kwargs["hidden"] = parse_hidden(values.get(HIDDEN_KEY, ""))
    kwargs["batch_size"] = parse_batch(values.get(BATCH_KEY, "64"))
    for name, value in kwargs.items():  # a whole number from a box may arrive as 5.0
        if SPECS[name].kind == "int" and isinstance(value, float) and value.is_integer():
            kwargs[name] = int(value)
    try:
        return NetConfig(**kwargs)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None


def preset_config(preset_id: str) -> NetConfig:
    return PRESETS[preset_id].config


def preset_claim(preset_id: str) -> str:
    """The source's figure with the data it was measured on (rarely the data chosen here)."""
    preset = PRESETS[preset_id]
    return f"Source: {preset.source}. Claimed: {preset.claim}, measured on {preset.claim_data}."


def preset_measured(preset_id: str, dataset: str, dataset_label: str, records) -> str:
    """What this preset reached here on `dataset`: the finished runs of exactly its config."""
    config = PRESETS[preset_id].config.replace(dataset=dataset)
    scores = []
    for rec in records:
        try:
            same = rec.status == RunStatus.FINISHED and rec.config == config
        except (ConfigError, ValueError, TypeError, KeyError, RecursionError):
            continue  # an unreadable stored run (the Compare page names it)
        if same and rec.final_test_acc is not None:
            scores.append(rec.final_test_acc)
    if not scores:
        return (
            f"Not measured on {dataset_label} yet: start it to see what it reaches here "
            "(the result is kept with the run)."
        )
    runs = f"{len(scores)} finished runs: best {max(scores):.2%}" if len(scores) > 1 else "1 run"
    return f"Measured here on {dataset_label}: {scores[-1]:.2%} test accuracy ({runs})."


# -- the URL -------------------------------------------------------------------------------
def to_query(config: NetConfig, preset: str = CUSTOM) -> dict[str, str]:
    """Only what differs from the defaults, so a shared link stays short and readable."""
    default = NetConfig()
    out: dict[str, str] = {"preset": preset} if preset != CUSTOM else {}
    for name, spec in SPECS.items():
        value = getattr(config, name)
        if value != getattr(default, name):
            out[name] = spec.text(value)
    return out


def from_query(params: dict[str, str]) -> tuple[NetConfig, str, list[str]]:
    """A config from URL parameters; anything unusable is skipped and reported, never fatal."""
    problems: list[str] = []
    preset = params.get("preset", CUSTOM)
    if preset != CUSTOM and preset not in PRESETS:
        problems.append(f"unknown preset {preset!r} in the link")
        preset = CUSTOM
    config = PRESETS[preset].config if preset != CUSTOM else NetConfig()
    for name, text in params.items():
        if name == "preset":
            continue
        if name not in SPECS:
            problems.append(f"unknown setting {name!r} in the link")
            continue
        try:
            config = config.replace(**{name: SPECS[name].parse(name, text)})
        except ConfigError as exc:  # already names the field
            problems.append(str(exc))
    return config, preset, problems
