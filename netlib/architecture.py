"""A network's architecture: a sequence of layer specs, in a compact text form and a JSON form.

The text form fits a text box and a URL, e.g. ``conv16k5 pool2 conv32k5 pool2 dense128``.
The JSON form (a list of dicts, one per layer) is what the config, the store and model files
keep. Both describe the *hidden* layers only: the final dense layer to ``classes`` outputs with
softmax is always added implicitly and never written.

Grammar (tokens are separated by spaces and/or commas; case does not matter; ``to_text``
writes the canonical lower-case form shown first)::

    conv{F}k{K}[s{S}][same|valid][:act]   convolution: F filters of K×K, stride S (1 or 2,
                                          default 1), padding "valid" (default: no padding,
                                          output (H-K)//S+1) or "same" (output ceil(H/S))
                                          e.g. conv16k5, conv32k3s2same, conv6k5same:tanh
    pool{N}  maxpool{N}                   max-pooling N×N, stride N (N = 2 or 3); leftover
                                          rows/columns are dropped. Canonical: pool{N}
    avgpool{N}                            average-pooling N×N, stride N
    dense{U}[:act]                        fully connected layer of U units, e.g. dense128:relu
    dropout{P}                            dropout, P = probability of dropping a unit,
                                          0 <= P <= 0.9, e.g. dropout0.25
    bn  batchnorm                         batch normalisation (over channels after a
                                          convolution, over features after a dense layer).
                                          Canonical: bn
    flatten                               image -> vector. Optional: a dense layer that follows
                                          an image is flattened implicitly.

``:act`` (conv and dense only) is one of netlib.activations' names (sigmoid, tanh, relu,
leaky_relu); without it the layer uses the network's activation. The activation is applied
after the layer, or after the ``bn`` when one directly follows it (conv → bn → act, the
usual order). Pooling, dropout, bn and flatten take no activation.

Limits are declared once below (MAX_LAYERS, FILTERS, KERNEL, ...); text and JSON are checked
against them and every error is an ArchitectureError (a ConfigError, so a ValueError) naming
the token and its 1-based position (``token 3 'conv16k9': kernel 9 is over the limit 7``) or
the JSON layer and field (``layer 2 (conv): field 'kernel': 9 is over the limit 7``).

``summary(specs, input_shape=(C, H, W), classes=10)`` infers shapes and counts, per layer:

- parameters: conv F*(C*K*K+1), dense U*(in+1), batch norm 2*channels (scale and shift; its
  running mean and variance are buffers for inference, not parameters, and are not counted);
  pooling, dropout, flatten: none;
- multiply-adds per sample: conv F*C*K*K*outH*outW, dense in*U; batch norm, activations,
  pooling and dropout are elementwise and counted as 0.

It refuses architectures that do not fit, naming the layer and the shapes
(``token 4 'pool2': input 32×1×1 is smaller than the pool size 2``). Shapes are written
C×H×W (channels first, as the layers store them). ``format_summary`` renders a plain-text
table (for the CLI's ``--summary``).

``from_hidden((64,))`` gives today's fully connected networks: ``dense64``.

Pure Python (netlib never imports a UI package).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from netlib.activations import ACTIVATIONS
from netlib.settings import ConfigError

__all__ = [
    "ACTIVATION_NAMES",
    "DROPOUT",
    "FILTERS",
    "KERNEL",
    "MAX_JSON_CHARS",
    "MAX_LAYERS",
    "MAX_TEXT_CHARS",
    "PADDINGS",
    "POOL_SIZES",
    "STRIDES",
    "UNITS",
    "ArchitectureError",
    "AvgPool",
    "BatchNorm",
    "Conv",
    "Dense",
    "Dropout",
    "Flatten",
    "LayerSpec",
    "MaxPool",
    "Summary",
    "SummaryRow",
    "format_shape",
    "format_summary",
    "from_hidden",
    "from_json",
    "parse",
    "summary",
    "to_json",
    "to_text",
]

# ---- limits, declared once -------------------------------------------------------------------
MAX_LAYERS = 16  # hidden layer tokens (the implicit flatten and softmax output not counted)
MAX_TEXT_CHARS = 512  # the text form, whole
MAX_JSON_CHARS = 20_000  # the JSON form, when given as a string
FILTERS = (1, 256)  # conv filters, inclusive
KERNEL = (1, 7)  # conv kernel side, inclusive
STRIDES = (1, 2)
PADDINGS = ("valid", "same")
POOL_SIZES = (2, 3)
UNITS = (1, 8192)  # dense units, inclusive
DROPOUT = (0.0, 0.9)  # drop probability, inclusive
CLASSES = (1, 8192)  # output classes for summary()
ACTIVATION_NAMES = tuple(ACTIVATIONS)


class ArchitectureError(ConfigError):
    """An architecture is malformed, out of range or does not fit its input; the message names
    the token (text), the layer and field (JSON) or the layer and shapes (summary).
    `position` is the 1-based layer/token at fault (None for the whole), so a form can mark it."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


# ---- validation helpers ----------------------------------------------------------------------
def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArchitectureError(f"{name} must be a whole number, got {_short(value)}")
    if value < low:
        raise ArchitectureError(f"{name} {_short(value)} is under the limit {low}")
    if value > high:
        raise ArchitectureError(f"{name} {_short(value)} is over the limit {high}")


def _check_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    if type(value) is not type(choices[0]) or value not in choices:
        shown = ", ".join(str(c) for c in choices)
        raise ArchitectureError(f"{name} must be one of {shown}, got {_short(value)}")


def _check_activation(value: Any) -> None:
    if value is not None and (not isinstance(value, str) or value not in ACTIVATIONS):
        shown = ", ".join(ACTIVATION_NAMES)
        raise ArchitectureError(f"activation must be one of {shown}, got {_short(value)}")


def _short(value: Any, limit: int = 40) -> str:
    """A value for an error message, cut short (hostile input may be huge)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"(a {len(str(abs(value)))}-digit {'negative ' if value < 0 else ''}number)"
    text = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, list | dict):
        text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- layer specs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerSpec:
    """Base of the layer specs; each subclass is one kind, validated on construction."""

    kind: ClassVar[str] = ""

    def token(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


@dataclass(frozen=True)
class Conv(LayerSpec):
    filters: int
    kernel: int
    stride: int = 1
    padding: str = "valid"
    activation: str | None = None
    kind: ClassVar[str] = "conv"

    def __post_init__(self) -> None:
        _check_int("filters", self.filters, *FILTERS)
        _check_int("kernel", self.kernel, *KERNEL)
        _check_choice("stride", self.stride, STRIDES)
        _check_choice("padding", self.padding, PADDINGS)
        _check_activation(self.activation)

    def token(self) -> str:
        stride = f"s{self.stride}" if self.stride != 1 else ""
        padding = "same" if self.padding == "same" else ""
        return f"conv{self.filters}k{self.kernel}{stride}{padding}{_act(self.activation)}"


@dataclass(frozen=True)
class Pooling(LayerSpec):
    """A size x size window with stride size; the subclasses say how it pools."""

    size: int = 2
    prefix: ClassVar[str] = ""  # its canonical token: prefix + size

    def __post_init__(self) -> None:
        _check_choice("size", self.size, POOL_SIZES)

    def token(self) -> str:
        return f"{self.prefix}{self.size}"


@dataclass(frozen=True)
class MaxPool(Pooling):
    kind: ClassVar[str] = "maxpool"
    prefix: ClassVar[str] = "pool"


@dataclass(frozen=True)
class AvgPool(Pooling):
    kind: ClassVar[str] = "avgpool"
    prefix: ClassVar[str] = "avgpool"


@dataclass(frozen=True)
class Dense(LayerSpec):
    units: int
    activation: str | None = None
    kind: ClassVar[str] = "dense"

    def __post_init__(self) -> None:
        _check_int("units", self.units, *UNITS)
        _check_activation(self.activation)

    def token(self) -> str:
        return f"dense{self.units}{_act(self.activation)}"


@dataclass(frozen=True)
class Dropout(LayerSpec):
    p: float
    kind: ClassVar[str] = "dropout"

    def __post_init__(self) -> None:
        p = self.p
        if isinstance(p, bool) or not isinstance(p, int | float):
            raise ArchitectureError(f"p must be a number, got {_short(p)}")
        if isinstance(p, int):  # a whole number from JSON or code: store the float
            if not DROPOUT[0] <= p <= DROPOUT[1]:
                raise ArchitectureError(f"p {_short(p)} is outside {DROPOUT[0]}..{DROPOUT[1]}")
            object.__setattr__(self, "p", float(p))
            p = self.p
        if not math.isfinite(p) or not DROPOUT[0] <= p <= DROPOUT[1]:
            raise ArchitectureError(f"p {p} is outside {DROPOUT[0]}..{DROPOUT[1]}")
        if p == 0.0:
            object.__setattr__(self, "p", 0.0)  # -0.0 -> 0.0, so text round-trips

    def token(self) -> str:
        text = repr(self.p)
        return "dropout" + (text[:-2] if text.endswith(".0") else text)


@dataclass(frozen=True)
class BatchNorm(LayerSpec):
    kind: ClassVar[str] = "batchnorm"

    def token(self) -> str:
        return "bn"


@dataclass(frozen=True)
class Flatten(LayerSpec):
    kind: ClassVar[str] = "flatten"

    def token(self) -> str:
        return "flatten"


KINDS: dict[str, type[LayerSpec]] = {
    cls.kind: cls for cls in (Conv, MaxPool, AvgPool, Dense, Dropout, BatchNorm, Flatten)
}


def _act(activation: str | None) -> str:
    return f":{activation}" if activation else ""


# ---- text form -------------------------------------------------------------------------------
_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.ASCII), kind)
    for pattern, kind in (
        (r"conv(?P<filters>\d+)k(?P<kernel>\d+)(?:s(?P<stride>\d+))?(?P<padding>same|valid)?",
         "conv"),
        (r"(?:max)?pool(?P<size>\d+)", "maxpool"),
        (r"avgpool(?P<size>\d+)", "avgpool"),
        (r"dense(?P<units>\d+)", "dense"),
        (rf"dropout(?P<p>{_NUMBER})", "dropout"),  # p: repr(float) always fits
        (r"bn|batchnorm", "batchnorm"),
        (r"flatten", "flatten"),
    )
)  # fmt: skip
_HINTS = {
    "conv": "a convolution is conv{filters}k{kernel}[s{stride}][same|valid], e.g. conv16k5",
    "maxpool": "max-pooling is pool{size} or maxpool{size}, e.g. pool2",
    "avgpool": "average-pooling is avgpool{size}, e.g. avgpool2",
    "pool": "pooling is pool{size}, maxpool{size} or avgpool{size}, e.g. pool2",
    "dense": "a dense layer is dense{units}, e.g. dense128",
    "dropout": "dropout is dropout{p} with 0 <= p <= 0.9, e.g. dropout0.25",
    "bn": "batch norm is bn",
    "flatten": "flatten takes nothing after it",
}
_TAKES_ACTIVATION = ("conv", "dense")
_SEPARATORS = re.compile(r"[\s,]+")
_MAX_DIGITS = 12  # a number token longer than this is refused before int() sees it


def _split(text: str) -> list[str]:
    return [token for token in _SEPARATORS.split(text) if token]


def _token_error(position: int, token: str, message: str) -> ArchitectureError:
    return ArchitectureError(f"token {position} {_short(token)}: {message}", position)


def _parse_token(token: str) -> LayerSpec:
    """One token -> its spec; raises ArchitectureError with the message without the position."""
    body, colon, activation = token.partition(":")
    for pattern, kind in _PATTERNS:
        match = pattern.fullmatch(body)
        if match is None:
            continue
        values = {k: v for k, v in match.groupdict().items() if v is not None}
        if any(len(v) > _MAX_DIGITS for k, v in values.items() if k not in ("padding", "p")):
            raise ArchitectureError("a number in it is far too long")
        if colon:
            if kind not in _TAKES_ACTIVATION:
                raise ArchitectureError(
                    f"{body} takes no activation (only conv and dense layers do)"
                )
            if not activation:
                raise ArchitectureError(f"':' must be followed by an activation "
                                        f"({', '.join(ACTIVATION_NAMES)})")  # fmt: skip
            values["activation"] = activation
        cls = KINDS[kind]
        args: dict[str, Any] = {}
        for name, value in values.items():
            if name in ("padding", "activation"):
                args[name] = value
            elif name == "p":
                args[name] = float(value)
            else:
                args[name] = int(value)
        return cls(**args)
    raise ArchitectureError(_unknown(body))


def _unknown(body: str) -> str:
    for prefix, hint in (
        ("conv", "conv"),
        ("maxpool", "maxpool"),
        ("avgpool", "avgpool"),
        ("pool", "pool"),
        ("dense", "dense"),
        ("dropout", "dropout"),
        ("batchnorm", "bn"),
        ("bn", "bn"),
        ("flatten", "flatten"),
    ):
        if body.startswith(prefix):
            return f"not understood: {_HINTS[hint]}"
    return (
        "unknown layer; expected conv{F}k{K}, pool{N}, maxpool{N}, avgpool{N}, dense{U}, "
        "dropout{P}, bn or flatten"
    )


def parse(text: str) -> list[LayerSpec]:
    """The text form -> one spec per token. '' -> [] (no hidden layer: softmax regression)."""
    if not isinstance(text, str):
        raise ArchitectureError(f"the layers must be text, got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise ArchitectureError(
            f"the layers text is {len(text)} characters, over the limit {MAX_TEXT_CHARS}"
        )
    tokens = _split(text.lower())
    if len(tokens) > MAX_LAYERS:
        raise ArchitectureError(f"{len(tokens)} layers is over the limit {MAX_LAYERS}")
    specs = []
    for position, token in enumerate(tokens, start=1):
        try:
            specs.append(_parse_token(token))
        except ArchitectureError as error:
            raise _token_error(position, token, str(error)) from None
    return specs


def to_text(specs: Iterable[LayerSpec]) -> str:
    """Specs -> the canonical text form (space-separated tokens); parse(to_text(x)) == x."""
    return " ".join(_as_spec(spec, i).token() for i, spec in enumerate(specs, start=1))


def _as_spec(spec: Any, position: int) -> LayerSpec:
    if not isinstance(spec, LayerSpec) or type(spec) is LayerSpec:
        raise ArchitectureError(f"layer {position} is not a layer spec: {_short(spec)}")
    return spec


# ---- JSON form -------------------------------------------------------------------------------
def to_json(specs: Iterable[LayerSpec]) -> list[dict[str, Any]]:
    """Specs -> a list of plain dicts: {"kind": ..., every field} (json.dumps-able)."""
    out = []
    for position, spec in enumerate(specs, start=1):
        spec = _as_spec(spec, position)
        item: dict[str, Any] = {"kind": spec.kind}
        item.update({f.name: getattr(spec, f.name) for f in fields(spec)})
        out.append(item)
    return out


def from_json(data: Any) -> list[LayerSpec]:
    """The JSON form (a list of dicts, or a JSON string of one) -> specs. The input is
    untrusted: anything but the exact form raises ArchitectureError naming the layer and
    field. Optional fields (stride, padding, activation, pool size) may be left out."""
    if isinstance(data, str | bytes):
        if len(data) > MAX_JSON_CHARS:
            raise ArchitectureError(
                f"the layers JSON is {len(data)} characters, over the limit {MAX_JSON_CHARS}"
            )
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as error:
            message = f"the layers JSON does not parse: {str(error)[:80]}"
            raise ArchitectureError(message) from None
    if not isinstance(data, list | tuple):
        raise ArchitectureError(f"the layers must be a list, got {type(data).__name__}")
    if len(data) > MAX_LAYERS:
        raise ArchitectureError(f"{len(data)} layers is over the limit {MAX_LAYERS}")
    specs = []
    for position, item in enumerate(data, start=1):
        try:
            specs.append(_from_item(position, item))
        except ArchitectureError as error:
            raise ArchitectureError(str(error), position) from None
    return specs


def _from_item(position: int, item: Any) -> LayerSpec:
    where = f"layer {position}"
    if not isinstance(item, dict):
        raise ArchitectureError(f"{where}: must be an object, got {type(item).__name__}")
    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        shown = ", ".join(KINDS)
        raise ArchitectureError(f"{where}: field 'kind' must be one of {shown}, got "
                                f"{_short(kind)}")  # fmt: skip
    where = f"{where} ({kind})"
    cls = KINDS[kind]
    names = {f.name: f for f in fields(cls)}
    for key in item:
        if key != "kind" and key not in names:
            known = ", ".join(names) or "none"
            raise ArchitectureError(f"{where}: unknown field {_short(key)} (fields: {known})")
    args = {}
    for name, f in names.items():
        if name in item:
            args[name] = item[name]
        elif f.default is f.default_factory:  # both MISSING: a required field
            raise ArchitectureError(f"{where}: field {name!r} is missing")
    try:
        return cls(**args)
    except ArchitectureError as error:
        message = str(error)
        field_name = message.split(" ", 1)[0]
        raise ArchitectureError(f"{where}: field {field_name!r}: {message}") from None


# ---- today's fully connected networks --------------------------------------------------------
def from_hidden(hidden: Sequence[int]) -> list[LayerSpec]:
    """NetConfig.hidden -> specs: (64,) -> [Dense(64)] ('dense64'); () -> [] (no hidden)."""
    if isinstance(hidden, str | bytes) or not isinstance(hidden, Sequence):
        raise ArchitectureError(f"hidden must be a sequence of widths, got {_short(hidden)}")
    if len(hidden) > MAX_LAYERS:
        raise ArchitectureError(f"{len(hidden)} layers is over the limit {MAX_LAYERS}")
    specs = []
    for position, units in enumerate(hidden, start=1):
        try:
            specs.append(Dense(units))
        except ArchitectureError as error:
            raise ArchitectureError(f"hidden layer {position}: {error}", position) from None
    return specs


# ---- summary ---------------------------------------------------------------------------------
Shape = tuple[int, ...]


@dataclass(frozen=True)
class SummaryRow:
    """One layer: its token (or '(flatten)' / 'output:softmax' for implicit ones), output
    shape, parameters and multiply-adds per sample."""

    name: str
    output_shape: Shape
    params: int
    macs: int
    implicit: bool = False


@dataclass(frozen=True)
class Summary:
    input_shape: Shape
    classes: int
    rows: tuple[SummaryRow, ...]

    @property
    def params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def macs(self) -> int:
        return sum(row.macs for row in self.rows)


def format_shape(shape: Shape) -> str:
    return "×".join(str(n) for n in shape)


def _check_input_shape(input_shape: Any) -> Shape:
    if (
        not isinstance(input_shape, Sequence)
        or isinstance(input_shape, str | bytes)
        or len(input_shape) not in (1, 3)
        or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in input_shape)
    ):
        raise ArchitectureError(
            f"input_shape must be (channels, height, width) or (features,) of positive whole "
            f"numbers, got {_short(input_shape)}"
        )
    return tuple(input_shape)


def summary(
    specs: Iterable[LayerSpec], input_shape: Shape = (1, 28, 28), classes: int = 10
) -> Summary:
    """Shapes, parameters and multiply-adds per sample for each layer, then the implicit
    softmax dense layer to `classes`. An implicit '(flatten)' row appears where a dense layer
    follows an image. Raises ArchitectureError naming the layer and shapes that do not fit."""
    shape = _check_input_shape(input_shape)
    try:
        _check_int("classes", classes, *CLASSES)
    except ArchitectureError as error:
        raise ArchitectureError(str(error)) from None
    specs = [_as_spec(spec, i) for i, spec in enumerate(specs, start=1)]
    if len(specs) > MAX_LAYERS:
        raise ArchitectureError(f"{len(specs)} layers is over the limit {MAX_LAYERS}")
    rows: list[SummaryRow] = []
    for position, spec in enumerate(specs, start=1):
        where = f"token {position} {spec.token()!r}"
        if isinstance(spec, Dense) and len(shape) == 3:
            shape = (math.prod(shape),)
            rows.append(SummaryRow("(flatten)", shape, 0, 0, implicit=True))
        try:
            shape, params, macs = _infer(spec, shape, where)
        except ArchitectureError as error:
            raise ArchitectureError(str(error), position) from None
        rows.append(SummaryRow(spec.token(), shape, params, macs))
    if len(shape) == 3:
        shape = (math.prod(shape),)
        rows.append(SummaryRow("(flatten)", shape, 0, 0, implicit=True))
    (features,) = shape
    rows.append(
        SummaryRow("output:softmax", (classes,), classes * (features + 1), features * classes,
                   implicit=True)
    )  # fmt: skip
    return Summary(tuple(input_shape), classes, tuple(rows))


def _infer(spec: LayerSpec, shape: Shape, where: str) -> tuple[Shape, int, int]:
    """(output shape, parameters, multiply-adds) of one layer on a per-sample input shape."""
    shown = format_shape(shape)
    if isinstance(spec, Dense):
        (features,) = shape
        return (spec.units,), spec.units * (features + 1), features * spec.units
    if isinstance(spec, Dropout):
        return shape, 0, 0
    if isinstance(spec, BatchNorm):
        return shape, 2 * shape[0], 0
    if isinstance(spec, Flatten):
        if len(shape) != 3:
            raise ArchitectureError(f"{where}: input {shown} is already flat")
        return (math.prod(shape),), 0, 0
    if len(shape) != 3:
        raise ArchitectureError(
            f"{where}: needs an image input (channels×height×width), got the vector {shown}; "
            f"convolutions and pooling must come before the first dense layer or flatten"
        )
    channels, height, width = shape
    if isinstance(spec, Pooling):
        if height < spec.size or width < spec.size:
            raise ArchitectureError(
                f"{where}: input {shown} is smaller than the pool size {spec.size}"
            )
        return (channels, height // spec.size, width // spec.size), 0, 0
    assert isinstance(spec, Conv)
    k, s = spec.kernel, spec.stride
    if spec.padding == "valid":
        if height < k or width < k:
            raise ArchitectureError(f"{where}: input {shown} is smaller than the kernel {k}×{k}")
        out_h, out_w = (height - k) // s + 1, (width - k) // s + 1
    else:
        out_h, out_w = -(-height // s), -(-width // s)
    params = spec.filters * (channels * k * k + 1)
    macs = spec.filters * channels * k * k * out_h * out_w
    return (spec.filters, out_h, out_w), params, macs


def format_summary(result: Summary) -> str:
    """A plain-text table: layer, output shape, parameters, multiply-adds; then the totals."""
    header = ("layer", "output", "params", "mult-adds")
    lines = [
        (row.name, format_shape(row.output_shape), f"{row.params:,}", f"{row.macs:,}")
        for row in result.rows
    ]
    total = ("total", "", f"{result.params:,}", f"{result.macs:,}")
    first = ("input", format_shape(result.input_shape), "", "")
    table = [header, first, *lines, total]
    widths = [max(len(line[i]) for line in table) for i in range(4)]

    def render(line: tuple[str, ...]) -> str:
        left = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        right = [line[2].rjust(widths[2]), line[3].rjust(widths[3])]
        return "  ".join(left + right).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [render(header), rule, render(first), *map(render, lines), rule, render(total)]
    out.append("(flatten) and output:softmax are implicit; batch-norm running statistics are")
    out.append("not parameters; multiply-adds per sample count only conv and dense layers.")
    return "\n".join(out)
