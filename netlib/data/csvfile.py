"""Kaggle-style digit CSV: one image per row, `label,pixel0,...,pixelN` with an optional header.

The text is parsed in blocks of a few MB as it is decoded (and, for .csv.gz, as it is
inflated), so memory follows the pixels kept, as uint8, not the file: the shape is checked on
the header line, the image count and decoded size after every block. numpy's C parser reads
each block; when it fails we rescan that block in Python only to name the first bad row,
because "row 4182 has 783 cells" is what a user can act on.

Most uploads are plain unsigned integers (`7,0,0,128,...`): a block holding only digits, commas
and "\n" is read by a few whole-array numpy passes over its bytes (_int_table, several times
faster than np.loadtxt), which check the row structure themselves and give up on anything
else (an empty cell, a long number, a ragged row); then the block takes the np.loadtxt path
above, so every accepted value and every message is the same either way.
"""

from __future__ import annotations

import codecs
import io
import math
import re
from collections.abc import Iterable, Iterator

import numpy as np

from netlib.data.checks import (
    MAX_IMAGES,
    MAX_SIDE,
    PixelStream,
    as_labels,
    check_count,
    check_side,
)
from netlib.data.dataset import DataError

BLOCK_CHARS = 4 * 2**20  # text parsed at once: a few thousand 28x28 rows
MAX_LINE_CHARS = (MAX_SIDE**2 + 1) * 24  # one row of the largest image, generously spelled
MAX_LINES = 2 * MAX_IMAGES + 1  # blank lines between rows are allowed, millions of them are not
# str.splitlines' line breaks, so a file reads the same as when it was split in one go
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_BREAK_CHARS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what _BREAKS looks for
_BLANK_LINES = re.compile(r"^[^\S\n]*\n", re.MULTILINE)  # whitespace-only lines
_PLAIN = b"0123456789,\n"  # the bytes of a block _int_table reads
_MAX_DIGITS = 9  # longer cells take the np.loadtxt path (uint32 holds 9 digits exactly)


def read_csv(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Parse CSV bytes into (uint8 images (N, H, W), int64 labels (N,))."""
    return read_csv_pieces(byte_pieces(data))


def byte_pieces(data: bytes, size: int = BLOCK_CHARS) -> Iterator[memoryview]:
    """Bytes in memory as pieces without copying them (the gunzip stream gives pieces too)."""
    view = memoryview(data)
    return (view[i : i + size] for i in range(0, len(view), size))


def read_csv_pieces(pieces: Iterable[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Parse CSV arriving as byte pieces (e.g. straight out of gunzip) without holding it all."""
    parser = _Parser()
    for start_line, text in _line_blocks(pieces):
        parser.feed(start_line, text)
    return parser.result()


def _line_blocks(pieces: Iterable[bytes]) -> Iterator[tuple[int, str]]:
    """(number of the block's first line, its whole lines ending in "\\n"), a block at a time."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    carry, line_no, consumed = "", 1, 0
    for final, piece in _with_last(pieces):
        try:
            text = carry + decoder.decode(piece, final=final)
        except UnicodeDecodeError as exc:
            at = consumed + exc.start
            raise DataError(f"the CSV file is not UTF-8 text (byte {at})") from None
        consumed += len(piece)
        if not final and text.endswith("\r"):
            text, carry = text[:-1], "\r"  # may be the first half of "\r\n"
        else:
            carry = ""
        if any(c in text for c in _BREAK_CHARS):  # a cheap scan spares the regex pass
            text = _BREAKS.sub("\n", text)
        cut = len(text) if final else text.rfind("\n") + 1
        block, rest = text[:cut], text[cut:]
        carry = rest + carry
        if len(carry) > MAX_LINE_CHARS:
            raise DataError(
                f"CSV line {line_no + block.count(chr(10))} is over {MAX_LINE_CHARS:,} characters"
            )
        if block:
            if not block.endswith("\n"):
                block += "\n"
            yield line_no, block
            line_no += block.count("\n")
            if line_no > MAX_LINES:
                raise DataError(f"the CSV file has over {MAX_LINES:,} lines")


def _with_last(pieces: Iterable[bytes]) -> Iterator[tuple[bool, bytes]]:
    """Each piece with a flag saying whether it is the last (an empty input gives one b"")."""
    it = iter(pieces)
    prev = next(it, b"")
    for piece in it:
        yield False, prev
        prev = piece
    yield True, prev


class _Parser:
    """The state between blocks: header, column count, rows so far, pixels kept as uint8."""

    def __init__(self) -> None:
        self.ncols = 0
        self.first = ""
        self.rows = 0
        self.labels: list[np.ndarray] = []
        self.pixels = PixelStream("CSV")

    def feed(self, start_line: int, text: str) -> None:
        if not self.ncols:
            start_line, text = self._read_first_line(start_line, text)
        plain = _plain_bytes(text)
        if plain is not None:
            body, n = "", int(np.count_nonzero(plain == 10))
        else:
            body = _BLANK_LINES.sub("", text)
            n = body.count("\n")
        if n == 0:
            return
        check_count(self.rows + n, self.ncols - 1, "the CSV file")
        table = None if plain is None else _int_table(plain, n, self.ncols)
        if table is None:
            body = body or _BLANK_LINES.sub("", text)
            table = _fast_parse(body, n, self.ncols)
        if table is None:
            _explain_failure(text, start_line, self.rows, self.ncols, self.first)
            raise DataError("the CSV file could not be read as comma-separated numbers")
        self.labels.append(table[:, 0].copy())
        self.pixels.add(table[:, 1:], first_row=self.rows + 1)
        self.rows += n

    def _read_first_line(self, start_line: int, text: str) -> tuple[int, str]:
        """Take the header (or first row) off the first non-blank line; check the shape."""
        pos = 0
        while pos < len(text):
            end = text.index("\n", pos)
            line = text[pos:end]
            if line.strip():
                break
            pos, start_line = end + 1, start_line + 1
        else:
            return start_line, ""
        self.ncols = line.count(",") + 1
        header = not _is_number(line.split(",", 1)[0])
        self.first = "the header" if header else "the first row"
        _check_columns(self.ncols)
        if header:
            return start_line + 1, text[end + 1 :]
        return start_line, text[pos:]

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.ncols:
            raise DataError("the CSV file is empty")
        if not self.rows:
            raise DataError("the CSV file has a header but no data rows")
        side = math.isqrt(self.ncols - 1)
        labels = as_labels(np.concatenate(self.labels), "CSV labels")
        images = self.pixels.result().reshape(self.rows, side, side)
        return images, labels


def _check_columns(ncols: int) -> None:
    side = math.isqrt(max(ncols - 1, 0))
    if ncols < 2 or side * side != ncols - 1:
        hint = ""
        if math.isqrt(ncols) ** 2 == ncols:
            hint = " (it looks like pixels without a label column)"
        raise DataError(
            f"the CSV file has {ncols} columns; expected a label then a square number of "
            f"pixels, e.g. 1 + 784 for 28x28{hint}"
        )
    check_side(side, "CSV images")


def _plain_bytes(text: str) -> np.ndarray | None:
    """The block's bytes (uint8) without its empty lines, if it holds only digits, commas and
    "\\n" (then a blank line is an empty one), else None."""
    if not text.isascii():  # O(1): CPython keeps the flag
        return None
    data = text.encode("ascii")
    if data.translate(None, _PLAIN):
        return None
    a = np.frombuffer(data, np.uint8)
    empty = a == 10  # a "\n" at the start or right after another ends an empty line
    empty[1:] &= empty[:-1].copy()
    return a[~empty] if empty.any() else a


def _int_table(a: np.ndarray, rows: int, ncols: int) -> np.ndarray | None:
    """float64 (rows, ncols) of `rows` lines of `ncols` unsigned integers of 1..9 digits
    (a: the bytes of digits, "," and "\\n", ending in "\\n", no empty line), or None when the
    block is not exactly that; equal to np.loadtxt's table, such numbers being exact floats."""
    is_digit = a >= 48  # the separators "," and "\n" are 44 and 10, the digits 48..57
    if not is_digit[0] or not (is_digit[1:] | is_digit[:-1]).all():
        return None  # an empty cell: np.loadtxt refuses it, with its row named
    ends = np.flatnonzero(~is_digit)  # the separator after each cell, row after row
    if ends.size != rows * ncols:
        return None
    line_ends = np.searchsorted(ends, np.flatnonzero(a == 10))  # each must end cell ncols
    if not np.array_equal(line_ends, np.arange(ncols - 1, rows * ncols, ncols)):
        return None  # some line has another number of cells
    width, run = 0, is_digit  # run[j]: the `width` bytes from j on are all digits
    while run.any():
        width += 1
        if width > _MAX_DIGITS:
            return None  # long numbers (maybe inf) are left to np.loadtxt
        run = run[:-1] & is_digit[width:]
    return _digit_runs(a, is_digit, width)[ends].reshape(rows, ncols).astype(np.float64)


def _digit_runs(a: np.ndarray, is_digit: np.ndarray, width: int) -> np.ndarray:
    """At each byte, the number spelled by the run of digits just before it (<= width digits).

    Horner's rule from the farthest digit in, on shifted views of the whole block rather than
    cell by cell: value(i) = is_digit[i-1] * (10 * value(i-1) + digit[i-1]), `width` steps.
    """
    n = a.size
    digits = np.zeros(n + width, np.uint8)  # `width` separators (as 0) in front
    np.subtract(a, 48, out=digits[width:])
    digits[width:] *= is_digit
    mask = np.zeros(n + width, np.bool_)
    mask[width:] = is_digit
    acc = digits[:n].astype(np.uint16 if width <= 4 else np.uint32)
    for lo in range(1, width):
        acc *= mask[lo : lo + n]
        acc *= 10
        acc += digits[lo : lo + n]
    return acc


def _fast_parse(body: str, rows: int, ncols: int) -> np.ndarray | None:
    try:
        table = np.loadtxt(
            io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2, comments=None
        )
    except Exception:  # any parse failure: _explain_failure finds the row
        return None
    if table.shape != (rows, ncols):
        return None
    return table


def _explain_failure(text: str, start_line: int, rows_before: int, ncols: int, first: str):
    """Rescan one block (a few MB at most) line by line to name the first bad row and cell."""
    k = rows_before
    for line_no, line in enumerate(text.split("\n"), start=start_line):
        if not line.strip():
            continue
        k += 1
        where = f"row {k} (line {line_no})"
        cells = line.split(",")
        if len(cells) != ncols:
            raise DataError(f"CSV {where} has {len(cells)} cells, but {first} has {ncols}")
        for j, cell in enumerate(cells):
            if not _is_number(cell):
                shown = cell.strip()[:20]
                raise DataError(f"CSV {where}, column {j + 1}: {shown!r} is not a number")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
