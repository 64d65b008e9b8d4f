"""A sweep's axes (issue 19), from the text a person types on the command line or the page.

One axis per setting, as ``name=VALUES``:

    lr=1e-3..1e-1:log        a range: LO..HI, optionally :log (log-spaced; LO > 0) and :N
    lr=1e-3..1e-1:log:4      (the number of grid points, GRID_POINTS by default; random and
    dropout=0..0.5:6          model-based search draw from the whole range instead)
    layers=dense64|dense256|conv8k5 pool2 dense32     a list of values, separated by |
    activation=relu|tanh

Every value is read and checked by its setting's own Spec (netlib/config.py), so an axis takes
exactly what the Train form and the links take, with the same limits and messages. Ranges are
for numeric settings only; whole-number settings get whole grid points. The seed and the data
set are not axes: every point of a sweep runs the same seeds on the same data (that is what
makes its comparison fair). Every error is a ConfigError naming the axis.

Pure Python (netlib never imports a UI package).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from netlib.config import SPECS
from netlib.settings import ConfigError

MAX_AXES = 3
MAX_VALUES = 20  # values in a list, or grid points of a range
GRID_POINTS = 5
NOT_AXES = ("seed", "dataset")
SWEEPABLE = tuple(name for name in SPECS if name not in NOT_AXES)


@dataclass(frozen=True)
class Axis:
    """A list of values, or a numeric range low..high (log-spaced when `log`)."""

    name: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    points: int = GRID_POINTS

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def grid(self) -> tuple[Any, ...]:
        """The values a grid search tries, in order."""
        if not self.is_range:
            return self.values
        n = self.points
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            raw = [math.exp(lo + (hi - lo) * i / (n - 1)) for i in range(n)]
            raw[0], raw[-1] = self.low, self.high  # exactly the ends typed
        else:
            raw = [self.low + (self.high - self.low) * i / (n - 1) for i in range(n)]
        if SPECS[self.name].kind == "int":
            return tuple(dict.fromkeys(int(round(v)) for v in raw))
        return tuple(raw)

    def text(self) -> str:
        """The form parse_axis reads back."""
        spec = SPECS[self.name]
        if not self.is_range:
            return f"{self.name}=" + "|".join(spec.text(v) for v in self.values)
        log = ":log" if self.log else ""
        return f"{self.name}={_exact(self.low)}..{_exact(self.high)}{log}:{self.points}"


def _exact(number: float) -> str:
    """A bound's shortest text that reads back to the same float (whole numbers as ints)."""
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _number(name: str, text: str) -> float:
    try:
        return float(SPECS[name].parse(name, text.strip()))
    except ConfigError as exc:
        raise ConfigError(f"axis {exc}") from None  # "axis lr: 0.0 is outside ..."


def _range(name: str, body: str) -> Axis:
    spec = SPECS[name]
    if spec.kind not in ("int", "float"):
        raise ConfigError(f"axis {name}: a range needs a numeric setting; list the values with |")
    bounds, *options = body.split(":")
    low_text, _, high_text = bounds.partition("..")
    low, high = _number(name, low_text), _number(name, high_text)
    if not low < high:
        raise ConfigError(f"axis {name}: the range {low:g}..{high:g} must go from low to high")
    log, points = False, GRID_POINTS
    for option in options:
        option = option.strip().lower()
        if option == "log":
            log = True
        elif option.isdigit():
            points = int(option)
        else:
            raise ConfigError(f"axis {name}: unknown range option {option!r} (log, or a count)")
    if log and low <= 0:
        raise ConfigError(f"axis {name}: a log range must start above 0, got {low:g}")
    if not 2 <= points <= MAX_VALUES:
        raise ConfigError(f"axis {name}: {points} grid points; use 2..{MAX_VALUES}")
    return Axis(name, low=low, high=high, log=log, points=points)


def parse_axis(text: str) -> Axis:
    """'name=VALUES' -> an Axis; ConfigError naming the axis when anything does not fit."""
    name, sep, body = str(text).partition("=")
    name = name.strip()
    if not sep or not name:
        raise ConfigError(f"axis {text!r}: write it as name=values, e.g. lr=1e-3..1e-1:log")
    if name not in SPECS or name in NOT_AXES:
        why = "is the same for every point" if name in NOT_AXES else "is not a setting"
        raise ConfigError(f"axis {name!r} {why}; sweepable: {', '.join(SWEEPABLE)}")
    if ".." in body:
        return _range(name, body)
    items = [item.strip() for item in body.split("|")]
    if not items or any(not item for item in items):
        raise ConfigError(f"axis {name}: an empty value in {body!r}")
    if len(items) > MAX_VALUES:
        raise ConfigError(f"axis {name}: {len(items)} values; at most {MAX_VALUES}")
    values = tuple(SPECS[name].parse(name, item) for item in items)
    if len(set(map(repr, values))) != len(values):
        raise ConfigError(f"axis {name}: a value is listed twice in {body!r}")
    return Axis(name, values=values)


def parse_axes(texts: list[str]) -> list[Axis]:
    """One to MAX_AXES axes, each setting at most once."""
    axes = [parse_axis(text) for text in texts]
    if not 1 <= len(axes) <= MAX_AXES:
        raise ConfigError(f"a sweep has 1 to {MAX_AXES} axes, got {len(axes)}")
    names = [axis.name for axis in axes]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"axis {twice[0]} is given twice")
    return axes


def grid_points(axes: list[Axis]) -> list[dict[str, Any]]:
    """Every combination of the axes' grid values, first axis slowest: a grid search."""
    names = [axis.name for axis in axes]
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(a.grid() for a in axes))
    ]
