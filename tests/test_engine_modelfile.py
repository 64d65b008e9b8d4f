"""Model files: save -> load gives identical predictions; bad files are refused clearly."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

from netlib.config import NetConfig
from netlib.modelfile import ModelFileError, load_model, model_bytes, parse_model, save_model
from netlib.network import MLP


def _model(dtype="float32", hidden=(7, 5)):
    cfg = NetConfig(hidden=hidden, activation="tanh", dtype=dtype)
    net = MLP.create([12, *hidden, 4], cfg.activation, "he", np.random.default_rng(0), dtype)
    return net, cfg


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_load_gives_identical_predictions(tmp_path, dtype):
    net, cfg = _model(dtype)
    path = tmp_path / "sub" / "m.npz"
    save_model(path, net, cfg, {"test_acc": 0.5})
    net2, cfg2, meta = load_model(path)
    x = np.random.default_rng(1).random((9, 12)).astype(dtype)
    assert cfg2 == cfg and meta == {"test_acc": 0.5}
    assert net2.logits(x).tobytes() == net.logits(x).tobytes()
    assert [p.dtype for p in net2.params()] == [np.dtype(dtype)] * 6
    assert not list(path.parent.glob(".tmp-*"))  # the temporary file was renamed away


def test_a_write_that_fails_midway_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    """Atomic save: a crash (here: fsync failing after half the bytes are written) leaves the
    old model loadable and no temporary file behind."""
    net, cfg = _model()
    path = tmp_path / "best.npz"
    save_model(path, net, cfg, {"epoch": 1})
    before = path.read_bytes()

    def crash(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    bigger, cfg2 = _model(hidden=(30, 20))
    with pytest.raises(OSError, match="No space"):
        save_model(path, bigger, cfg2, {"epoch": 2})
    assert path.read_bytes() == before
    assert load_model(path)[2] == {"epoch": 1}
    assert not list(tmp_path.glob(".tmp-*"))


def test_no_hidden_layer_round_trips():
    net, cfg = _model(hidden=())
    net2, cfg2, _ = parse_model(model_bytes(net, cfg))
    assert net2.sizes == [12, 4] and cfg2.hidden == ()


def _rewrite(data: bytes, drop=(), add=None, header=None) -> bytes:
    with np.load(io.BytesIO(data)) as npz:
        arrays = {k: npz[k] for k in npz.files if k not in drop}
    if header is not None:
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    arrays.update(add or {})
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _header(data: bytes) -> dict:
    with np.load(io.BytesIO(data)) as npz:
        return json.loads(npz["header"].tobytes())


def _bad_files():
    net, cfg = _model()
    good = model_bytes(net, cfg)
    h = _header(good)
    wrong_sizes = dict(h, sizes=[12, 7, 6, 4])
    bad_config = dict(h, config=dict(h["config"], activation="swish"))
    foreign = dict(h, format="something-else")
    buf = io.BytesIO()
    np.savez(buf, x=np.arange(3))
    pickled = _rewrite(good, add={"W0": np.array([{"a": 1}], dtype=object)})
    return {
        "empty": (b"", "empty"),
        "truncated": (good[: len(good) // 2], "truncated"),
        "not a zip": (b"hello world" * 10, "not a model file"),
        "foreign npz": (buf.getvalue(), "no header"),
        "foreign format": (_rewrite(good, header=foreign), "format"),
        "missing array": (_rewrite(good, drop=["W1"]), "missing array W1"),
        "wrong shape": (_rewrite(good, add={"W1": np.zeros((7, 6), np.float32)}), "shape"),
        "nan weights": (_rewrite(good, add={"b0": np.full(7, np.nan, np.float32)}), "NaN"),
        "int weights": (_rewrite(good, add={"b0": np.zeros(7, np.int64)}), "floats"),
        "sizes disagree": (_rewrite(good, header=wrong_sizes), "disagree"),
        "bad config": (_rewrite(good, header=bad_config), "swish"),
        "extra array": (_rewrite(good, add={"W9": np.zeros(2, np.float32)}), "unexpected"),
        "pickle": (pickled, "pickle"),
    }


@pytest.mark.parametrize("case", list(_bad_files()))
def test_malformed_files_are_refused_clearly(case):
    data, words = _bad_files()[case]
    with pytest.raises(ModelFileError, match=words):
        parse_model(data)


def test_missing_file_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path / "nope.npz")


def test_header_is_plain_json_not_pickle():
    net, cfg = _model()
    with zipfile.ZipFile(io.BytesIO(model_bytes(net, cfg))) as z:
        assert sorted(z.namelist()) == [
            "W0.npy",
            "W1.npy",
            "W2.npy",
            "b0.npy",
            "b1.npy",
            "b2.npy",
            "header.npy",
        ]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"format": "digit-net-model/1", "x": ' + b"7" * 5000 + b"}", "not valid JSON"),
        (b'{"format": "digit-net-model/1", "m": ' + b"[" * 40 + b"]" * 40 + b"}", "nested more"),
    ],
)
def test_hostile_header_json_is_a_model_file_error(raw, words):
    net, cfg = _model()
    data = _rewrite(model_bytes(net, cfg), add={"header": np.frombuffer(raw, np.uint8)})
    with pytest.raises(ModelFileError, match=words):
        parse_model(data)


def test_header_declaring_more_weights_than_the_cap_is_refused_unread():
    net, cfg = _model()
    good = model_bytes(net, cfg)
    h = _header(good)
    hidden = [8192, 8192]
    huge = dict(h, sizes=[1_000_000, *hidden, 10], config=dict(h["config"], hidden=hidden))
    with pytest.raises(ModelFileError, match="GB of weights, over the"):
        parse_model(_rewrite(good, header=huge))
