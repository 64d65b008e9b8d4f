"""Sweeps on disk: each sweep's plan, its points, its trials (each a run of the run store) and
every trial's objective per epoch, in one SQLite file beside the run database.

It is what the Sweep page reads (live or after a restart), what a resume starts from and what
the CSV export writes. Only the process that owns the data directory writes (the run store's
lock); a sweep left "running" by a dead server is marked interrupted at the next start.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass

from netlib.settings import ConfigError
from netlib.sweep import PointResult, SweepPlan, point_from_text, point_text
from runlayer.errors import StoreError
from runlayer.store import RunStore

DB_NAME = "sweeps.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    id TEXT PRIMARY KEY, label TEXT, plan TEXT, state TEXT, reason TEXT, executor TEXT,
    created REAL, ended REAL, importance TEXT);
CREATE TABLE IF NOT EXISTS sweep_points (
    sweep_id TEXT, idx INTEGER, point TEXT, state TEXT, reason TEXT,
    PRIMARY KEY (sweep_id, idx));
CREATE TABLE IF NOT EXISTS sweep_trials (
    sweep_id TEXT, idx INTEGER, seed INTEGER, run_id TEXT, status TEXT, value REAL,
    train_seconds REAL, place TEXT, reason TEXT, PRIMARY KEY (sweep_id, idx, seed));
CREATE TABLE IF NOT EXISTS sweep_epochs (
    sweep_id TEXT, idx INTEGER, seed INTEGER, epoch INTEGER, value REAL,
    PRIMARY KEY (sweep_id, idx, seed, epoch));
"""
TABLES = ("sweep_epochs", "sweep_trials", "sweep_points")


@dataclass(frozen=True)
class SweepInfo:
    id: str
    label: str
    plan: SweepPlan | None  # None when the stored plan no longer reads (reason says why)
    state: str  # running | finished | stopped | failed | interrupted
    reason: str
    executor: str
    created: float
    ended: float | None
    importance: dict[str, float]


@dataclass(frozen=True)
class TrialRow:
    idx: int
    seed: int
    run_id: str
    status: str  # queued | running | finished | stopped | diverged | failed | interrupted
    value: float | None
    train_seconds: float | None
    place: str
    reason: str


class SweepStore:
    def __init__(self, runs: RunStore) -> None:
        self.runs = runs
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                runs.home / DB_NAME, timeout=10, check_same_thread=False, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            where = str(runs.home)
            raise StoreError(f"cannot open the sweep database in {where!r}: {exc}") from None

    def _write(self, sql: str, args: tuple = ()) -> None:
        if not self.runs.claim():
            raise StoreError(self.runs.read_only_reason())
        with self._lock:
            try:
                self._db.execute(sql, args)
            except sqlite3.Error as exc:
                raise StoreError(f"could not write the sweep database: {exc}") from exc

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"could not read the sweep database: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes (the sweep's driver thread) --------------------------------------------------
    def create(self, plan: SweepPlan, label: str, executor: str) -> str:
        sweep_id = uuid.uuid4().hex[:8]
        self._write(
            "INSERT INTO sweeps (id, label, plan, state, reason, executor, created, importance) "
            "VALUES (?, ?, ?, 'running', '', ?, ?, '{}')",
            (sweep_id, label, json.dumps(plan.to_dict()), executor, time.time()),
        )
        return sweep_id

    def set_state(self, sweep_id: str, state: str, reason: str = "", **extra) -> None:
        ended = None if state == "running" else time.time()
        importance = json.dumps(extra.get("importance", {}))
        executor = extra.get("executor")
        self._write(
            "UPDATE sweeps SET state=?, reason=?, ended=?, importance=?, "
            "executor=COALESCE(?, executor) WHERE id=?",
            (state, reason, ended, importance, executor, sweep_id),
        )

    def point(self, sweep_id: str, idx: int, result: PointResult) -> None:
        self._write(
            "INSERT OR REPLACE INTO sweep_points VALUES (?, ?, ?, ?, ?)",
            (sweep_id, idx, json.dumps(point_text(result.point)), result.state, result.reason),
        )

    def trial(self, sweep_id: str, idx: int, seed: int, **fields) -> None:
        """Create or update one trial's row (fields: run_id, status, value, ...)."""
        if not self._read(
            "SELECT 1 FROM sweep_trials WHERE sweep_id=? AND idx=? AND seed=?",
            (sweep_id, idx, seed),
        ):
            self._write(
                "INSERT INTO sweep_trials (sweep_id, idx, seed, place, reason) "
                "VALUES (?, ?, ?, '', '')",
                (sweep_id, idx, seed),
            )
        for name in fields:
            if name not in TrialRow.__dataclass_fields__ or name in ("idx", "seed"):
                raise ValueError(f"no trial field {name!r}")
        sets = ", ".join(f"{name}=?" for name in fields)
        self._write(
            f"UPDATE sweep_trials SET {sets} WHERE sweep_id=? AND idx=? AND seed=?",
            (*fields.values(), sweep_id, idx, seed),
        )

    def epoch(self, sweep_id: str, idx: int, seed: int, epoch: int, value: float | None) -> None:
        self._write(
            "INSERT OR REPLACE INTO sweep_epochs VALUES (?, ?, ?, ?, ?)",
            (sweep_id, idx, seed, epoch, value),
        )

    def mark_interrupted(self) -> int:
        """Sweeps a dead server left running: interrupted, their live trials too."""
        ids = [r[0] for r in self._read("SELECT id FROM sweeps WHERE state='running'")]
        for sweep_id in ids:
            self._write(
                "UPDATE sweep_trials SET status='interrupted' "
                "WHERE sweep_id=? AND status IN ('queued', 'running')",
                (sweep_id,),
            )
            self.set_state(sweep_id, "interrupted", "the server stopped while the sweep ran")
        return len(ids)

    def delete(self, sweep_id: str) -> None:
        """The sweep's own rows (its runs are the caller's to delete first)."""
        for table in TABLES:
            self._write(f"DELETE FROM {table} WHERE sweep_id=?", (sweep_id,))
        self._write("DELETE FROM sweeps WHERE id=?", (sweep_id,))

    # -- reads (pages) ---------------------------------------------------------------------
    def list(self) -> list[SweepInfo]:
        """Every sweep, newest first."""
        rows = self._read(
            "SELECT id, label, plan, state, reason, executor, created, ended, importance "
            "FROM sweeps ORDER BY created DESC"
        )
        return [_info(row) for row in rows]

    def get(self, sweep_id: str) -> SweepInfo | None:
        return next((s for s in self.list() if s.id == sweep_id), None)

    def points(self, sweep_id: str) -> list[tuple[int, dict, str, str]]:
        """(index, point, state, reason) in index order."""
        rows = self._read(
            "SELECT idx, point, state, reason FROM sweep_points WHERE sweep_id=? ORDER BY idx",
            (sweep_id,),
        )
        return [(i, point_from_text(json.loads(p)), state, why) for i, p, state, why in rows]

    def trials(self, sweep_id: str) -> list[TrialRow]:
        rows = self._read(
            "SELECT idx, seed, run_id, status, value, train_seconds, place, reason "
            "FROM sweep_trials WHERE sweep_id=? ORDER BY idx, seed",
            (sweep_id,),
        )
        return [TrialRow(*row) for row in rows]

    def epochs(self, sweep_id: str) -> dict[tuple[int, int], dict[int, float]]:
        """(point index, seed index) -> epoch -> the trial's objective."""
        out: dict[tuple[int, int], dict[int, float]] = {}
        for idx, seed, epoch, value in self._read(
            "SELECT idx, seed, epoch, value FROM sweep_epochs WHERE sweep_id=? ORDER BY epoch",
            (sweep_id,),
        ):
            if value is not None:
                out.setdefault((idx, seed), {})[epoch] = value
        return out


def _info(row: tuple) -> SweepInfo:
    sweep_id, label, plan_json, state, reason, executor, created, ended, importance = row
    try:
        plan = SweepPlan.from_dict(json.loads(plan_json))
    except (ConfigError, ValueError) as exc:
        plan, reason = None, f"its plan no longer reads: {exc}"
    return SweepInfo(
        sweep_id, label, plan, state, reason or "", executor or "", created, ended,
        json.loads(importance or "{}"),
    )  # fmt: skip
