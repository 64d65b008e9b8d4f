"""Rebuild the run history from the run folders after the database was lost or damaged.

A folder with a manifest (runlayer/manifest.py) comes back whole: name, config, status, every
epoch's metrics and confusion matrix, the batch-loss curve. A folder from before manifests
comes back from its last weight file (config and epoch count; its metrics are gone), so its
weights can still be inspected. Values are checked, never trusted: a folder is data on disk.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from netlib.config import ConfigError, NetConfig
from netlib.modelfile import ModelFileError, load_model
from runlayer import manifest, paths
from runlayer.errors import StoreError
from runlayer.ownership import DirectoryLock
from runlayer.records import RUN_COLUMNS, RunStatus, clean_name, default_name

_NUMBER_COLUMNS = {"created", "started", "ended", "train_seconds", "best_val_acc",
                   "best_test_acc", "final_val_acc", "final_test_acc"}  # fmt: skip
_COUNT_COLUMNS = {"epochs_done", "best_epoch", "curve_stride"}


@dataclass
class RebuildReport:
    rebuilt: list[str] = field(default_factory=list)
    from_weights: list[str] = field(default_factory=list)  # metrics lost: only weights remain
    failed: list[tuple[str, str]] = field(default_factory=list)  # (run id, why)

    def summary(self) -> str:
        parts = [f"{len(self.rebuilt)} run(s) rebuilt from their folders"]
        if self.from_weights:
            parts.append(f"{len(self.from_weights)} of them from weight files only (no metrics)")
        if self.failed:
            parts.append(f"{len(self.failed)} folder(s) could not be read")
        return "; ".join(parts)


def rebuild(store, skip: set[str] | frozenset = frozenset()) -> RebuildReport:
    """Insert every orphan folder's run into the store (skip: ids live in this process)."""
    report = RebuildReport()
    for run_id in store.orphans():
        if run_id in skip:
            continue
        folder = paths.run_dir(store.home, run_id)
        try:
            row, epochs, curve = _from_manifest(run_id, folder)
        except manifest.ManifestError as why:
            try:
                row, epochs, curve = _from_weights(store.home, run_id, why)
            except ValueError as exc:
                report.failed.append((run_id, str(exc)))
                continue
            report.from_weights.append(run_id)
        store.insert_rebuilt(row, epochs, curve)
        report.rebuilt.append(run_id)
    return report


def _from_manifest(run_id: str, folder: Path):
    found = manifest.read(folder)
    row = _clean_row(run_id, found.record)
    epochs = [found.epochs[e] for e in sorted(found.epochs)]
    curve = sorted(found.curve.items())
    return row, epochs, curve


def _from_weights(home: Path, run_id: str, why: Exception):
    folder = paths.run_dir(home, run_id)
    saved = paths.saved_epoch_numbers(folder)
    if not saved:
        raise ValueError(f"{why}; and no weight file to recover it from")
    try:
        _, config, _ = load_model(paths.epoch_path(home, run_id, saved[-1]))
    except (OSError, ModelFileError) as exc:
        raise ValueError(f"{why}; and its last weight file is unreadable: {exc}") from None
    created = _mtime(folder)
    row = {c: None for c in RUN_COLUMNS} | {
        "id": run_id,
        "name": f"{default_name(config)} (rebuilt)",
        "config": config.to_json(),
        "status": RunStatus.INTERRUPTED,
        "reason": "rebuilt from its weight files after the database was lost: metrics are gone",
        "created": created,
        "started": created,
        "epochs_done": saved[-1],
        "train_seconds": 0.0,
        "curve_stride": 1,
    }
    return row, [], []


def _clean_row(run_id: str, record: dict) -> dict:
    """The record's values where they have the right type; the rest defaulted."""
    if record.get("id") != run_id:
        raise manifest.ManifestError("run.json names another run")
    try:
        config_json = NetConfig.from_json(record["config"]).to_json()
    except ConfigError:
        config_json = record["config"]  # kept as it was: Compare lists it as unreadable
    row = {c: None for c in RUN_COLUMNS} | {"id": run_id, "config": config_json}
    for col in _NUMBER_COLUMNS:
        value = record.get(col)
        row[col] = float(value) if _is_number(value) else None
    for col in _COUNT_COLUMNS:
        value = record.get(col)
        row[col] = value if isinstance(value, int) and not isinstance(value, bool) else None
    row["created"] = row["created"] or time.time()
    row["epochs_done"] = max(0, row["epochs_done"] or 0)
    row["train_seconds"] = row["train_seconds"] or 0.0
    row["curve_stride"] = max(1, row["curve_stride"] or 1)
    name = record.get("name")
    row["name"] = clean_name(name) if isinstance(name, str) and name.strip() else run_id
    status, reason = record.get("status"), record.get("reason")
    status = status if isinstance(status, str) else None  # a list would not even hash
    row["reason"] = reason if isinstance(reason, str) else ""
    if status in RunStatus.ACTIVE:  # nothing trains it now: this process has no such live run
        status, row["reason"] = (
            RunStatus.INTERRUPTED,
            f"the server stopped while the run was {status}",
        )
    row["status"] = str(status) if status in RunStatus.FINAL else RunStatus.INTERRUPTED.value
    return row


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _mtime(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return time.time()


def set_aside_database(home: str | os.PathLike) -> Path:
    """Rename a damaged runs.sqlite3 (and its -wal/-shm) to runs.sqlite3.damaged-<time>; the
    next open starts an empty one. Only the directory's owner may (runlayer/ownership.py)."""
    home = Path(home)
    lock = DirectoryLock(home)
    if not lock.acquire():
        raise StoreError(
            f"another digit-net process (PID {lock.holder_pid()}) owns {str(home)!r}: stop it first"
        )
    try:
        target = home / f"{paths.DB_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
        for suffix in ("", "-wal", "-shm"):
            source = home / f"{paths.DB_NAME}{suffix}"
            if source.exists():
                shutil.move(source, target.with_name(target.name + suffix))
        return target
    except OSError as exc:
        raise StoreError(f"could not set the damaged database aside: {exc}") from exc
    finally:
        lock.release()
