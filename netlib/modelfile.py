"""Model files: weights + config JSON in one .npz, read without pickle and checked before use.

Two formats: digit-net-model/1 (a fully connected MLP: 'sizes' and W0, b0, W1, ...), which
every MLP is still written in, and digit-net-model/2 (a layer stack: 'input_shape' and
'classes' in the header, the architecture in the config's 'layers', one array per parameter
and batch-norm running statistic under LayerStack.state()'s names).
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import numpy as np

from netlib import architecture as arch
from netlib.atomic import atomic_write
from netlib.config import ConfigError, NetConfig
from netlib.data.checks import MAX_SIDE
from netlib.data.dataset import DataError
from netlib.data.npz import NpzReader
from netlib.layer_stack import LayerStack, build
from netlib.nets import Network
from netlib.network import MLP

FORMAT = "digit-net-model/1"
FORMAT_STACK = "digit-net-model/2"
FORMATS = (FORMAT, FORMAT_STACK)
MAX_LAYERS = 64
MAX_MODEL_BYTES = 4 * 2**30  # unpacked: a zip bomb cannot make loading allocate more
MAX_HEADER_BYTES = 2**20  # config + meta JSON: a few KB in practice
MAX_JSON_DEPTH = 32  # our header nests 3 deep; json itself would recurse until it crashes
MAX_MAX_VALUE = 255  # meta max_value: images are uint8 (netlib.drawing.drawing_to_image)
MAX_NAME_CHARS = 1000  # meta: a class name, a run id or a data set id
_NPY_HEADER_SLACK = 2**16  # an .npy header is 128 bytes; numpy refuses headers over 10,000


class ModelFileError(ValueError):
    """A model file is truncated, foreign or inconsistent; the message says which."""


def model_bytes(net: Network, config: NetConfig, meta: dict | None = None) -> bytes:
    if isinstance(net, LayerStack):
        fmt, shape = FORMAT_STACK, {"input_shape": list(net.input_shape), "classes": net.classes}
        weights = net.state()
    else:
        fmt, shape, weights = FORMAT, {"sizes": net.sizes}, {}
        for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            weights[f"W{i}"], weights[f"b{i}"] = w, b
    header = {"format": fmt, "config": config.to_dict(), **shape, "meta": meta or {}}
    arrays = {"header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **weights}
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def save_model(path: str | os.PathLike, net: Network, config: NetConfig, meta: dict | None = None):
    """Write atomically (temp file + rename): a crash never leaves a half-written model."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: f.write(model_bytes(net, config, meta)))


def load_model(path: str | os.PathLike) -> tuple[Network, NetConfig, dict]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read model file: {exc.strerror or exc}") from None
    return parse_model(data)


def parse_model(data: bytes) -> tuple[Network, NetConfig, dict]:
    """Header first; then each weight array is checked against the shapes the header implies,
    by the sizes the zip directory and the .npy headers declare, before it is inflated."""
    with _open_npz(data) as reader:
        header = _read_header(reader)
        try:
            config = NetConfig.from_dict(header.get("config"))
        except ConfigError as exc:
            raise ModelFileError(f"model config is invalid: {exc}") from None
        if header["format"] == FORMAT_STACK:
            return _parse_stack(reader, header, config)
        if config.mlp_hidden is None:
            raise ModelFileError(
                f"model header: format {FORMAT!r} holds a fully connected network, but the "
                f"config's layers are {config.architecture!r}"
            )
        sizes = header.get("sizes")
        if (
            not isinstance(sizes, list)
            or not 2 <= len(sizes) <= MAX_LAYERS
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes)
        ):
            raise ModelFileError("model header: 'sizes' must be a list of positive integers")
        if list(config.mlp_hidden) != sizes[1:-1]:
            raise ModelFileError(
                f"model header: sizes {sizes} disagree with the layers {config.architecture!r}"
            )
        meta = _check_meta(header.get("meta"), sizes)
        shapes = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            shapes[f"W{i}"], shapes[f"b{i}"] = (fan_in, fan_out), (fan_out,)
        _check_declared(reader, shapes)
        arrays = {name: _read_array(reader, name, shape) for name, shape in shapes.items()}
    n = len(sizes) - 1
    weights = [arrays[f"W{i}"].astype(config.dtype) for i in range(n)]
    biases = [arrays[f"b{i}"].astype(config.dtype) for i in range(n)]
    return MLP(weights, biases, config.activation), config, meta


def _parse_stack(reader: NpzReader, header: dict, config: NetConfig) -> tuple:
    """A layer stack: its input shape and classes checked, its parameter count bounded
    before anything is built, then every state array by the built stack's names and shapes."""
    shape, classes = header.get("input_shape"), header.get("classes")
    if not (
        isinstance(shape, list)
        and len(shape) == 3
        and all(map(_positive_int, shape))
        and shape[0] == 1
        and max(shape[1:]) <= MAX_SIDE
    ):
        raise ModelFileError(
            f"model header: 'input_shape' must be [1, height, width] with sides up to "
            f"{MAX_SIDE}, got {_show(shape)}"
        )
    if not (_positive_int(classes) and classes <= arch.CLASSES[1]):
        raise ModelFileError(
            f"model header: 'classes' must be 1..{arch.CLASSES[1]}, got {_show(classes)}"
        )
    specs = config.layer_specs
    try:
        table = arch.summary(specs, tuple(shape), classes)
    except arch.ArchitectureError as exc:
        raise ModelFileError(f"model header: the layers do not fit the input: {exc}") from None
    if table.params * 8 > MAX_MODEL_BYTES:
        raise ModelFileError(
            f"the model header declares {table.params:,} parameters, over the "
            f"{MAX_MODEL_BYTES / 2**30:.0f} GB limit"
        )
    meta = _check_meta(header.get("meta"), [shape[1] * shape[2], classes])
    net = build(specs, tuple(shape), classes, config.activation, config.init,
                np.random.default_rng(0), config.dtype, config.init_scale)  # fmt: skip
    shapes = {name: a.shape for name, a in {**net.named_params(), **net.buffers()}.items()}
    _check_declared(reader, shapes)
    arrays = {name: _read_array(reader, name, shape) for name, shape in shapes.items()}
    net.load_state(arrays)
    return net, config, meta


def _check_meta(meta: object, sizes: list[int]) -> dict:
    """The meta keys the pages read, checked now so that no page meets a wrong type later.

    Every key is optional (older files and the command line's save write fewer). Written by
    runlayer.worker: image_shape [h, w] with h*w inputs, max_value, class_names (one per
    class), epoch, val_acc and test_acc, run_id and dataset. Other keys pass unread.
    """
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ModelFileError(f"model header: 'meta' must be an object, got {_kind(meta)}")
    inputs, classes = sizes[0], sizes[-1]
    if "image_shape" in meta:
        shape = meta["image_shape"]
        if not (isinstance(shape, list) and len(shape) == 2 and all(map(_positive_int, shape))):
            raise ModelFileError(
                f"model meta: 'image_shape' must be [height, width], two positive integers, "
                f"got {_show(shape)}"
            )
        if shape[0] * shape[1] != inputs:
            raise ModelFileError(
                f"model meta: 'image_shape' {_show(shape)} is not the shape of the network's "
                f"{inputs:,} inputs"
            )
    if "max_value" in meta:
        value = meta["max_value"]
        if not (_positive_int(value) and value <= MAX_MAX_VALUE):
            raise ModelFileError(
                f"model meta: 'max_value' must be an integer 1..{MAX_MAX_VALUE}, got {_show(value)}"
            )
    if "class_names" in meta:
        names = meta["class_names"]
        if not (isinstance(names, list) and all(_name(n) for n in names)):
            raise ModelFileError(
                f"model meta: 'class_names' must be a list of names (strings of at most "
                f"{MAX_NAME_CHARS} characters), got {_show(names)}"
            )
        if len(names) != classes:
            raise ModelFileError(
                f"model meta: {len(names)} class names for the network's {classes} classes"
            )
    if "epoch" in meta and not _positive_int(meta["epoch"]):
        raise ModelFileError(
            f"model meta: 'epoch' must be a positive integer, got {_show(meta['epoch'])}"
        )
    for key in ("val_acc", "test_acc"):
        value = meta.get(key)
        if value is not None and not (
            isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
        ):
            raise ModelFileError(
                f"model meta: {key!r} must be a fraction 0..1 or null, got {_show(value)}"
            )
    for key in ("run_id", "dataset"):
        if key in meta and not _name(meta[key]):
            raise ModelFileError(
                f"model meta: {key!r} must be a string of at most {MAX_NAME_CHARS} characters, "
                f"got {_show(meta[key])}"
            )
    return meta


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _name(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_NAME_CHARS


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false"}.get(
        type(value), "null" if value is None else "a number"
    )


def _show(value: object) -> str:
    """A hostile value in a one-line message: numbers as they are, anything holding text only
    by its kind (the pages show these messages, and text from a file is never echoed)."""
    text = json.dumps(value)
    if '"' in text:
        return _kind(value)
    return text if len(text) <= 40 else f"{_kind(value)} ({text[:30]}…)"


def _open_npz(data: bytes) -> NpzReader:
    if not data:
        raise ModelFileError("model file is empty")
    if not data.startswith(b"PK\x03\x04"):
        # np.load would try to unpickle anything that is not a zip or .npy file.
        raise ModelFileError("not a model file (.npz): it is not a zip archive")
    try:
        # The careful reader, not np.load: a damaged deflate stream or a header claiming a
        # huge shape must be a clear error, never zlib.error or a giant allocation.
        return NpzReader(data, max_bytes=MAX_MODEL_BYTES)
    except DataError as exc:
        raise ModelFileError(f"not a model file or truncated (.npz): {exc}") from None


def _check_declared(reader: NpzReader, shapes: dict[str, tuple[int, ...]]) -> None:
    """Refuse by the zip directory alone: unexpected members, or sizes the shapes cannot have."""
    extra = sorted(set(reader.names) - {"header"} - set(shapes))
    if extra:
        raise ModelFileError(f"model file has unexpected arrays: {', '.join(extra)}")
    total = 0
    for name, shape in shapes.items():
        if name not in reader.names:
            raise ModelFileError(f"model file is missing array {name}")
        most = math.prod(shape) * 8 + _NPY_HEADER_SLACK  # float64 is the widest float stored
        total += most
        if reader.declared_size(name) > most:
            raise ModelFileError(
                f"array {name} unpacks to {reader.declared_size(name):,} bytes, more than its "
                f"shape {shape} can need ({most:,})"
            )
    if total > MAX_MODEL_BYTES:
        raise ModelFileError(
            f"the model header declares {total / 2**30:.1f} GB of weights, over the "
            f"{MAX_MODEL_BYTES / 2**30:.0f} GB limit"
        )


def _read_array(reader: NpzReader, name: str, shape: tuple[int, ...]) -> np.ndarray:
    def expect(_name: str, found: tuple[int, ...], dtype: np.dtype) -> None:
        if found != shape:
            raise ModelFileError(f"array {name} has shape {found}, expected {shape}")
        if dtype.kind != "f":
            raise ModelFileError(f"array {name} is {dtype}, expected floats")

    try:
        return _array({name: reader.read(name, expect)}, name, shape)
    except DataError as exc:
        if "pickle" in str(exc).lower():
            raise ModelFileError(
                "model file holds pickled objects, which are never loaded"
            ) from None
        raise ModelFileError(f"not a model file or truncated (.npz): {exc}") from None


def _read_header(reader: NpzReader) -> dict:
    if "header" not in reader.names:
        raise ModelFileError("not a digit-net model file: no header")
    if reader.declared_size("header") > MAX_HEADER_BYTES:
        raise ModelFileError(
            f"model header unpacks to {reader.declared_size('header'):,} bytes, over the "
            f"{MAX_HEADER_BYTES:,}-byte limit"
        )
    try:
        raw = reader.read("header")
    except DataError as exc:
        raise ModelFileError(f"not a model file or truncated (.npz): {exc}") from None
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError("not a digit-net model file: no header")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers bad JSON and integers over Python's 4,300-digit limit
        why = "nested too deeply" if isinstance(exc, RecursionError) else "not valid JSON"
        raise ModelFileError(f"model header is {why}") from None
    if _depth(header) > MAX_JSON_DEPTH:
        raise ModelFileError(f"model header is nested more than {MAX_JSON_DEPTH} levels deep")
    if not isinstance(header, dict) or header.get("format") not in FORMATS:
        shown = " or ".join(repr(f) for f in FORMATS)
        raise ModelFileError(f"not a digit-net model file (format must be {shown})")
    return header


def _depth(value: object) -> int:
    """Nesting depth without recursion (the pages later walk meta, e.g. to show it)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_JSON_DEPTH:
            break
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            stack.extend((c, d + 1) for c in item)
    return deepest


def _array(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    a = arrays.get(name)
    if a is None:
        raise ModelFileError(f"model file is missing array {name}")
    if a.shape != shape:
        raise ModelFileError(f"array {name} has shape {a.shape}, expected {shape}")
    if a.dtype.kind != "f":
        raise ModelFileError(f"array {name} is {a.dtype}, expected floats")
    if not np.isfinite(a).all():
        raise ModelFileError(f"array {name} holds NaN or infinite values")
    return a
