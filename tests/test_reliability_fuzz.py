"""Bad input, fuzzed: every parser a person can reach, fed random and mutated files.

Only the documented errors may come out (DataError for data files, ModelFileError for model
files, ConfigError for configs), never another exception type and never a hang (each call runs
under a time limit). Complements the byte-level fuzzing in test_data_*.py with structure-aware
inputs: .npy headers, CSV cells, model headers, widget values and links. Prints example counts.
"""

from __future__ import annotations

import collections
import gzip
import io
import json
import math
import os
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reliability_helpers import time_limit

from app import form
from netlib.config import ConfigError, NetConfig
from netlib.data import DataError, parse_upload, parse_uploads, read_idx, write_idx
from netlib.data.csvfile import read_csv
from netlib.data.npz import read_npz
from netlib.data.uploads import dataset_from_upload
from netlib.modelfile import ModelFileError, model_bytes, parse_model
from netlib.network import MLP

EXAMPLES = int(os.environ.get("DIGITNET_FUZZ_EXAMPLES", "400"))  # raise it for a deeper hunt
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
LIMIT = 10.0  # seconds a single parse may take before it counts as a hang
COUNTS: collections.Counter = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    total = sum(COUNTS.values())
    lines = ", ".join(f"{name} {n}" for name, n in sorted(COUNTS.items()))
    print(f"\n[fuzz] {total} examples: {lines}")


def check_only(errors, what: str, call, *args, **kwargs):
    """Run one parse under a time limit; an error outside `errors` fails the example."""
    COUNTS[what] += 1
    with time_limit(LIMIT, what):
        try:
            return call(*args, **kwargs)
        except errors:
            return None


# -- model files (.npz with a JSON header) ------------------------------------------------------
def _model_file() -> bytes:
    config = NetConfig(hidden=(5,), activation="tanh")
    net = MLP.create([16, 5, 3], "tanh", "he", np.random.default_rng(0))
    return model_bytes(net, config, {"epoch": 1})


MODEL = _model_file()
MODEL_STORED = io.BytesIO()
with np.load(io.BytesIO(MODEL)) as _npz:
    _ARRAYS = {k: _npz[k] for k in _npz.files}
np.savez(MODEL_STORED, **_ARRAYS)  # uncompressed: mutations reach the arrays, not only zlib
MODELS = [MODEL, MODEL_STORED.getvalue()]
HEADER = json.loads(_ARRAYS["header"].tobytes())


def _check_model(result):
    if result is not None:
        net, config, meta = result
        assert net.sizes[1:-1] == list(config.hidden) and isinstance(meta, dict)


@FUZZ
@given(st.binary(max_size=600))
def test_model_random_bytes(data):
    _check_model(check_only(ModelFileError, "model random", parse_model, data))
    _check_model(check_only(ModelFileError, "model random", parse_model, b"PK\x03\x04" + data))


@FUZZ
@given(
    st.sampled_from(MODELS),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 10**6),
)
def test_model_mutated_and_truncated(full, edits, cut):
    data = bytearray(full)
    for pos, value in edits:
        data[pos % len(data)] = value
    _check_model(check_only(ModelFileError, "model mutated", parse_model, bytes(data)))
    _check_model(
        check_only(ModelFileError, "model truncated", parse_model, full[: cut % len(full)])
    )


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(
    st.dictionaries(st.sampled_from([*HEADER["config"], "bogus"]), JSON, max_size=5),
    st.one_of(st.none(), JSON, st.lists(st.integers(-3, 40), max_size=5)),
    st.dictionaries(
        st.sampled_from(["W0", "b0", "W1", "b1", "W9"]),
        st.tuples(
            st.sampled_from(["<f4", "<f8", "<i8", "|u1", "<c8", "|b1"]),
            st.lists(st.integers(0, 20), min_size=0, max_size=3),
        ),
        max_size=3,
    ),
)
def test_model_with_a_hostile_header_or_arrays(config_changes, sizes, arrays):
    """The header's JSON config is validated before any array is used; arrays are checked."""
    header = dict(HEADER, config=dict(HEADER["config"], **config_changes))
    if sizes is not None:
        header["sizes"] = sizes
    members = dict(_ARRAYS)
    members["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    for name, (dtype, shape) in arrays.items():
        members[name] = np.ones(shape, dtype=dtype)
    buf = io.BytesIO()
    np.savez(buf, **members)
    _check_model(check_only(ModelFileError, "model header", parse_model, buf.getvalue()))


# -- .npz uploads: zip members holding hand-made .npy headers --------------------------------
DESCRS = ["|u1", "<f4", ">f8", "<i8", "|b1", "|O", "<U0", "|S0", "|V0", "<c16", "<M8[D]", "(2,)<f4",
          "[('a', '<i4')]", "<f2", "|u1x"]  # fmt: skip
SHAPES = st.one_of(
    st.lists(st.integers(-2, 6), max_size=4).map(tuple),
    st.lists(st.sampled_from([0, 1, 2**31, 2**62, 10**30]), min_size=1, max_size=3).map(tuple),
)


def _npy(descr: str, shape, fortran: bool, body: bytes, version: bytes) -> bytes:
    header = f"{{'descr': {descr if descr.startswith('[') else repr(descr)}, "
    header += f"'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    header = header.encode("latin1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    size = (
        struct.pack("<H", len(header)) if version == b"\x01\x00" else struct.pack("<I", len(header))
    )
    return b"\x93NUMPY" + version + size + header + body


@FUZZ
@given(
    st.sampled_from(["x", "y", "images", "labels"]),
    st.sampled_from(DESCRS),
    SHAPES,
    st.booleans(),
    st.binary(max_size=300),
    st.sampled_from([b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x09\x09"]),
    st.booleans(),
)
def test_npz_members_with_hand_made_npy_headers(name, descr, shape, fortran, body, version, pair):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{name}.npy", _npy(descr, shape, fortran, body, version))
        if pair:  # a valid partner array, so the hand-made one is really used
            partner = "y" if name in ("x", "images") else "x"
            partner_arr = np.zeros((3, 4, 4), np.uint8) if partner == "x" else np.arange(3)
            member = io.BytesIO()
            np.save(member, partner_arr)
            zf.writestr(f"{partner}.npy", member.getvalue())
    check_only(DataError, "npz member", read_npz, buf.getvalue())
    check_only(DataError, "npz upload", parse_upload, "u.npz", buf.getvalue())


# -- CSV uploads: structured rows of tricky cells -------------------------------------------
CELLS = ["0", "1", "255", "256", "-1", "3.5", "1e400", "nan", "inf", "-0", " 7 ", "", "x",
         "0x10", "1_0", "٣", "1,5", '"4"', "\x00", "9" * 400, "1e-400", "label"]  # fmt: skip


@FUZZ
@given(
    st.lists(st.lists(st.sampled_from(CELLS), min_size=0, max_size=18), min_size=0, max_size=8),
    st.sampled_from(["\n", "\r\n", "\r", "\n\n"]),
    st.booleans(),
    st.booleans(),
)
def test_csv_rows_of_tricky_cells(rows, newline, bom, gz):
    text = newline.join(",".join(r) for r in rows)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    result = check_only(DataError, "csv direct", read_csv, data)
    if result is not None:
        images, labels = result
        assert images.dtype == np.uint8 and len(images) == len(labels)
    name, payload = ("u.csv.gz", gzip.compress(data)) if gz else ("u.csv", data)
    check_only(DataError, "csv upload", parse_upload, name, payload)


# -- IDX: hand-made headers ---------------------------------------------------------------------
@FUZZ
@given(
    st.integers(0, 3),
    st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]),
    st.integers(0, 6),
    st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 5), min_size=0, max_size=6),
    st.binary(max_size=400),
)
@example(0, 0x08, 4, [0, 2, 0x56000000, 0xBE830000], b"")  # found: an empty, overflowing shape
def test_idx_hand_made_headers(zero, code, ndim, dims, body):
    header = struct.pack(">HBB", zero, code, ndim) + b"".join(struct.pack(">I", d) for d in dims)
    check_only(DataError, "idx header", read_idx, header + body)
    labels = write_idx(np.arange(4, dtype=np.uint8) % 3)
    check_only(
        DataError, "idx pair", parse_uploads, [("i-idx3-ubyte", header + body), ("l", labels)]
    )


# -- the whole upload path, as the pages call it (parse, then make a data set) ---------------
@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a.csv", "b.npz", "c-idx3-ubyte.gz", "d", "../../etc/x.csv", "e.zip"]),
            st.binary(max_size=300),
        ),
        min_size=0,
        max_size=3,
    )
)
def test_whole_upload_path_only_raises_data_error(files):
    def add(files):
        if not files:
            raise DataError("nothing uploaded")
        images, labels = parse_uploads(files)
        return dataset_from_upload(images, labels, name="fuzz")

    check_only(DataError, "upload path", add, files)


# -- configs from JSON, the form and links ------------------------------------------------------
@FUZZ
@given(st.one_of(st.text(max_size=200), JSON.map(json.dumps)))
def test_config_from_any_json_text(text):
    config = check_only(ConfigError, "config json", NetConfig.from_json, text)
    if config is not None:
        assert NetConfig.from_json(config.to_json()) == config


WIDGET = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(["full batch", "64", "0", "-3", "1e3", "128, 64", "nan", "relu", "adam"]),
    st.lists(st.integers(), max_size=2),
)


@FUZZ
@given(st.dictionaries(st.sampled_from(form.FORM_KEYS), WIDGET, max_size=8))
def test_form_values_are_refused_only_with_config_error(changes):
    values = form.form_values(NetConfig()) | changes
    config = check_only(ConfigError, "form", form.config_from_form, values)
    if config is not None:
        config.validate()
        assert all(math.isfinite(v) for v in (config.lr, config.l2, config.dropout))


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from([*NetConfig().to_dict(), "preset", "bogus", "extra"]),
        st.one_of(st.text(max_size=20), st.sampled_from(["nan", "-inf", "1e999", "9" * 5000])),
        max_size=6,
    )
)
def test_links_never_raise_and_report_what_they_skip(params):
    COUNTS["link"] += 1
    with time_limit(LIMIT, "link"):
        config, preset, problems = form.from_query(params)
        values, notes = form.clamp_to_ranges(form.form_values(config, preset))
    config.validate()
    assert form.config_from_form(values) is not None  # what the form then shows is trainable
    assert all(isinstance(p, str) for p in problems + notes)
