"""Kaggle-style digit CSV: one image per row, `label,pixel0,...,pixelN` with an optional header.

numpy's C parser reads the usual case fast; when it fails we rescan in Python only to name
the first bad row, because "row 4182 has 783 cells" is what a user can act on.
"""

from __future__ import annotations

import io
import math

import numpy as np

from netlib.data.checks import as_pair
from netlib.data.dataset import DataError


def read_csv(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Parse CSV bytes into (uint8 images (N, H, W), int64 labels (N,))."""
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"the CSV file is not UTF-8 text (byte {exc.start})") from None
    lines = text.splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise DataError("the CSV file is empty")
    header = not _is_number(numbered[0][1].split(",", 1)[0])
    rows = numbered[1:] if header else numbered
    if not rows:
        raise DataError("the CSV file has a header but no data rows")
    ncols = numbered[0][1].count(",") + 1
    _check_columns(ncols)
    table = _fast_parse(rows, ncols)
    if table is None:
        _explain_failure(rows, ncols, "the header" if header else "the first row")
        raise DataError("the CSV file could not be read as comma-separated numbers")
    labels, pixels = table[:, 0], table[:, 1:]
    return as_pair(pixels, labels, "CSV")


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


def _fast_parse(rows: list[tuple[int, str]], ncols: int) -> np.ndarray | None:
    body = "\n".join(line for _, line in rows)
    try:
        table = np.loadtxt(
            io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2, comments=None
        )
    except Exception:  # any parse failure: _explain_failure finds the row
        return None
    if table.shape != (len(rows), ncols):
        return None
    return table


def _explain_failure(rows: list[tuple[int, str]], ncols: int, first: str) -> None:
    for k, (line_no, line) in enumerate(rows, start=1):
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
