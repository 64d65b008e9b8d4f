"""What a setting of a run may be: its kind, range or choices, label and help, declared once.

Each NetConfig field (netlib/config.py) is declared with `setting(default, Spec(...))`. From
those specs come the config's validation, the parsing of text (links, the command line), the
CLI options and their --help, and the Train form's widgets, ranges and tooltips. Pure Python:
the engine stays usable without the dashboard.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("choice", "int", "float", "bool", "widths", "text", "layers")


class ConfigError(ValueError):
    """A configuration value is out of range; the message names the field."""


@dataclass(frozen=True, eq=False)
class Spec:
    """One setting. Numbers lie in low..high (an end is excluded when *_open); `choices` is the
    engine's own table (its keys are the names); `widths` is a list of up to max_items whole
    numbers in low..high. The form's box may narrow the range to form_low..form_high (always
    closed) and sets its arrow step and display format."""

    kind: str
    label: str
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Mapping[str, Any] | tuple[str, ...] = ()
    max_items: int | None = None
    form_low: float | None = None
    form_high: float | None = None
    step: float | None = None
    format: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown setting kind {self.kind!r}")
        ranged = self.kind in ("int", "float", "widths")
        if ranged != (self.low is not None and self.high is not None):
            raise ValueError(f"a {self.kind} setting {'needs' if ranged else 'has no'} low/high")
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError("choices belong to (and are required by) a choice setting")
        if (self.kind == "widths") != (self.max_items is not None):
            raise ValueError("max_items belongs to (and is required by) a widths setting")

    # -- checking -------------------------------------------------------------------------
    def check(self, name: str, value: Any) -> None:
        """Refuse a value the engine cannot train with, naming the field and what is allowed."""
        if self.kind == "choice":
            if value not in self.choices:
                raise ConfigError(f"{name}: {value!r} is not one of {', '.join(self.choices)}")
        elif self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{name}: must be true or false")
        elif self.kind == "text":
            if not isinstance(value, str):
                raise ConfigError(f"{name}: must be a string, got {value!r}")
        elif self.kind == "layers":
            _layers_text(name, value)
        elif self.kind == "widths":
            if len(value) > self.max_items:
                raise ConfigError(f"{name}: at most {self.max_items} layers")
            for w in value:
                if not _is_int(w) or not self.low <= w <= self.high:
                    raise ConfigError(
                        f"{name}: each width must be {self.low}..{self.high}, got {w}"
                    )
        elif self.kind == "int":
            if not _is_int(value):
                raise ConfigError(f"{name}: must be an integer, got {value!r}")
            if not self.low <= value <= self.high:
                raise ConfigError(f"{name}: {value} is outside [{self.low}, {self.high}]")
        else:
            if not _is_number(value) or not math.isfinite(value):
                raise ConfigError(f"{name}: must be a finite number, got {value!r}")
            if not self.contains(value):
                lo, hi = "(["[not self.low_open], ")]"[not self.high_open]
                raise ConfigError(f"{name}: {value} is outside {lo}{self.low}, {self.high}{hi}")

    def contains(self, value: float) -> bool:
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        return not (too_low or too_high)

    # -- text (links, the command line) and JSON ------------------------------------------------
    def parse(self, name: str, text: str) -> Any:
        """A checked value from its text form; ConfigError names the field otherwise."""
        text = str(text)
        value: Any = text
        if self.kind == "widths":
            value = () if text.strip().lower() == "none" else _widths(name, text)
        elif self.kind == "layers":
            value = _layers_text(name, text)
        elif self.kind == "bool":
            if text not in ("0", "1"):
                raise ConfigError(f"{name}: {text!r} is not 0 or 1")
            value = text == "1"
        elif self.kind == "int":
            try:
                value = int(text)
            except ValueError:
                raise ConfigError(f"{name}: {text!r} is not a whole number") from None
        elif self.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise ConfigError(f"{name}: {text!r} is not a number") from None
        self.check(name, value)
        return value

    def text(self, value: Any) -> str:
        """The text form parse() reads back (a link's parameter)."""
        if self.kind == "widths":
            return ",".join(str(w) for w in value) or "none"
        if self.kind == "bool":
            return "1" if value else "0"
        return str(value)

    def coerce(self, name: str, value: Any) -> Any:
        """A value of the right type from untrusted JSON (the range is check()'s job)."""
        if self.kind == "widths":
            if not isinstance(value, list | tuple) or not all(_is_int(v) for v in value):
                raise ConfigError(f"{name}: must be a list of integers")
            return tuple(int(v) for v in value)
        if self.kind == "layers":  # the text form, or the JSON form (a list of layer objects)
            return _layers_text(name, value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{name}: must be true or false")
            return value
        if self.kind == "int":
            if not _is_int(value):
                raise ConfigError(f"{name}: must be an integer, got {value!r}")
            return int(value)
        if self.kind == "float":
            if not _is_number(value):
                raise ConfigError(f"{name}: must be a number, got {value!r}")
            return float(value)
        if not isinstance(value, str):
            raise ConfigError(f"{name}: must be a string, got {value!r}")
        return value

    # -- words for people -------------------------------------------------------------------
    def allowed(self) -> str:
        """What may be given, in words ('1 to 5,000', 'more than 0, at most 10,000', ...)."""
        if self.kind == "choice":
            return ", ".join(self.choices)
        if self.kind == "bool":
            return "on or off"
        if self.kind == "text":
            return "a name"
        if self.kind == "layers":
            return "layer tokens such as conv16k5 pool2 dense128 (see netlib/architecture.py)"
        if self.kind == "widths":
            return f"up to {self.max_items} layers of {self.low} to {_num(self.high)} units"
        if not (self.low_open or self.high_open):
            return f"{_num(self.low)} to {_num(self.high)}"
        low = f"more than {_num(self.low)}" if self.low_open else f"at least {_num(self.low)}"
        high = f"less than {_num(self.high)}" if self.high_open else f"at most {_num(self.high)}"
        return f"{low}, {high}"

    def form_range(self) -> tuple[float, float]:
        """The form's box range: closed, the engine's or narrower where declared so."""
        low = self.low if self.form_low is None else self.form_low
        high = self.high if self.form_high is None else self.form_high
        if (self.low_open and self.form_low is None) or (self.high_open and self.form_high is None):
            raise ValueError(f"{self.label}: an open end needs a closed form_low/form_high")
        if not (self.contains(low) and self.contains(high) and low <= high):
            raise ValueError(f"{self.label}: the form range must lie inside the engine's")
        return low, high


def setting(default: Any, spec: Spec) -> Any:
    """A dataclass field declared with its spec (read back by `specs_of`)."""
    return field(default=default, metadata={"spec": spec})


def specs_of(cls: type) -> dict[str, Spec]:
    """Field name -> Spec, in declaration order, for the fields declared with `setting`."""
    return {
        f.name: f.metadata["spec"]
        for f in cls.__dataclass_fields__.values()
        if "spec" in f.metadata
    }


def _layers_text(name: str, value: Any) -> str:
    """An architecture's canonical text form from its text or JSON form; the error names the
    field and the token (netlib.architecture, imported here: it imports this module)."""
    from netlib import architecture

    try:
        specs = (
            architecture.parse(value) if isinstance(value, str) else architecture.from_json(value)
        )
    except architecture.ArchitectureError as error:
        raise architecture.ArchitectureError(f"{name}: {error}", error.position) from None
    return architecture.to_text(specs)


def _widths(name: str, text: str) -> tuple[int, ...]:
    widths = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        try:
            widths.append(int(part))
        except ValueError:
            raise ConfigError(f"{name}: {part!r} is not a whole number") from None
    return tuple(widths)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _num(x: float) -> str:
    return f"{x:,}" if _is_int(x) else f"{x:g}"
