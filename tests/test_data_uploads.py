"""Uploads: CSV, .npz and IDX pairs parse; each kind of bad input gets its own clear DataError."""

from __future__ import annotations

import contextlib
import gzip
import io
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import time_limit

from netlib.data import DataError, dataset_from_upload, load_dataset, parse_upload, write_idx
from netlib.data.npz import read_npz, write_npz
from netlib.data.uploads import parse_idx_pair, parse_uploads

RNG = np.random.default_rng(1)
X = RNG.integers(0, 256, size=(12, 4, 4), dtype=np.uint8)
Y = np.arange(12, dtype=np.int64) % 3
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def csv_bytes(x=X, y=Y, header=True, newline="\n") -> bytes:
    n = x.shape[1] * x.shape[2]
    rows = [",".join(["label"] + [f"pixel{i}" for i in range(n)])] if header else []
    rows += [",".join(map(str, [int(lab), *img.ravel()])) for img, lab in zip(x, y, strict=True)]
    return (newline.join(rows) + newline).encode()


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def check(result, x=X, y=Y):
    images, labels = result
    assert images.dtype == np.uint8 and images.flags.c_contiguous
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(labels, y)


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_csv_with_and_without_header(header, newline):
    check(parse_upload("train.csv", csv_bytes(header=header, newline=newline)))


def test_csv_gzipped_and_with_bom_and_detected_without_extension():
    check(parse_upload("train.csv.gz", gzip.compress(csv_bytes())))
    check(parse_upload("train.csv", b"\xef\xbb\xbf" + csv_bytes()))
    check(parse_upload("upload", csv_bytes(header=False)))


def test_csv_ragged_row_names_the_row():
    lines = csv_bytes().decode().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0]
    with pytest.raises(DataError, match=r"train.csv: CSV row 3 \(line 4\) has 16 cells"):
        parse_upload("train.csv", "\n".join(lines).encode())


def test_csv_non_numeric_cell_names_row_and_column():
    lines = csv_bytes(header=False).decode().splitlines()
    cells = lines[4].split(",")
    cells[6] = "abc"
    lines[4] = ",".join(cells)
    with pytest.raises(DataError, match=r"row 5 \(line 5\), column 7: 'abc' is not a number"):
        parse_upload("d.csv", "\n".join(lines).encode())


def test_csv_bad_shapes_and_values():
    with pytest.raises(DataError, match="not a square|expected a label then a square"):
        parse_upload("a.csv", b"1,2,3,4\n0,5,6,7\n")
    with pytest.raises(DataError, match="pixels without a label column"):
        parse_upload("a.csv", b"1,2,3,4\n5,6,7,8\n")
    with pytest.raises(DataError, match=r"pixel values must be 0..255|found"):
        parse_upload("a.csv", b"1,2,3,4,300\n")
    with pytest.raises(DataError, match="NaN or infinite"):
        parse_upload("a.csv", b"1,2,3,4,nan\n")
    with pytest.raises(DataError, match="label -1 at index 1 is negative"):
        parse_upload("a.csv", b"1,2,3,4,5\n-1,2,3,4,5\n")
    with pytest.raises(DataError, match="label 2.5 at index 0 is not an integer"):
        parse_upload("a.csv", b"2.5,2,3,4,5\n")
    with pytest.raises(DataError, match="too many classes"):
        parse_upload("a.csv", b"150,2,3,4,5\n")


def test_empty_files():
    for name in ("a.csv", "a.npz", "a-idx3-ubyte", "x"):
        with pytest.raises(DataError, match="empty"):
            parse_upload(name, b"")
    with pytest.raises(DataError, match="empty"):
        parse_upload("a.csv", b"\n\n  \n")
    with pytest.raises(DataError, match="header but no data rows"):
        parse_upload("a.csv", b"label,p0,p1,p2,p3\n")
    with pytest.raises(DataError, match="not UTF-8"):
        parse_upload("a.csv", b"\xff\xfe1,2")


def test_file_over_the_size_limit():
    with pytest.raises(DataError, match="over the 0 MB limit"):
        parse_upload("train.csv", csv_bytes(), max_bytes=100)
    with pytest.raises(DataError, match="over the"):
        parse_upload("big.csv.gz", gzip.compress(b"0," * 100_000), max_bytes=10_000)


# --- .npz ----------------------------------------------------------------------------------


def test_npz_with_x_y_or_images_labels():
    check(parse_upload("d.npz", npz_bytes(x=X, y=Y)))
    check(parse_upload("d.npz", npz_bytes(images=X, labels=Y.astype(np.uint8))))
    check(parse_upload("d.npz", npz_bytes(x=X.reshape(12, 16), y=Y.astype(float))))
    check(parse_upload("no-extension", npz_bytes(x=X, y=Y)))


def test_npz_float_pixels_follow_the_documented_rule():
    unit = X.astype(np.float32) / 255.0
    check(parse_upload("d.npz", npz_bytes(x=unit, y=Y)))
    check(parse_upload("d.npz", npz_bytes(x=X.astype(np.float64), y=Y)))
    with pytest.raises(DataError, match="in \\[0, 1\\] or \\[0, 255\\]"):
        parse_upload("d.npz", npz_bytes(x=X * 2.0, y=Y))
    with pytest.raises(DataError, match="must be in"):
        parse_upload("d.npz", npz_bytes(x=X - 300.0, y=Y))


def test_npz_needing_pickle_is_refused():
    objects = np.array([X[0], "not a number"], dtype=object)
    with pytest.raises(DataError, match="would need pickle"):
        parse_upload("d.npz", npz_bytes(x=objects, y=Y[:2]))


def test_npz_problems():
    with pytest.raises(DataError, match="found a, b"):
        parse_upload("d.npz", npz_bytes(a=X, b=Y))
    with pytest.raises(DataError, match="only square images"):
        parse_upload("d.npz", npz_bytes(x=np.zeros((3, 4, 5), np.uint8), y=Y[:3]))
    with pytest.raises(DataError, match="12 images but 11 labels"):
        parse_upload("d.npz", npz_bytes(x=X, y=Y[:11]))
    with pytest.raises(DataError, match="not a valid .npz"):
        parse_upload("d.npz", csv_bytes())
    with pytest.raises(DataError, match="not a valid .npz|damaged"):
        parse_upload("d.npz", npz_bytes(x=X, y=Y)[:-30])
    with pytest.raises(DataError, match="unsupported pixel type"):
        parse_upload("d.npz", npz_bytes(x=np.full((2, 2, 2), "a"), y=Y[:2]))
    buf = io.BytesIO()
    np.save(buf, X)
    with pytest.raises(DataError, match="a .npy file holds one array"):
        parse_upload("x.npy", buf.getvalue())


def test_npz_zip_bomb_and_lying_header_are_refused():
    bomb = npz_bytes(x=np.zeros((4000, 28, 28), np.uint8), y=np.zeros(4000, np.int64))
    with pytest.raises(DataError, match="over the|more than"):
        parse_upload("d.npz", bomb, max_bytes=len(bomb) + 10)
    member = io.BytesIO()
    np.save(member, np.zeros((10, 28, 28), np.uint8))
    old, huge = b"(10, 28, 28)", b"(99999999999, 28, 28)"
    head, body = member.getvalue().split(b"\n", 1)
    head = head.replace(old, huge)[: -(len(huge) - len(old))]  # eat padding: same length
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.npy", head + b"\n" + body)
    with pytest.raises(DataError, match=r"truncated or padded: shape \(99999999999, 28, 28\)"):
        read_npz(buf.getvalue())


def test_deterministic_writer_round_trips_and_np_load_reads_it():
    data = write_npz({"x": X, "y": Y})
    assert data == write_npz({"x": X, "y": Y})
    check((np.load(io.BytesIO(data))["x"], np.load(io.BytesIO(data))["y"]))


# --- IDX pairs -----------------------------------------------------------------------------


def test_idx_pair_in_either_order_raw_or_gzip():
    xi, yi = write_idx(X), gzip.compress(write_idx(Y))
    check(parse_idx_pair(("img-idx3-ubyte", xi), ("lab-idx1-ubyte.gz", yi)))
    check(parse_uploads([("lab-idx1-ubyte.gz", yi), ("img-idx3-ubyte", xi)]))
    check(parse_uploads([("data.csv", csv_bytes())]))


def test_idx_pair_problems():
    xi, yi = write_idx(X), write_idx(Y[:10])
    with pytest.raises(DataError, match="12 images but 10 labels"):
        parse_uploads([("a-idx3-ubyte", xi), ("b-idx1-ubyte", yi)])
    with pytest.raises(DataError, match="upload the images file and the labels file together"):
        parse_upload("train-images-idx3-ubyte", xi)
    with pytest.raises(DataError, match="one image file and one 1-D label file"):
        parse_uploads([("a-idx3-ubyte", xi), ("b-idx3-ubyte", xi)])
    with pytest.raises(DataError, match="b.csv: expected an IDX file"):
        parse_uploads([("a-idx3-ubyte", xi), ("b.csv", csv_bytes())])
    with pytest.raises(DataError, match="a-idx3-ubyte: wrong IDX magic"):
        parse_uploads([("a-idx3-ubyte", b"\x01" + xi[1:]), ("b-idx1-ubyte", yi)])
    with pytest.raises(DataError, match="got 3 files"):
        parse_uploads([("a", xi)] * 3)


# --- Dataset from an upload ----------------------------------------------------------------


def test_dataset_from_upload_holds_out_a_stratified_sixth():
    x = np.repeat(X, 5, axis=0)
    y = np.repeat(Y, 5)
    ds = dataset_from_upload(x, y, name="mine")
    assert (len(ds.train_labels), len(ds.test_labels)) == (50, 10)
    assert sorted(np.bincount(ds.test_labels)) == [3, 3, 4]
    assert ds.class_names == ("0", "1", "2") and ds.name == "mine" and ds.max_value == 255
    again = dataset_from_upload(x, y, name="mine")
    np.testing.assert_array_equal(ds.test_images, again.test_images)
    other = dataset_from_upload(x, y, seed=1)
    assert not np.array_equal(ds.test_images, other.test_images)


def test_dataset_from_upload_with_separate_test_and_names():
    ds = dataset_from_upload(X, Y, test=(X[:3], Y[:3]), class_names=["a", "b", "c"])
    assert len(ds.train_images) == 12 and len(ds.test_images) == 3
    assert ds.class_names == ("a", "b", "c")
    with pytest.raises(DataError, match="only 2 class names"):
        dataset_from_upload(X, Y, class_names=["a", "b"])
    with pytest.raises(DataError, match="test images are"):
        dataset_from_upload(X, Y, test=(np.zeros((3, 8, 8), np.uint8), Y[:3]))
    with pytest.raises(DataError, match="at least 2 images"):
        dataset_from_upload(X[:1], Y[:1])


def test_bundled_sample_round_trips_through_upload_formats():
    ds = load_dataset("mnist-sample")
    x, y = ds.test_images[:300], ds.test_labels[:300]
    check(parse_upload("s.npz", npz_bytes(x=x, y=y)), x, y)
    check(parse_upload("s.csv", csv_bytes(x, y)), x, y)
    check(parse_uploads([("i-idx3-ubyte", write_idx(x)), ("l-idx1-ubyte", write_idx(y))]), x, y)


# --- Fuzz: random and damaged bytes only ever raise DataError ------------------------------

PARSE_LIMIT = 5.0  # seconds for one tiny input: far above the milliseconds it takes
NAMES = st.sampled_from(["u.csv", "u.npz", "u-idx3-ubyte", "u.gz", "u.csv.gz", "u", "u.npy"])
VALID = [
    csv_bytes(),
    npz_bytes(x=X, y=Y),
    write_npz({"x": X, "y": Y}),
    gzip.compress(csv_bytes()),
]


def _check_only_data_error(name, data):
    try:
        with time_limit(PARSE_LIMIT, f"parsing {name}"):  # never a hang
            images, labels = parse_upload(name, data)
    except DataError:
        return
    assert images.dtype == np.uint8 and labels.dtype == np.int64 and len(images) == len(labels)


@FUZZ
@given(NAMES, st.binary(max_size=400))
def test_random_bytes(name, data):
    _check_only_data_error(name, data)


@FUZZ
@given(NAMES, st.sampled_from(VALID), st.data())
def test_truncations(name, full, data):
    _check_only_data_error(name, full[: data.draw(st.integers(0, len(full)))])


@FUZZ
@given(
    NAMES,
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_mutations(name, full, edits):
    data = bytearray(full)
    for pos, value in edits:
        data[pos % len(data)] = value
    _check_only_data_error(name, bytes(data))


@FUZZ
@given(st.binary(max_size=200), st.binary(max_size=200))
def test_random_idx_pairs(a, b):
    with contextlib.suppress(DataError), time_limit(PARSE_LIMIT, "parsing an IDX pair"):
        images, labels = parse_uploads([("a-idx3-ubyte", a), ("b-idx1-ubyte.gz", b)])
        assert images.dtype == np.uint8 and len(images) == len(labels)
