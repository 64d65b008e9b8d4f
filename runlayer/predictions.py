"""Every epoch's predicted class of every test sample, one byte each, in the run's folder
(`predictions.u8`): what the sample histories are computed from (issue 20).

Layout: a 16-byte header (magic, the number of test samples n, little-endian), then epoch e's
n bytes at 16 + (e − 1)·n. Epochs are written in order, so the file's size says how many it
holds. It shares the run's disk budget: it may take at most a quarter of it (10,000 test
images × 2,500 epochs in the default 100 MB) and the weight files are thinned for the rest;
past that share, later epochs are not written and the history stops there (the reader says
how many epochs it has).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from runlayer.errors import StoreError

FILE_NAME = "predictions.u8"
MAGIC = b"DNPRED1\0"
HEADER = struct.Struct("<8sII")  # magic, samples, reserved
SHARE = 4  # at most budget / SHARE bytes
READ_CAP = 256 * 10**6  # bytes read at most, whatever the budget was when the run wrote it


def path_in(folder: Path) -> Path:
    return folder / FILE_NAME


def write_epoch(folder: Path, epoch: int, predicted: np.ndarray, budget_bytes: int) -> bool:
    """Write one epoch's predictions; False (nothing written) when the file's share of the
    budget is full, or the epoch does not follow the last one written."""
    pred = np.asarray(predicted)
    if pred.ndim != 1 or not len(pred) or pred.min() < 0 or pred.max() > 255:
        raise ValueError("predictions must be one class index 0..255 per test sample")
    n = len(pred)
    path = path_in(folder)
    offset = HEADER.size + (int(epoch) - 1) * n
    if offset + n > budget_bytes // SHARE + HEADER.size:
        return False
    try:
        if not path.exists():
            if epoch != 1:
                return False
            with open(path, "wb") as f:
                f.write(HEADER.pack(MAGIC, n, 0))
        with open(path, "r+b") as f:
            magic, stored_n, _ = HEADER.unpack(f.read(HEADER.size))
            if magic != MAGIC or stored_n != n:
                raise StoreError(f"{path.name} holds another test set ({stored_n} samples)")
            size = os.fstat(f.fileno()).st_size
            if offset > size:  # a gap would read as class 0 for the missing epochs
                return False
            f.seek(offset)
            f.write(pred.astype(np.uint8).tobytes())
            f.truncate(offset + n)  # a re-written epoch drops any later ones
    except OSError as exc:
        raise StoreError(f"could not save the predictions of epoch {epoch}: {exc}") from exc
    return True


def read_all(folder: Path, max_bytes: int) -> np.ndarray | None:
    """(epochs, n) uint8, or None when the run has none. The declared size is checked against
    the file and max_bytes before anything is read; a damaged header raises StoreError."""
    path = path_in(folder)
    try:
        with open(path, "rb") as f:
            head = f.read(HEADER.size)
            size = os.fstat(f.fileno()).st_size
            if len(head) < HEADER.size:
                raise StoreError(f"{path.name} is cut short")
            magic, n, _ = HEADER.unpack(head)
            if magic != MAGIC or n < 1:
                raise StoreError(f"{path.name} is not a predictions file")
            epochs = (size - HEADER.size) // n
            if epochs * n > max_bytes:
                raise StoreError(f"{path.name} is larger ({size:,} bytes) than a run may keep")
            data = f.read(epochs * n)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"could not read {path.name}: {exc}") from exc
    return np.frombuffer(data, np.uint8).reshape(epochs, n)


def truncate(folder: Path, epochs: int) -> None:
    """Keep the first `epochs` epochs only (a restart drops epochs the history lacks)."""
    path = path_in(folder)
    try:
        with open(path, "r+b") as f:
            magic, n, _ = HEADER.unpack(f.read(HEADER.size))
            if magic == MAGIC and n > 0:
                f.truncate(min(os.fstat(f.fileno()).st_size, HEADER.size + max(0, epochs) * n))
    except (FileNotFoundError, struct.error):
        return


def size_of(folder: Path) -> int:
    try:
        return path_in(folder).stat().st_size
    except OSError:
        return 0
