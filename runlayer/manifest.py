"""A run folder describes itself, so a lost or damaged database can be rebuilt from the folders.

Each run folder holds `run.json` (the run's row: config, status, summary; rewritten whole on
every change) and two append-only logs: `history.jsonl` (one epoch's metrics and confusion
matrix per line) and `curve.jsonl` (the batch-loss points of each flush, with the curve's
stride). Appends are not synced: a crash can lose or tear the last line, which reading skips.
The database stays the one the pages read; these files are only its backup.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from netlib.atomic import atomic_write
from runlayer.records import EPOCH_COLUMNS, RUN_COLUMNS

RECORD_NAME = "run.json"
HISTORY_NAME = "history.jsonl"
CURVE_NAME = "curve.jsonl"
MAX_RECORD_BYTES = 2**20  # a config and a summary: a few KB
MAX_LOG_BYTES = 64 * 2**20  # 5,000 epochs of metrics and 10x10 matrices take ~3 MB


def write_record(folder: Path, row: dict) -> None:
    """The run's row, replaced whole (never half-written)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({k: row.get(k) for k in RUN_COLUMNS}, allow_nan=True)
    atomic_write(folder / RECORD_NAME, lambda f: f.write(text.encode()))


def append_epoch(folder: Path, row: dict, confusion: list | None) -> None:
    epoch = {k: row[k] for k in EPOCH_COLUMNS if k in row}
    _append(folder / HISTORY_NAME, {"epoch": epoch, "confusion": confusion})


def append_curve(folder: Path, steps: list[int], losses: list[float], stride: int) -> None:
    steps = [int(s) for s in steps]
    losses = [None if v is None else float(v) for v in losses]
    _append(folder / CURVE_NAME, {"stride": int(stride), "steps": steps, "losses": losses})


def _append(path: Path, entry: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, allow_nan=True) + "\n")


@dataclass
class Manifest:
    """What a folder says about its run: the row, the epochs (by number) and the curve."""

    record: dict
    epochs: dict[int, tuple[dict, list | None]] = field(default_factory=dict)
    curve: dict[int, float | None] = field(default_factory=dict)
    stride: int = 1


class ManifestError(ValueError):
    """The folder has no readable run.json: its run cannot be rebuilt from it."""


def read(folder: Path) -> Manifest:
    """Parse a folder's manifest; torn or foreign log lines are skipped, a bad run.json raises."""
    record = _read_record(folder / RECORD_NAME)
    manifest = Manifest(record=record, stride=_int(record.get("curve_stride"), 1))
    for entry in _lines(folder / HISTORY_NAME):
        epoch = entry.get("epoch")
        if isinstance(epoch, dict) and isinstance(epoch.get("epoch"), int):
            row = {k: epoch[k] for k in EPOCH_COLUMNS if k in epoch}
            cm = entry.get("confusion")
            manifest.epochs[epoch["epoch"]] = (row, cm if isinstance(cm, list) else None)
    for entry in _lines(folder / CURVE_NAME):
        steps, losses = entry.get("steps"), entry.get("losses")
        if isinstance(steps, list) and isinstance(losses, list) and len(steps) == len(losses):
            manifest.curve.update(
                (s, v if isinstance(v, int | float) else None)
                for s, v in zip(steps, losses, strict=True)
                if isinstance(s, int)
            )
    # Points written before the stride last grew were thinned in the database: so here.
    stride = manifest.stride
    manifest.curve = {s: v for s, v in manifest.curve.items() if (s - 1) % stride == 0}
    return manifest


def _read_record(path: Path) -> dict:
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise ManifestError(f"{path.name} is {size:,} bytes, over {MAX_RECORD_BYTES:,}")
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"no {path.name} (a run from before manifests were kept)") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ManifestError(f"{path.name} is unreadable: {exc}") from None
    if not isinstance(record, dict) or not isinstance(record.get("config"), str):
        raise ManifestError(f"{path.name} does not describe a run")
    return record


def _lines(path: Path):
    """JSON objects of a log, one per line, within MAX_LOG_BYTES; bad lines are skipped."""
    try:
        if os.path.getsize(path) > MAX_LOG_BYTES:
            return
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.readlines()
    except OSError:
        return
    for line in lines:
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(entry, dict):
            yield entry


def _int(value: object, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )
