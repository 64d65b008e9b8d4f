"""Model files: save -> load gives identical predictions; bad files are refused clearly."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# -- meta and config of the wrong types --------------------------------------------------------
# The pages read meta's image_shape, max_value and class_names (Draw), epoch (Inspect): a file
# whose meta has the wrong types is refused at load time, never a TypeError on a page later.
# _model() has 12 inputs and 4 classes.
GOOD_META = {"run_id": "r1", "dataset": "upload-ab12", "class_names": ["a", "b", "c", "d"],
             "image_shape": [3, 4], "max_value": 16, "epoch": 3, "val_acc": 0.5,
             "test_acc": None}  # fmt: skip
HOSTILE_META = [
    ({"image_shape": 5}, "image_shape"),
    ({"image_shape": ["a", 2]}, "image_shape"),
    ({"image_shape": [-3, -4]}, "image_shape"),
    ({"image_shape": [0, 12]}, "image_shape"),
    ({"image_shape": [3.0, 4.0]}, "image_shape"),
    ({"image_shape": [True, 12]}, "image_shape"),
    ({"image_shape": [3, 4, 1]}, "image_shape"),
    ({"image_shape": []}, "image_shape"),
    ({"image_shape": None}, "image_shape"),
    ({"image_shape": "3x4"}, "image_shape"),
    ({"image_shape": {"h": 3, "w": 4}}, "image_shape"),
    ({"image_shape": [4, 4]}, "not the shape of the network's 12 inputs"),
    ({"image_shape": [10**400, 1]}, "not the shape of the network's"),
    ({"max_value": "255"}, "max_value"),
    ({"max_value": 0}, "max_value"),
    ({"max_value": -1}, "max_value"),
    ({"max_value": 256}, "max_value"),
    ({"max_value": 2.5}, "max_value"),
    ({"max_value": [255]}, "max_value"),
    ({"class_names": "abcd"}, "class_names"),
    ({"class_names": [1, 2, 3, 4]}, "class_names"),
    ({"class_names": [None, "b", "c", "d"]}, "class_names"),
    ({"class_names": [["a"], "b", "c", "d"]}, "class_names"),
    ({"class_names": ["a", "b"]}, "2 class names for the network's 4 classes"),
    ({"class_names": ["x" * 5000, "b", "c", "d"]}, "class_names"),
    ({"class_names": {"0": "a"}}, "class_names"),
    ({"epoch": "3"}, "epoch"),
    ({"epoch": 0}, "epoch"),
    ({"epoch": [3]}, "epoch"),
    ({"epoch": None}, "epoch"),
    ({"epoch": 1.5}, "epoch"),
    ({"val_acc": "high"}, "val_acc"),
    ({"test_acc": 1.5}, "test_acc"),
    ({"test_acc": -0.1}, "test_acc"),
    ({"test_acc": 10**4000}, "test_acc"),  # too large for a float: no OverflowError
    ({"test_acc": True}, "test_acc"),
    ({"run_id": 7}, "run_id"),
    ({"dataset": ["mnist"]}, "dataset"),
]


def _with_header(**changes) -> bytes:
    net, cfg = _model()
    good = model_bytes(net, cfg, GOOD_META)
    return _rewrite(good, header=dict(_header(good), **changes))


def test_a_good_meta_loads_as_written():
    _, _, meta = parse_model(_with_header())
    assert meta == GOOD_META
    assert parse_model(_with_header(meta=None))[2] == {}  # older files: no meta at all
    assert parse_model(_with_header(meta={"test_acc": 0.9, "anything": [1, {"x": 2}]}))[2]


@pytest.mark.parametrize(("changes", "words"), HOSTILE_META, ids=lambda v: repr(v)[:40])
def test_a_meta_of_the_wrong_type_is_a_model_file_error(changes, words):
    with pytest.raises(ModelFileError, match=words) as info:
        parse_model(_with_header(meta=dict(GOOD_META, **changes)))
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


@pytest.mark.parametrize("meta", [5, "meta", [GOOD_META], True])
def test_a_meta_that_is_not_an_object_is_a_model_file_error(meta):
    with pytest.raises(ModelFileError, match="'meta' must be an object"):
        parse_model(_with_header(meta=meta))


def test_text_from_a_hostile_meta_is_never_echoed():
    link = "![p](http://127.0.0.1:9/x.png)"
    for changes in ({"image_shape": [link, 4]}, {"max_value": link}, {"epoch": {link: 1}}):
        with pytest.raises(ModelFileError) as info:
            parse_model(_with_header(meta=dict(GOOD_META, **changes)))
        assert "http" not in str(info.value)


HOSTILE_CONFIG = [
    ({"hidden": "7,5"}, "hidden"),
    ({"hidden": [7.0, 5]}, "hidden"),
    ({"hidden": [7, -5]}, "hidden"),
    ({"hidden": None}, "hidden"),
    ({"lr": "0.1"}, "lr"),
    ({"lr": None}, "lr"),
    ({"lr": [0.1]}, "lr"),
    ({"lr": True}, "lr"),
    ({"epochs": 2.5}, "epochs"),
    ({"epochs": "10"}, "epochs"),
    ({"seed": -1}, "seed"),
    ({"seed": 10**30}, "seed"),
    ({"nesterov": "yes"}, "nesterov"),
    ({"nesterov": 1}, "nesterov"),
    ({"dtype": 5}, "dtype"),
    ({"dtype": "int8"}, "dtype"),
    ({"activation": ["tanh"]}, "activation"),
    ({"dataset": 5}, "dataset"),
    ({"extra": []}, "extra"),
    ({"dropout": 1.0}, "dropout"),
    ({"batch_size": -1}, "batch_size"),
    ({"bogus": 1}, "unknown config keys"),
]


@pytest.mark.parametrize(("changes", "words"), HOSTILE_CONFIG, ids=lambda v: repr(v)[:40])
def test_config_fields_of_the_wrong_type_are_a_model_file_error(changes, words):
    net, cfg = _model()
    good = model_bytes(net, cfg)
    h = _header(good)
    data = _rewrite(good, header=dict(h, config=dict(h["config"], **changes)))
    with pytest.raises(ModelFileError, match=words):
        parse_model(data)
    with pytest.raises(ModelFileError, match="config"):
        parse_model(_rewrite(good, header=dict(h, config=[h["config"]])))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=10,
)
META_KEYS = ["image_shape", "max_value", "class_names", "epoch", "val_acc", "test_acc",
             "run_id", "dataset"]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(META_KEYS), JSON, max_size=4),
    st.dictionaries(st.sampled_from(["hidden", "lr", "epochs", "dtype", "nesterov"]), JSON,
                    max_size=2),
)  # fmt: skip
def test_any_meta_or_config_loads_for_the_pages_or_is_a_model_file_error(meta, config):
    """Whatever a file's meta and config hold: ModelFileError, or a model the Draw page can
    read a drawing with (the code after the canvas, as pages/draw.py runs it)."""
    from app.draw_view import Model
    from netlib import drawing

    net, cfg = _model()
    good = model_bytes(net, cfg)
    h = _header(good)
    header = dict(h, meta=dict(GOOD_META, **meta), config=dict(h["config"], **config))
    try:
        loaded = parse_model(_rewrite(good, header=header))  # NaN and Infinity included
    except ModelFileError:
        return
    model = Model.from_saved(*loaded)
    ink = np.zeros((40, 40))
    ink[5:35, 18:22] = 1.0
    image = drawing.drawing_to_image(ink, model.image_shape, model.max_value)
    assert image.size == model.net.sizes[0] and len(model.class_names) == model.net.sizes[-1]
