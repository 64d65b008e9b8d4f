"""Security of what a person hands the dashboard: uploads are size-limited and never unpickled,
a model file's JSON config is validated before use, names and ids never become paths."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import re
import time
import tomllib
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import (
    ROOT,
    button,
    npz_bytes,
    reset_app_state,
    session,
    shut_down_app_state,
    texts,
)

from app import navigation, state, tab_state, uploads
from netlib.config import NetConfig
from netlib.data import DataError, parse_upload, parse_uploads
from netlib.data.uploads import MAX_UPLOAD_BYTES
from netlib.modelfile import ModelFileError, load_model, model_bytes, parse_model
from netlib.network import MLP
from runlayer import RunNotFoundError, RunStore, paths

X = np.random.default_rng(0).integers(0, 256, size=(12, 4, 4), dtype=np.uint8)
Y = np.arange(12) % 3


class FakeRegistry:
    def __init__(self):
        self.added = {}

    def add_dataset(self, dataset_id, dataset):
        self.added[dataset_id] = dataset


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "home"))
    reset_app_state()
    yield tmp_path
    shut_down_app_state()


# -- size limits ----------------------------------------------------------------------------------
def test_the_server_and_the_parsers_enforce_the_same_upload_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES


def test_an_oversized_upload_is_refused_before_parsing(fresh):
    registry = FakeRegistry()
    big = b"label,pixel0\n" + b"0" * MAX_UPLOAD_BYTES
    t0 = time.monotonic()
    with pytest.raises(DataError, match=r"big\.csv: the file is 200\.0 MB, over the 200 MB limit"):
        uploads.add_upload(registry, [("big.csv", big)])
    assert time.monotonic() - t0 < 5 and registry.added == {}


def test_a_gzip_bomb_is_refused_at_the_limit_not_inflated(fresh):
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(2**24)
    bomb = b"".join(packer.compress(zeros) for _ in range(16)) + packer.flush()  # 256 MB
    assert len(bomb) < 2**21  # a 2 MB upload
    registry = FakeRegistry()
    t0 = time.monotonic()
    # refused at the first over-long line, long before the 200 MB output cap
    with pytest.raises(DataError, match=r"bomb\.csv\.gz: CSV line 1 is over [\d,]+ characters"):
        uploads.add_upload(registry, [("bomb.csv.gz", bomb)])
    assert time.monotonic() - t0 < 20 and registry.added == {}


# -- never unpickled -------------------------------------------------------------------------------
class Payload:
    """Unpickling this creates the marker file: proof that something unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture
def no_unpickling(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("something tried to unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    yield calls


def _pickled_files(marker: Path) -> dict[str, bytes]:
    raw = pickle.dumps(Payload(marker))
    objects = io.BytesIO()
    np.save(objects, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    npz = io.BytesIO()
    np.savez(npz, x=np.array([Payload(marker)] * 12, dtype=object), y=Y)
    net = MLP.create([16, 3], "relu", "he", np.random.default_rng(0))
    good_model = model_bytes(net, NetConfig(hidden=()))
    with np.load(io.BytesIO(good_model)) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["W0"] = np.array([Payload(marker)], dtype=object)
    model = io.BytesIO()
    np.savez(model, **arrays)
    return {
        "x.npz": npz.getvalue(),
        "x.npy": objects.getvalue(),
        "x.pkl": raw,
        "x.npz.gz": gzip.compress(npz.getvalue()),
        "model.npz": model.getvalue(),
        "raw-pickle.npz": raw,
    }


def test_no_parser_ever_unpickles(tmp_path, no_unpickling):
    marker = tmp_path / "pwned"
    files = _pickled_files(marker)
    for name, data in files.items():
        if name.startswith("model") or name.startswith("raw"):
            with pytest.raises(ModelFileError, match="pickle|not a zip"):
                parse_model(data)
        with pytest.raises(DataError):
            parse_upload(name, data)
    with pytest.raises(DataError):
        parse_uploads([("a-idx3-ubyte", files["x.pkl"]), ("b-idx1-ubyte", files["x.npy"])])
    (tmp_path / "m.npz").write_bytes(files["model.npz"])
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(tmp_path / "m.npz")
    assert not marker.exists() and no_unpickling == []


def test_a_pickled_upload_on_the_page_is_refused_with_a_reason(fresh, no_unpickling):
    marker = fresh / "pwned"
    at = session()
    at.run()
    at.file_uploader(key="upload_files").set_value(
        ("evil.npz", _pickled_files(marker)["x.npz"], "application/octet-stream")
    )
    at.run()
    button(at, "Add data set").click().run()
    assert not at.exception
    [error] = texts(at.error)
    assert error.startswith("evil.npz:") and "pickle, which is refused for safety" in error
    assert not marker.exists() and no_unpickling == []
    assert uploads.uploaded_choices(state.get_registry()) == {}


# -- a model file's config is checked before anything is built from it ---------------------------
def _model_with(config_changes=None, header_changes=None) -> bytes:
    net = MLP.create([16, 5, 3], "tanh", "he", np.random.default_rng(0))
    data = model_bytes(net, NetConfig(hidden=(5,), activation="tanh"))
    with np.load(io.BytesIO(data)) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(arrays["header"].tobytes())
    header["config"].update(config_changes or {})
    header.update(header_changes or {})
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("config_changes", "header_changes", "words"),
    [
        ({"activation": "__import__('os').system"}, None, "activation"),
        ({"dtype": "object"}, None, "dtype"),
        ({"hidden": [10**9]}, {"sizes": [16, 10**9, 3]}, "hidden"),
        ({"hidden": "5"}, None, "hidden"),
        ({"lr": "0.1"}, None, "lr: must be a number"),
        ({"lr": float("nan")}, None, "lr"),
        ({"__class__": "MLP"}, None, "unknown config keys: __class__"),
        ({"epochs": True}, None, "epochs"),
        (None, {"config": "rm -rf /"}, "config must be a JSON object"),
        (None, {"config": None}, "config must be a JSON object"),
        (None, {"format": "pickle"}, "format"),
    ],
)
def test_a_model_file_with_a_hostile_config_is_refused_before_use(
    monkeypatch, config_changes, header_changes, words
):
    data = _model_with(config_changes, header_changes)

    def never(*args, **kwargs):
        raise AssertionError("a network was built from an unchecked config")

    monkeypatch.setattr(MLP, "__init__", never)
    with pytest.raises(ModelFileError, match=words):
        parse_model(data)


def test_a_tampered_checkpoint_in_the_store_is_refused(tmp_path):
    store = RunStore(tmp_path / "home")
    run_id = store.create_run(NetConfig(hidden=(5,), activation="tanh"), "tampered")
    folder = tmp_path / "home" / "runs" / run_id  # made by create_run: it holds run.json
    (folder / "epoch-0001.npz").write_bytes(_model_with({"activation": "eval"}))
    with pytest.raises(ModelFileError, match="activation"):
        store.load_weights(run_id, "last")
    store.close()


# -- names and ids never become paths -------------------------------------------------------------
HOSTILE = ["../../etc/x", "/etc/passwd", "..", ".", "a/../../b", "C:\\\\Windows\\\\x", "~root",
           "x\x00y", "$(rm -rf ~)", "' OR '1'='1", "%2e%2e%2f", "runs.sqlite3"]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=60)))
def test_any_name_stays_a_name_and_any_id_is_checked(tmp_path_factory, text):
    home = tmp_path_factory.mktemp("home")
    store = RunStore(home)
    try:
        config = NetConfig(hidden=(), dataset="digits-8x8")
        if text.strip():
            run_id = store.create_run(config, text)
            assert store.get_run(run_id).name == " ".join(text.split())[:200]
            net = MLP.create([64, 10], "relu", "he", np.random.default_rng(0))
            store.save_weights(run_id, 1, net, config, {})
            assert [p.name for p in (home / "runs").iterdir()] == [run_id]
            assert sorted(p.name for p in home.iterdir() if not p.name.startswith("runs.")) == [
                "runs"
            ]
        if not paths.is_run_id(text):
            with pytest.raises(RunNotFoundError):
                paths.run_dir(home, text)
            assert store.get_run(text) is None and store.saved_epochs(text) == []
            assert store.epoch_metrics(text) == [] and len(store.batch_losses(text)[0]) == 0
            for call in (store.load_weights, store.delete, lambda i: store.rename(i, "y")):
                with pytest.raises(RunNotFoundError):
                    call(text)
    finally:
        store.close()


def test_a_path_like_run_name_typed_on_the_page_stays_a_name(fresh):
    home = fresh / "home"
    at = session()
    at.run()
    at.selectbox(key="f_dataset").set_value("digits-8x8")
    at.number_input(key="f_epochs").set_value(1)
    at.text_input(key="f_name").set_value("../../etc/x")
    at.run()
    button(at, "Start training").click().run()
    run_id = at.session_state[tab_state.WATCHED_RUN_KEY]
    registry = state.get_registry()
    assert registry.wait(run_id, 60) == "finished"
    assert registry.store.get_run(run_id).name == "../../etc/x"
    assert [p.name for p in (home / "runs").iterdir()] == [run_id]
    assert not (fresh / "etc").exists() and not (home.parent.parent / "etc" / "x").exists()
    at.switch_page(navigation.COMPARE.script).run()
    assert at.dataframe[0].value["name"].tolist() == ["../../etc/x"]


def test_an_upload_name_and_a_linked_data_set_never_reach_the_disk(fresh):
    home = fresh / "home"
    at = session()
    at.query_params["dataset"] = "../../../../etc/passwd"
    at.run()
    assert at.selectbox(key="f_dataset").value == "mnist-sample"  # not a choice: ignored
    before = sorted(p.relative_to(fresh) for p in fresh.rglob("*"))
    registry = state.get_registry()
    dataset_id, _ = uploads.add_upload(registry, [("../../../evil.npz", npz_bytes(x=X, y=Y))])
    assert re.fullmatch(r"upload-[0-9a-f]{12}", dataset_id)  # named by content, not by text
    assert "../../../evil.npz" in uploads.uploaded_choices(registry)[dataset_id]
    written = sorted(set(p.relative_to(fresh) for p in fresh.rglob("*")) - set(before))
    folder = Path("home") / "uploads"
    assert written == [folder, folder / f"{dataset_id}.json", folder / f"{dataset_id}.npz"]
    run_id = registry.start(NetConfig(dataset="../../etc/passwd", hidden=(4,), epochs=1))
    assert registry.wait(run_id, 30) == "failed"
    assert "unknown data set '../../etc/passwd'" in registry.store.get_run(run_id).reason
    # only the run's own folder, named by its generated id, with its manifest
    assert [p.name for p in (home / "runs").iterdir()] == [run_id]
    assert [p.name for p in (home / "runs" / run_id).iterdir()] == ["run.json"]
