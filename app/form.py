"""The Train form as plain data: widget values <-> NetConfig <-> URL query parameters.

Pure Python (no streamlit) so that every rule about what a person may type is tested without a
browser. Choices come from the engine's own tables: nothing lists them twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from netlib.activations import ACTIVATIONS
from netlib.config import DTYPES, ConfigError, NetConfig, parse_hidden
from netlib.initializers import INITIALIZERS
from netlib.losses import LOSSES
from netlib.optimizers import OPTIMIZERS
from netlib.presets import PRESETS
from netlib.schedules import SCHEDULES

CUSTOM = "custom"
BATCH_CHOICES = ["1", "8", "16", "32", "64", "128", "256", "512", "1024", "full batch"]
LR_CHOICES = [round(m * 10.0**e, 10) for e in range(-5, 2) for m in (1, 2, 5)] + [100.0]

# Widget key -> NetConfig field, for everything the form edits directly.
FIELDS = {
    "f_dataset": "dataset",
    "f_activation": "activation",
    "f_loss": "loss",
    "f_optimizer": "optimizer",
    "f_momentum": "momentum",
    "f_nesterov": "nesterov",
    "f_lr": "lr",
    "f_schedule": "schedule",
    "f_step_every": "step_every",
    "f_step_gamma": "step_gamma",
    "f_epochs": "epochs",
    "f_init": "init",
    "f_init_scale": "init_scale",
    "f_l2": "l2",
    "f_dropout": "dropout",
    "f_val_fraction": "val_fraction",
    "f_seed": "seed",
    "f_dtype": "dtype",
    "f_augment_shift": "augment_shift",
}
# Keys with a special text form.
HIDDEN_KEY, BATCH_KEY, PRESET_KEY = "f_hidden", "f_batch", "f_preset"
FORM_KEYS = [PRESET_KEY, HIDDEN_KEY, BATCH_KEY, *FIELDS]


@dataclass(frozen=True)
class NumberBox:
    """A number box of the form. The range is checked here, not by the browser: a box with
    bounds keeps its old value while a person sees the out-of-range one they typed."""

    label: str
    low: float
    high: float
    step: float | None = None
    format: str | None = None

    @property
    def widget_step(self) -> float | int | None:
        """An int step makes Streamlit's box an integer box (it shows 5, not 5.00)."""
        return 1 if self.step is None and isinstance(self.low, int) else self.step

    @property
    def allowed(self) -> str:
        return f"allowed: {self.low:g} to {self.high:g}"

    def problem(self, value: object) -> str | None:
        """Why value cannot be used (not a finite number in range), or None."""
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and math.isfinite(value) and self.low <= value <= self.high:
            return None
        shown = f"{value:g}" if number else repr(value)
        return f"{self.label}: {shown} is outside the range ({self.allowed})"


# NetConfig's ranges, or narrower where a value is never sensible here.
NUMBER_BOXES: dict[str, NumberBox] = {
    "f_momentum": NumberBox("Momentum", 0.0, 0.999, 0.05),
    "f_init_scale": NumberBox("Init scale (randn × scale)", 1e-4, 10.0, 0.01, "%g"),
    "f_step_every": NumberBox("Step every (epochs)", 1, 5000),
    "f_step_gamma": NumberBox("Step factor", 0.01, 1.0, 0.05),
    "f_epochs": NumberBox("Epochs", 1, 5000),
    "f_l2": NumberBox("L2 weight decay", 0.0, 10.0, 1e-4, "%g"),
    "f_dropout": NumberBox("Dropout (hidden layers)", 0.0, 0.95, 0.05),
    "f_val_fraction": NumberBox("Validation fraction", 0.0, 0.9, 0.05),
    "f_seed": NumberBox("Seed", 0, 2**32 - 1),
    "f_augment_shift": NumberBox("Random shift (pixels)", 0, 4),
}
NUMBER_RANGES = {key: (box.low, box.high) for key, box in NUMBER_BOXES.items()}


def range_problems(values: dict[str, Any], keys) -> list[str]:
    """One message per shown number box whose value is outside its range (or not a number)."""
    return [p for key in keys if (p := NUMBER_BOXES[key].problem(values.get(key)))]


#: The box that changes a running run's rate (app/live_view.py): NetConfig's lr range.
LIVE_LR = NumberBox("This run's learning rate", 1e-7, 1e4, format="%g")

CHOICES = {
    "activation": list(ACTIVATIONS),
    "loss": list(LOSSES),
    "optimizer": list(OPTIMIZERS),
    "schedule": list(SCHEDULES),
    "init": list(INITIALIZERS),
    "dtype": list(DTYPES),
}
LOSS_LABELS = {name: loss.label for name, loss in LOSSES.items()}


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
    kwargs: dict[str, Any] = {}
    for key, name in FIELDS.items():
        if key in values:
            value = values[key]
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{name}: must be a finite number")
            kwargs[name] = value
    kwargs["hidden"] = parse_hidden(values.get(HIDDEN_KEY, ""))
    kwargs["batch_size"] = parse_batch(values.get(BATCH_KEY, "64"))
    for name in ("epochs", "seed", "step_every", "augment_shift"):
        if name in kwargs and isinstance(kwargs[name], float) and kwargs[name].is_integer():
            kwargs[name] = int(kwargs[name])
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
            same = rec.status == "finished" and rec.config == config
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
    for name, value in config.to_dict().items():
        if name == "extra" or value == default.to_dict()[name]:
            continue
        if name == "hidden":
            out[name] = ",".join(str(h) for h in value) or "none"
        elif isinstance(value, bool):
            out[name] = "1" if value else "0"
        else:
            out[name] = str(value)
    return out


def from_query(params: dict[str, str]) -> tuple[NetConfig, str, list[str]]:
    """A config from URL parameters; anything unusable is skipped and reported, never fatal."""
    problems: list[str] = []
    preset = params.get("preset", CUSTOM)
    if preset != CUSTOM and preset not in PRESETS:
        problems.append(f"unknown preset {preset!r} in the link")
        preset = CUSTOM
    config = PRESETS[preset].config if preset != CUSTOM else NetConfig()
    fields = config.to_dict()
    for name, text in params.items():
        if name == "preset":
            continue
        if name not in fields or name == "extra":
            problems.append(f"unknown setting {name!r} in the link")
            continue
        try:
            config = config.replace(**{name: _parse_value(name, text, fields[name])})
        except ConfigError as exc:  # already names the field
            problems.append(str(exc))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    return config, preset, problems


def _parse_value(name: str, text: str, default: Any) -> Any:
    if name == "hidden":
        return () if text == "none" else parse_hidden(text)
    if isinstance(default, bool):
        if text not in ("0", "1"):
            raise ValueError(f"{text!r} is not 0 or 1")
        return text == "1"
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
    return text
