"""The CSV reader's fast path for plain-integer blocks (csvfile._int_table) gives exactly what
the np.loadtxt path gives: the same arrays for good files, the same message naming the same
row for bad ones. No timings here (bench/bench_bombs.py measures the speed)."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netlib.data import DataError, csvfile, parse_upload
from netlib.data.csvfile import byte_pieces, read_csv, read_csv_pieces

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rows_text(images: np.ndarray, labels: np.ndarray, header: bool = True) -> list[str]:
    n = images[0].size
    lines = [",".join(["label"] + [f"pixel{i}" for i in range(n)])] if header else []
    for img, lab in zip(images, labels, strict=True):
        lines.append(f"{lab}," + ",".join(map(str, img.ravel())))
    return lines


def digits(n: int, side: int = 28, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Digit-like images: mostly 0, some 1..3-digit pixels, as in MNIST."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, side, side)) * (rng.random((n, side, side)) < 0.2)
    return images.astype(np.uint8), rng.integers(0, 10, size=n)


def reference(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The format in a dozen lines, the whole file at once (valid files only)."""
    lines = [line for line in data.decode("utf-8-sig").splitlines() if line.strip()]
    try:
        float(lines[0].split(",")[0])
    except ValueError:
        lines = lines[1:]
    table = np.array([[float(cell) for cell in line.split(",")] for line in lines])
    pixels = table[:, 1:] * (255.0 if table[:, 1:].max() <= 1 else 1.0)
    side = math.isqrt(pixels.shape[1])
    return np.rint(pixels).astype(np.uint8).reshape(-1, side, side), table[:, 0].astype(np.int64)


def outcome(data: bytes, piece: int | None = None) -> tuple:
    """What read_csv makes of the bytes: ('ok', images, labels) or ('error', message)."""
    try:
        images, labels = read_csv_pieces(byte_pieces(data, piece)) if piece else read_csv(data)
    except DataError as exc:
        return ("error", str(exc))
    return ("ok", images.tobytes(), images.shape, labels.tolist())


def slow_outcome(data: bytes, monkeypatch, piece: int | None = None) -> tuple:
    """The same with the fast path switched off: every block goes through np.loadtxt."""
    with monkeypatch.context() as m:
        m.setattr(csvfile, "_int_table", lambda *args: None)
        return outcome(data, piece)


def test_generated_digit_files_equal_the_reference_parser():
    for seed, (n, side, header, newline) in enumerate(
        [(2000, 28, True, "\n"), (500, 2, False, "\n"), (300, 16, True, "\r\n"), (40, 28, 1, "\r")]
    ):
        images, labels = digits(n, side, seed)
        data = newline.join(rows_text(images, labels, bool(header))).encode() + b"\n"
        want = reference(data)
        for got in (read_csv(data), parse_upload("d.csv.gz", gzip.compress(data))):
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
            np.testing.assert_array_equal(got[0], images)


def test_blank_lines_leading_zeros_and_block_edges_read_as_before(monkeypatch):
    images, labels = digits(60, 4, seed=3)
    lines = rows_text(images, labels)
    lines[10:10] = ["", "", ""]
    lines[30] = lines[30].replace(",0,", ",000,", 1).replace(",", ",00", 1)
    data = ("\n\n" + "\n".join(lines) + "\n\n").encode()
    want = reference(data)
    for piece in (None, 7, 64, 1000):
        got = outcome(data, piece)
        assert got == slow_outcome(data, monkeypatch, piece)
        assert got == ("ok", want[0].tobytes(), want[0].shape, want[1].tolist())


def test_a_bad_row_in_the_middle_of_a_large_block_is_named(monkeypatch):
    images, labels = digits(3000, seed=1)  # ~1.7 MB: one block as plain bytes, two gzipped
    lines = rows_text(images, labels)
    bad = list(lines)
    bad[1500] = bad[1500].rsplit(",", 1)[0]  # row 1500 (line 1501) loses its last cell
    data = ("\n".join(bad) + "\n").encode()
    message = r"row 1500 \(line 1501\) has 784 cells, but the header has 785"
    with pytest.raises(DataError, match=message):
        read_csv(data)
    with pytest.raises(DataError, match="d.csv.gz: CSV " + message):
        parse_upload("d.csv.gz", gzip.compress(data))
    # a cell too many two rows later keeps the total a multiple of the row length
    bad[1502] += ",7"
    data = ("\n".join(bad) + "\n").encode()
    assert len(",".join(bad[1:]).split(",")) % 785 == 0
    with pytest.raises(DataError, match=message):
        read_csv(data)
    # the same swap the other way round: the first bad row has 786 cells
    bad = list(lines)
    bad[1500] += ",7"
    bad[1502] = bad[1502].rsplit(",", 1)[0]
    with pytest.raises(DataError, match=r"row 1500 \(line 1501\) has 786 cells"):
        read_csv(("\n".join(bad) + "\n").encode())
    # an empty cell, a 10-digit number and a word, each in the middle of the block
    for cell, message in [
        ("", r"row 2200 \(line 2201\), column 5: '' is not a number"),
        ("1234567890", r"pixel values must be in \[0, 1\] or \[0, 255\].*\(first in row 2200\)"),
        ("9" * 400, r"NaN or infinite \(first in row 2200\)"),
        ("x1", r"row 2200 \(line 2201\), column 5: 'x1' is not a number"),
    ]:
        bad = list(lines)
        cells = bad[2200].split(",")
        cells[4] = cell
        bad[2200] = ",".join(cells)
        data = ("\n".join(bad) + "\n").encode()
        with pytest.raises(DataError, match=message):
            read_csv(data)
        assert outcome(data) == slow_outcome(data, monkeypatch)


CELLS = ["0", "7", "255", "256", "007", "1000000000", "", "1.5", " 3", "-1", "x", "1e2"]


@FUZZ
@given(
    st.integers(1, 40),
    st.sampled_from([5, 10, 17]),
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(CELLS + ["DEL", "ADD", "NL"]))),
    st.sampled_from([None, 1, 13, 200]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_fast_and_slow_paths_agree_on_damaged_tables(rows, ncols, edits, piece, header, seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(0, 256, size=(rows, ncols)).astype(str).tolist()
    for pos, edit in edits:
        row = table[pos % len(table)]
        if edit == "DEL" and len(row) > 1:
            row.pop(pos % len(row))
        elif edit == "ADD":
            row.insert(pos % (len(row) + 1), "1")
        elif edit == "NL":
            table.insert(pos % (len(table) + 1), [""])
        else:
            row[pos % len(row)] = edit
    head = [",".join(f"p{i}" for i in range(ncols))] if header else []
    data = ("\n".join(head + [",".join(r) for r in table]) + "\n").encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert outcome(data, piece) == slow_outcome(data, monkeypatch, piece)


def test_plain_integer_blocks_take_the_fast_path(monkeypatch):
    """Guards the speed without timing it: a digit CSV never falls back to np.loadtxt."""
    seen = []
    fast = csvfile._int_table
    monkeypatch.setattr(csvfile, "_int_table", lambda *a: seen.append(fast(*a)) or seen[-1])
    monkeypatch.setattr(csvfile, "_fast_parse", lambda *a: pytest.fail("np.loadtxt was used"))
    images, labels = digits(3000, seed=2)
    data = ("\n".join(rows_text(images, labels)) + "\n").encode()
    np.testing.assert_array_equal(parse_upload("d.csv.gz", gzip.compress(data))[0], images)
    assert len(seen) >= 2 and all(table is not None for table in seen)
