"""Model files: weights + config JSON in one .npz, read without pickle and checked before use."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from netlib.config import ConfigError, NetConfig
from netlib.data.dataset import DataError
from netlib.data.npz import read_npz
from netlib.network import MLP

FORMAT = "digit-net-model/1"
MAX_LAYERS = 64
MAX_MODEL_BYTES = 4 * 2**30  # unpacked: a zip bomb cannot make loading allocate more


class ModelFileError(ValueError):
    """A model file is truncated, foreign or inconsistent; the message says which."""


def model_bytes(net: MLP, config: NetConfig, meta: dict | None = None) -> bytes:
    header = {"format": FORMAT, "config": config.to_dict(), "sizes": net.sizes, "meta": meta or {}}
    arrays = {"header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        arrays[f"W{i}"] = w
        arrays[f"b{i}"] = b
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def save_model(path: str | os.PathLike, net: MLP, config: NetConfig, meta: dict | None = None):
    """Write atomically (temp file + rename): a crash never leaves a half-written model."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(model_bytes(net, config, meta))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(path: str | os.PathLike) -> tuple[MLP, NetConfig, dict]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read model file: {exc.strerror or exc}") from None
    return parse_model(data)


def parse_model(data: bytes) -> tuple[MLP, NetConfig, dict]:
    arrays = _read_npz(data)
    header = _read_header(arrays)
    try:
        config = NetConfig.from_dict(header.get("config"))
    except ConfigError as exc:
        raise ModelFileError(f"model config is invalid: {exc}") from None
    sizes = header.get("sizes")
    if (
        not isinstance(sizes, list)
        or not 2 <= len(sizes) <= MAX_LAYERS
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes)
    ):
        raise ModelFileError("model header: 'sizes' must be a list of positive integers")
    if list(config.hidden) != sizes[1:-1]:
        raise ModelFileError(f"model header: sizes {sizes} disagree with hidden {config.hidden}")
    weights, biases = [], []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        w = _array(arrays, f"W{i}", (fan_in, fan_out))
        b = _array(arrays, f"b{i}", (fan_out,))
        weights.append(w.astype(config.dtype))
        biases.append(b.astype(config.dtype))
    extra = sorted(
        set(arrays) - {"header"} - {f"{p}{i}" for p in "Wb" for i in range(len(weights))}
    )
    if extra:
        raise ModelFileError(f"model file has unexpected arrays: {', '.join(extra)}")
    meta = header.get("meta") if isinstance(header.get("meta"), dict) else {}
    return MLP(weights, biases, config.activation), config, meta


def _read_npz(data: bytes) -> dict[str, np.ndarray]:
    if not data:
        raise ModelFileError("model file is empty")
    if not data.startswith(b"PK\x03\x04"):
        # np.load would try to unpickle anything that is not a zip or .npy file.
        raise ModelFileError("not a model file (.npz): it is not a zip archive")
    try:
        # The careful reader, not np.load: a damaged deflate stream or a header claiming a
        # huge shape must be a clear error, never zlib.error or a giant allocation.
        return read_npz(data, max_bytes=MAX_MODEL_BYTES)
    except DataError as exc:
        if "pickle" in str(exc).lower():
            raise ModelFileError(
                "model file holds pickled objects, which are never loaded"
            ) from None
        raise ModelFileError(f"not a model file or truncated (.npz): {exc}") from None


def _read_header(arrays: dict[str, np.ndarray]) -> dict:
    raw = arrays.get("header")
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError("not a digit-net model file: no header")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError("model header is not valid JSON") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"not a digit-net model file (format must be {FORMAT!r})")
    return header


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
