"""IDX reading/writing: round trips, and every kind of damage becomes a DataError."""

from __future__ import annotations

import contextlib
import gzip
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import time_limit

from netlib.data import DataError, read_idx, write_idx
from netlib.data.idx import gunzip

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(7, 5, 5), dtype=np.uint8)
LABELS = np.array([0, 1, 2, 3, 4, 5, 9], dtype=np.int64)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSE_LIMIT = 5.0  # seconds for one tiny input: far above the milliseconds it takes


@pytest.mark.parametrize(
    "array",
    [
        IMAGES,
        LABELS,
        np.array([-3, 100], dtype=np.int64),
        np.array([-300, 3000], dtype=np.int32),
        np.array([-(2**31), 2**31 - 1], dtype=np.int64),
        np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4),
        np.linspace(-1, 1, 8, dtype=np.float64).reshape(2, 2, 2),
    ],
)
def test_round_trip_raw_and_gzip(array):
    raw = write_idx(array)
    for data in (raw, gzip.compress(raw)):
        back = read_idx(data)
        np.testing.assert_array_equal(back, array)
        assert back.dtype.isnative and back.flags.writeable and back.flags.c_contiguous


def test_uint8_header_is_the_mnist_one():
    raw = write_idx(IMAGES)
    assert raw[:4] == b"\x00\x00\x08\x03"
    assert struct.unpack(">3I", raw[4:16]) == (7, 5, 5)
    assert read_idx(raw).dtype == np.uint8


def test_wrong_magic_number():
    raw = bytearray(write_idx(IMAGES))
    raw[0] = 0x42
    with pytest.raises(DataError, match="wrong IDX magic number 0x42000803"):
        read_idx(bytes(raw))
    raw[0], raw[2] = 0, 0x07  # unknown type code
    with pytest.raises(DataError, match="magic"):
        read_idx(bytes(raw))


def test_truncated_data_and_header():
    raw = write_idx(IMAGES)
    with pytest.raises(DataError, match="truncated: shape"):
        read_idx(raw[:-1])
    with pytest.raises(DataError, match="inside its header"):
        read_idx(raw[:9])
    with pytest.raises(DataError, match="truncated"):
        read_idx(raw[:3])


def test_trailing_bytes_and_empty_file():
    with pytest.raises(DataError, match="3 unexpected bytes"):
        read_idx(write_idx(LABELS) + b"abc")
    with pytest.raises(DataError, match="empty"):
        read_idx(b"")


def test_truncated_and_corrupt_gzip():
    gz = gzip.compress(write_idx(IMAGES))
    with pytest.raises(DataError, match="gzip data is truncated"):
        read_idx(gz[:-12])
    broken = bytearray(gz)
    broken[-6] ^= 0xFF  # the CRC / length trailer
    with pytest.raises(DataError, match="corrupt"):
        read_idx(bytes(broken))


def test_size_limits_guard_against_gzip_bombs():
    bomb = gzip.compress(bytes(10_000_000))
    with pytest.raises(DataError, match="over the"):
        gunzip(bomb, max_bytes=1_000_000)
    with pytest.raises(DataError, match="over the"):
        read_idx(write_idx(IMAGES), max_bytes=100)


def test_huge_declared_shape_does_not_allocate():
    header = struct.pack(">HBB3I", 0, 8, 3, 2**32 - 1, 2**32 - 1, 2**32 - 1)
    with pytest.raises(DataError, match="truncated"):
        read_idx(header + b"\0" * 10)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_data_error(data):
    with contextlib.suppress(DataError), time_limit(PARSE_LIMIT, "read_idx"):
        assert isinstance(read_idx(data), np.ndarray)  # when it parses, it is an array


@FUZZ
@given(st.sampled_from([write_idx(IMAGES), gzip.compress(write_idx(LABELS))]), st.data())
def test_every_truncation_is_a_data_error(full, data):
    cut = data.draw(st.integers(0, len(full) - 1))
    with pytest.raises(DataError), time_limit(PARSE_LIMIT, "read_idx"):
        read_idx(full[:cut])


@FUZZ
@given(
    st.sampled_from([write_idx(IMAGES), gzip.compress(write_idx(IMAGES))]),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_mutated_files_only_raise_data_error(full, edits):
    data = bytearray(full)
    for pos, value in edits:
        data[pos % len(data)] = value
    with contextlib.suppress(DataError), time_limit(PARSE_LIMIT, "read_idx"):
        assert isinstance(read_idx(bytes(data)), np.ndarray)
