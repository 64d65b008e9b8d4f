"""The database schema and the plain record a page gets for one run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from enum import StrEnum, nonmember
from functools import cached_property

import numpy as np

from netlib.config import ConfigError, NetConfig


class RunStatus(StrEnum):
    """A run's status: queued -> loading (data) -> running <-> paused -> one of FINAL.

    Each member is its plain string (what SQLite and run.json hold), so it compares equal to
    it: RunStatus.PAUSED == "paused", and "paused" in RunStatus.ACTIVE. The groups below are
    frozensets of those strings.
    """

    QUEUED = "queued"
    LOADING = "loading"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"
    DIVERGED = "diverged"
    INTERRUPTED = "interrupted"  # the server went away while the run was active

    # Something may still change it: a thread trains it or will.
    ACTIVE = nonmember(frozenset({QUEUED, LOADING, RUNNING, PAUSED}))
    # Over for good: nothing writes to the run any more.
    FINAL = nonmember(frozenset({FINISHED, STOPPED, FAILED, DIVERGED, INTERRUPTED}))
    # Its saved weights are worth opening (Inspect, Draw, Pair lens): training or trained
    # normally; a failed or diverged run's weights are not.
    HAS_WEIGHTS_TO_SHOW = nonmember(frozenset({FINISHED, STOPPED, INTERRUPTED, RUNNING, PAUSED}))
    # Over, with weights worth comparing (Run diff): HAS_WEIGHTS_TO_SHOW and FINAL.
    ENDED_WITH_WEIGHTS = nonmember(frozenset({FINISHED, STOPPED, INTERRUPTED}))
    # Over, and not the way it was meant to end: the page says what went wrong.
    WENT_WRONG = nonmember(frozenset({FAILED, DIVERGED, INTERRUPTED}))


# The groups as tuples in lifecycle order, for SQL parameters (runlayer.store, runlayer.rebuild).
ACTIVE_STATUSES = tuple(s for s in RunStatus if s in RunStatus.ACTIVE)
FINAL_STATUSES = tuple(s for s in RunStatus if s in RunStatus.FINAL)
MAX_NAME = 200

RUN_COLUMNS = (
    "id",
    "name",
    "config",
    "status",
    "reason",
    "created",
    "started",
    "ended",
    "epochs_done",
    "train_seconds",
    "best_epoch",
    "best_val_acc",
    "best_test_acc",
    "final_val_acc",
    "final_test_acc",
    "curve_stride",
)

EPOCH_COLUMNS = (
    "epoch",
    "step",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "test_loss",
    "test_acc",
    "lr",
    "epoch_seconds",
    "train_seconds",
    "samples_per_sec",
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    started REAL,
    ended REAL,
    epochs_done INTEGER NOT NULL DEFAULT 0,
    train_seconds REAL NOT NULL DEFAULT 0,
    best_epoch INTEGER,
    best_val_acc REAL,
    best_test_acc REAL,
    final_val_acc REAL,
    final_test_acc REAL,
    curve_stride INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    step INTEGER,
    train_loss REAL,
    train_acc REAL,
    val_loss REAL,
    val_acc REAL,
    test_loss REAL,
    test_acc REAL,
    lr REAL,
    epoch_seconds REAL,
    train_seconds REAL,
    samples_per_sec REAL,
    confusion TEXT,
    PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch_losses (
    run_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    loss REAL,
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class RunRecord:
    """One row of the runs table. Times are Unix seconds; accuracies are fractions in [0, 1].

    best_* describe the best epoch (by validation accuracy, or test accuracy when the run has
    no validation split); final_* the network as training left it.
    """

    id: str
    name: str
    config_json: str
    status: str
    reason: str
    created: float
    started: float | None
    ended: float | None
    epochs_done: int
    train_seconds: float
    best_epoch: int | None
    best_val_acc: float | None
    best_test_acc: float | None
    final_val_acc: float | None
    final_test_acc: float | None
    curve_stride: int

    @cached_property
    def config(self) -> NetConfig:
        return NetConfig.from_json(self.config_json)

    @property
    def architecture(self) -> str:
        return self.config.architecture

    @property
    def active(self) -> bool:
        return self.status in RunStatus.ACTIVE

    @property
    def wall_seconds(self) -> float | None:
        """Start to end (or to now for a live run), including data loading and evaluation."""
        if self.started is None:
            return None
        return (self.ended if self.ended is not None else time.time()) - self.started


def default_name(config: NetConfig) -> str:
    return f"{config.dataset} {config.architecture} {config.optimizer} lr={config.lr:g}"


def clean_name(name: str) -> str:
    """Free text for people: whitespace collapsed, length capped, never used as a path."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a run name must be a non-empty string")
    return " ".join(name.split())[:MAX_NAME]


def matrix_from_json(text: str) -> np.ndarray:
    return np.asarray(json.loads(text), dtype=np.int64)


def split_readable(records: list[RunRecord]) -> tuple[list[RunRecord], list[tuple[RunRecord, str]]]:
    """Runs whose stored config still validates, and the others with the reason: one run
    written by an older or damaged store must not take the whole page down."""
    readable, unreadable = [], []
    for rec in records:
        try:
            rec.config  # noqa: B018 - parsing is the check
        except (ConfigError, ValueError, TypeError, KeyError, RecursionError) as exc:
            unreadable.append((rec, f"{type(exc).__name__}: {exc}"[:300]))
        else:
            readable.append(rec)
    return readable, unreadable
