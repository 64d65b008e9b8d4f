"""One frozen object describes a run; it round-trips through JSON for the store, URL and files."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

from netlib.activations import ACTIVATIONS
from netlib.initializers import INITIALIZERS
from netlib.losses import LOSSES
from netlib.optimizers import OPTIMIZERS
from netlib.schedules import SCHEDULES

DTYPES = ("float32", "float64")
MAX_WIDTH = 8192
MAX_EPOCHS = 5000
MAX_LAYERS = 8


class ConfigError(ValueError):
    """A configuration value is out of range; the message names the field."""


@dataclass(frozen=True)
class NetConfig:
    dataset: str = "mnist-sample"
    hidden: tuple[int, ...] = (64,)
    activation: str = "sigmoid"
    loss: str = "cross_entropy"
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    schedule: str = "constant"
    step_every: int = 10
    step_gamma: float = 0.5
    batch_size: int = 64  # 0 means full batch
    epochs: int = 10
    init: str = "he"
    init_scale: float = 0.1
    l2: float = 0.0
    dropout: float = 0.0
    val_fraction: float = 0.1
    seed: int = 0
    dtype: str = "float32"
    augment_shift: int = 0  # random translation in pixels, 0 = off
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        self.validate()

    def validate(self) -> None:
        """Refuse values the engine cannot train with, naming the field and the allowed range."""
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("loss", self.loss, LOSSES)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("init", self.init, INITIALIZERS)
        _choice("dtype", self.dtype, DTYPES)
        if len(self.hidden) > MAX_LAYERS:
            raise ConfigError(f"hidden: at most {MAX_LAYERS} hidden layers")
        for w in self.hidden:
            if not 1 <= w <= MAX_WIDTH:
                raise ConfigError(f"hidden: each width must be 1..{MAX_WIDTH}, got {w}")
        _number("lr", self.lr, low=0.0, high=1e4, low_open=True)
        _number("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        _number("beta1", self.beta1, low=0.0, high=1.0, high_open=True)
        _number("beta2", self.beta2, low=0.0, high=1.0, high_open=True)
        _number("step_gamma", self.step_gamma, low=0.0, high=1.0, low_open=True)
        _number("init_scale", self.init_scale, low=0.0, high=10.0, low_open=True)
        _number("l2", self.l2, low=0.0, high=10.0)
        _number("dropout", self.dropout, low=0.0, high=1.0, high_open=True)
        _number("val_fraction", self.val_fraction, low=0.0, high=0.9)
        _integer("batch_size", self.batch_size, low=0, high=10_000_000)
        _integer("epochs", self.epochs, low=1, high=MAX_EPOCHS)
        _integer("step_every", self.step_every, low=1, high=MAX_EPOCHS)
        _integer("seed", self.seed, low=0, high=2**32 - 1)
        _integer("augment_shift", self.augment_shift, low=0, high=4)

    def replace(self, **changes: Any) -> NetConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> NetConfig:
        """Build from untrusted JSON-like data: unknown keys and wrong types are errors."""
        if not isinstance(data, dict):
            raise ConfigError("config must be a JSON object")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            kwargs[name] = _coerce(name, value, known[name].default)
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> NetConfig:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ConfigError(f"config is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    @property
    def architecture(self) -> str:
        return "-".join(str(h) for h in self.hidden) or "none"


def _coerce(name: str, value: Any, default: Any) -> Any:
    if name == "hidden":
        if not isinstance(value, list | tuple) or not all(_is_int(v) for v in value):
            raise ConfigError("hidden: must be a list of integers")
        return tuple(int(v) for v in value)
    if name == "extra":
        if not isinstance(value, dict):
            raise ConfigError("extra: must be an object")
        return dict(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: must be true or false")
        return value
    if isinstance(default, int):
        if not _is_int(value):
            raise ConfigError(f"{name}: must be an integer, got {value!r}")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name}: must be a number, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{name}: must be a string, got {value!r}")
        return value
    return value


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _choice(name: str, value: str, table: Any) -> None:
    if value not in table:
        raise ConfigError(f"{name}: {value!r} is not one of {', '.join(table)}")


def _number(
    name: str,
    value: float,
    *,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name}: must be a finite number, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ConfigError(f"{name}: {value} is outside {lo}{low}, {high}{hi}")


def _integer(name: str, value: int, *, low: int, high: int) -> None:
    if not _is_int(value):
        raise ConfigError(f"{name}: must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name}: {value} is outside [{low}, {high}]")


def parse_hidden(text: str) -> tuple[int, ...]:
    """'128, 64' -> (128, 64); '' -> () (no hidden layer: softmax regression)."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    widths = []
    for p in parts:
        try:
            w = int(p)
        except ValueError:
            raise ConfigError(f"hidden layers: {p!r} is not a whole number") from None
        if not 1 <= w <= MAX_WIDTH:
            raise ConfigError(f"hidden layers: each width must be 1..{MAX_WIDTH}, got {w}")
        widths.append(w)
    if len(widths) > MAX_LAYERS:
        raise ConfigError(f"hidden layers: at most {MAX_LAYERS} layers")
    return tuple(widths)
