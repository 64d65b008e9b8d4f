"""Every run in one SQLite file (WAL) plus its weight files: the history the pages read.

Page API (read): list_runs, get_run, epoch_metrics, batch_losses, confusion, confusions,
predictions, saved_epochs, load_weights. Page API (write): rename, delete. The rest is written
by the training threads. One connection behind a lock: safe from any thread, and a reader never sees
half of a write.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager

import numpy as np

from netlib.config import NetConfig
from netlib.modelfile import load_model, save_model
from netlib.nets import Network
from runlayer import manifest, paths, predictions
from runlayer.errors import DamagedStoreError, RunError, RunNotFoundError, StoreError
from runlayer.ownership import DirectoryLock
from runlayer.records import (
    ACTIVE_STATUSES,
    EPOCH_COLUMNS,
    RUN_COLUMNS,
    SCHEMA,
    RunRecord,
    RunStatus,
    clean_name,
    default_name,
    matrix_from_json,
)
from runlayer.retention import Retention


class RunStore:
    def __init__(
        self, home: str | os.PathLike | None = None, retention: Retention | None = None
    ) -> None:
        """Open (creating if needed) the store in home; StoreError right away if unwritable.

        retention bounds the epoch checkpoints kept per run (default: Retention.from_env()).
        """
        self.home = paths.prepare_home(home)
        self.retention = retention or Retention.from_env()
        self._owner = DirectoryLock(self.home)  # taken by claim(): at the first write
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                self.home / paths.DB_NAME, timeout=10, check_same_thread=False, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DamagedStoreError(
                f"the run database in {str(self.home)!r} is damaged ({exc}): set it aside and "
                "rebuild the history from the run folders"
            ) from None
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the run database in {str(self.home)!r}: {exc}") from None

    # -- ownership: one writing process per data directory (runlayer/ownership.py) ---------
    def claim(self) -> bool:
        """Become the directory's owner if no other process (or store) is; True when owner."""
        try:
            return self._owner.acquire()
        except OSError as exc:
            raise StoreError(f"cannot lock the run data in {str(self.home)!r}: {exc}") from exc

    @property
    def owned(self) -> bool:
        return self._owner.held

    def release(self) -> None:
        """Stop being the owner (a later write claims again)."""
        self._owner.release()

    def read_only_reason(self) -> str:
        pid = self._owner.holder_pid()
        who = f"PID {pid}" if pid is not None else "PID unknown"
        return (
            f"the run data in {str(self.home)!r} belongs to another digit-net process "
            f"({who}): this one can only show it. Stop that process (or set NETLIB_HOME to "
            "another directory) to train, rename or delete runs here."
        )

    def _require_owner(self) -> None:
        if not self.claim():
            raise StoreError(self.read_only_reason())

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _tx(self, what: str):
        """One transaction under the lock; disk and database errors become a clear StoreError."""
        self._require_owner()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                where = f"run data in {str(self.home)!r}"
                raise StoreError(f"could not {what} ({where}): {exc}") from exc

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"could not read the run database: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._owner.release()

    def integrity_check(self) -> str:
        """'ok' when SQLite finds the database sound."""
        return self._query("PRAGMA integrity_check")[0][0]

    # -- writes from the training side ----------------------------------------------------------
    def create_run(
        self, config: NetConfig, name: str | None = None, status: str = RunStatus.QUEUED
    ) -> str:
        """Insert a run and return its new id (generated; never derived from the name)."""
        for _ in range(20):
            run_id = paths.new_run_id()
            label = clean_name(name) if name is not None else default_name(config)
            try:
                with self._tx("create a run") as db:
                    db.execute(
                        "INSERT INTO runs (id, name, config, status, created) VALUES (?,?,?,?,?)",
                        (run_id, label, config.to_json(), status, time.time()),
                    )
                self._sync_record(run_id)
                return run_id
            except StoreError as exc:
                if not isinstance(exc.__cause__, sqlite3.IntegrityError):
                    raise
        raise StoreError("could not generate a unique run id")

    def update_run(self, run_id: str, only_if_active: bool = False, **fields) -> bool:
        """Set columns of the runs table; only_if_active never overwrites a final status."""
        unknown = set(fields) - set(RUN_COLUMNS[1:])  # never the id
        if unknown or not fields:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        sets = ", ".join(f"{k}=?" for k in fields)
        sql = f"UPDATE runs SET {sets} WHERE id=?"
        args = (*fields.values(), run_id)
        if only_if_active:
            sql += f" AND status IN ({','.join('?' * len(ACTIVE_STATUSES))})"
            args += ACTIVE_STATUSES
        with self._tx("update the run") as db:
            changed = db.execute(sql, args).rowcount > 0
        if changed:
            self._sync_record(run_id)
        return changed

    def add_epoch(self, run_id: str, row: dict, confusion: np.ndarray | None, **run_fields):
        """Insert an epoch's metrics and, in the same transaction, update run columns."""
        unknown = set(run_fields) - set(RUN_COLUMNS[1:])
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        cols = [c for c in EPOCH_COLUMNS if c in row]
        values = [row[c] for c in cols]
        cm = None if confusion is None else json.dumps(np.asarray(confusion).tolist())
        sql = (
            f"INSERT OR REPLACE INTO epochs (run_id, {', '.join(cols)}, confusion) "
            f"VALUES ({','.join('?' * (len(cols) + 2))})"
        )
        with self._tx(f"save epoch {row.get('epoch')}") as db:
            db.execute(sql, (run_id, *values, cm))
            if run_fields:
                sets = ", ".join(f"{k}=?" for k in run_fields)
                db.execute(f"UPDATE runs SET {sets} WHERE id=?", (*run_fields.values(), run_id))
        matrix = None if confusion is None else np.asarray(confusion).tolist()
        self._backup(f"epoch {row.get('epoch')}", manifest.append_epoch, run_id, row, matrix)
        if run_fields:
            self._sync_record(run_id)

    def add_batch_losses(self, run_id: str, steps, losses, stride: int = 1) -> None:
        """Append curve points; a larger stride first thins the stored curve to the same grid."""
        with self._tx("save the batch-loss curve") as db:
            found = db.execute("SELECT curve_stride FROM runs WHERE id=?", (run_id,)).fetchone()
            if found is None:
                raise StoreError(f"run {run_id} is no longer in the run history")
            (old,) = found
            if stride != old:
                db.execute(
                    "DELETE FROM batch_losses WHERE run_id=? AND (step - 1) % ? != 0",
                    (run_id, stride),
                )
                db.execute("UPDATE runs SET curve_stride=? WHERE id=?", (stride, run_id))
            db.executemany(
                "INSERT OR REPLACE INTO batch_losses (run_id, step, loss) VALUES (?,?,?)",
                [(run_id, int(s), float(v)) for s, v in zip(steps, losses, strict=True)],
            )
        self._backup("the batch-loss curve", manifest.append_curve, run_id, steps, losses, stride)
        if stride != old:
            self._sync_record(run_id)

    def save_weights(self, run_id: str, epoch: int, net: Network, config: NetConfig, meta: dict):
        """Write epoch-NNNN.npz atomically (thin_checkpoints later drops the surplus)."""
        self._require_owner()
        try:
            save_model(paths.epoch_path(self.home, run_id, epoch), net, config, meta)
        except OSError as exc:
            raise StoreError(f"could not save the weights of epoch {epoch}: {exc}") from exc

    def thin_checkpoints(self, run_id: str, best: int | None, last: int) -> list[int]:
        """Delete the epoch files the retention policy drops (never best or last); returns
        the kept epochs. Called after the epoch's rows are saved, so the last recorded epoch
        always has its checkpoint; a page that listed a deleted epoch gets NoWeightsError."""
        self._require_owner()
        folder = paths.run_dir(self.home, run_id)
        saved = paths.saved_epoch_numbers(folder)
        try:
            size = paths.epoch_path(self.home, run_id, last).stat().st_size
            best_file = paths.best_path(self.home, run_id)
            extra = predictions.size_of(folder)  # the test predictions share the budget
            if best_file.is_file() and best_file.stat().st_nlink == 1:
                extra += best_file.stat().st_size  # nothing extra when it links an epoch
            keep = self.retention.keep(saved, best, last, size, extra)
            for epoch in sorted(set(saved) - set(keep)):
                paths.epoch_path(self.home, run_id, epoch).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"could not thin the checkpoints of run {run_id}: {exc}") from exc
        return keep

    def save_predictions(self, run_id: str, epoch: int, predicted: np.ndarray) -> bool:
        """One epoch's predicted class per test sample (runlayer/predictions.py); False when
        the run's share of the disk budget for them is full."""
        self._require_owner()
        folder = paths.run_dir(self.home, run_id)
        return predictions.write_epoch(folder, epoch, predicted, self.retention.budget_bytes)

    def predictions(self, run_id: str) -> np.ndarray | None:
        """(epochs, test samples) uint8 predicted classes, or None when none were kept."""
        if not paths.is_run_id(run_id):
            return None
        folder = paths.run_dir(self.home, run_id)
        # A budget lowered since the run wrote its file must not hide it: READ_CAP bounds it.
        share = self.retention.budget_bytes // predictions.SHARE
        return predictions.read_all(folder, max(share, predictions.READ_CAP))

    def disk_usage(self, run_id: str) -> tuple[int, int]:
        """(bytes, epoch checkpoints) of a run's folder, each file once (links share bytes)."""
        folder = paths.run_dir(self.home, run_id)
        seen: set[tuple[int, int]] = set()
        total = 0
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return 0, 0
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # thinned while we looked
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
        return total, len(paths.saved_epoch_numbers(folder))

    def save_best(self, run_id: str, net: Network, config: NetConfig, meta: dict,
                  epoch: int | None = None) -> None:  # fmt: skip
        """best.npz: a hard link to epoch's file when given (no second write), else a file."""
        self._require_owner()
        best = paths.best_path(self.home, run_id)
        try:
            source = paths.epoch_path(self.home, run_id, epoch) if epoch is not None else None
            if source is not None and self._link_best(source, best):
                return
            save_model(best, net, config, meta)
        except OSError as exc:
            raise StoreError(f"could not save the best weights: {exc}") from exc

    def _link_best(self, source, best) -> bool:
        """Atomically point best at source; False where hard links are not supported."""
        tmp = source.with_name(f".tmp-best-{paths.new_run_id()}.npz")
        try:
            os.link(source, tmp)
        except OSError:
            return False
        try:
            os.replace(tmp, best)
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def mark_interrupted(self) -> int:
        """Runs left live by a dead server become 'interrupted', epochs kept; returns how many.

        Their half-written weight files (a kill during a save leaves `.tmp-*.npz`) go too:
        every completed save was renamed into place, so a temp file is never a checkpoint.
        """
        marks = ",".join("?" * len(ACTIVE_STATUSES))
        with self._tx("mark interrupted runs") as db:
            ids = [
                r[0]
                for r in db.execute(
                    f"SELECT id FROM runs WHERE status IN ({marks})", ACTIVE_STATUSES
                )
            ]
            db.execute(
                f"UPDATE runs SET reason='the server stopped while the run was ' || status, "
                f"status='interrupted', ended=COALESCE(ended, ?) WHERE status IN ({marks})",
                (time.time(), *ACTIVE_STATUSES),
            )
        for run_id in ids:
            if paths.is_run_id(run_id):
                self._sync_record(run_id)
                for leftover in paths.run_dir(self.home, run_id).glob(".tmp-*"):
                    leftover.unlink(missing_ok=True)
                self._drop_unrecorded_epochs(run_id)
        return len(ids)

    def _drop_unrecorded_epochs(self, run_id: str) -> None:
        """An epoch's files are written before its row: a server killed in between left files
        for an epoch the history does not have. They go (best.npz, when it links one of them,
        goes back to the recorded best), so the last checkpoint is the last recorded epoch."""
        record = self.get_run(run_id)
        if record is None:
            return
        rows = self._query("SELECT MAX(epoch) FROM epochs WHERE run_id=?", (run_id,))
        recorded = int(rows[0][0] or 0) if rows else 0
        folder = paths.run_dir(self.home, run_id)
        best = paths.best_path(self.home, run_id)
        try:
            best_inode = best.stat().st_ino if best.is_file() else None
            dropped = set()
            for epoch in paths.saved_epoch_numbers(folder):
                if epoch > recorded:
                    path = paths.epoch_path(self.home, run_id, epoch)
                    dropped.add(path.stat().st_ino)
                    path.unlink()
            if best_inode is not None and best_inode in dropped:
                kept = paths.epoch_path(self.home, run_id, record.best_epoch or 0)
                if not (record.best_epoch and kept.is_file() and self._link_best(kept, best)):
                    best.unlink(missing_ok=True)
            predictions.truncate(folder, recorded)
        except OSError as exc:
            raise StoreError(f"could not tidy the files of run {run_id}: {exc}") from exc

    # -- the folders' own description (runlayer/manifest.py), for a rebuild ------------------
    def _sync_record(self, run_id: str) -> None:
        """Copy the run's row into its folder's run.json."""
        rows = self._query(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id=?", (run_id,))
        if rows and paths.is_run_id(run_id):
            self._backup("the run's record", manifest.write_record, run_id,
                         dict(zip(RUN_COLUMNS, rows[0], strict=True)))  # fmt: skip

    def _backup(self, what: str, write, run_id: str, *args) -> None:
        try:
            write(paths.run_dir(self.home, run_id), *args)
        except OSError as exc:
            raise StoreError(
                f"could not write {what} into the folder of run {run_id}: {exc}"
            ) from exc

    def known_ids(self) -> set[str]:
        return {r[0] for r in self._query("SELECT id FROM runs")}

    def orphans(self) -> list[str]:
        """Run folders the database does not list (it was lost, truncated or replaced)."""
        try:
            names = os.listdir(self.home / "runs")
        except OSError:
            return []
        known = self.known_ids()
        folders = (n for n in names if paths.is_run_id(n) and n not in known)
        return sorted(n for n in folders if paths.run_dir(self.home, n).is_dir())

    def insert_rebuilt(self, row: dict, epochs: list[tuple[dict, list | None]], curve) -> None:
        """Insert one run recovered from its folder (runlayer/rebuild.py decides the values)."""
        run_sql = (
            f"INSERT OR IGNORE INTO runs ({', '.join(RUN_COLUMNS)}) "
            f"VALUES ({','.join('?' * len(RUN_COLUMNS))})"
        )
        with self._tx(f"rebuild run {row['id']}") as db:
            db.execute(run_sql, tuple(row[c] for c in RUN_COLUMNS))
            for epoch, matrix in epochs:
                cols = [c for c in EPOCH_COLUMNS if c in epoch]
                db.execute(
                    f"INSERT OR REPLACE INTO epochs (run_id, {', '.join(cols)}, confusion) "
                    f"VALUES ({','.join('?' * (len(cols) + 2))})",
                    (
                        row["id"],
                        *(epoch[c] for c in cols),
                        None if matrix is None else json.dumps(matrix),
                    ),
                )
            db.executemany(
                "INSERT OR REPLACE INTO batch_losses (run_id, step, loss) VALUES (?,?,?)",
                [(row["id"], s, v) for s, v in curve],
            )
        self._sync_record(row["id"])

    # -- the page API ------------------------------------------------------------------------------
    def list_runs(self) -> list[RunRecord]:
        """All runs, oldest first."""
        rows = self._query(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY rowid")
        return [RunRecord(*r) for r in rows]

    def get_run(self, run_id: str) -> RunRecord | None:
        if not paths.is_run_id(run_id):
            return None
        rows = self._query(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id=?", (run_id,))
        return RunRecord(*rows[0]) if rows else None

    def epoch_metrics(self, run_id: str) -> list[dict]:
        """One dict per finished epoch (keys: EPOCH_COLUMNS), ascending; [] for unknown runs."""
        rows = self._query(
            f"SELECT {', '.join(EPOCH_COLUMNS)} FROM epochs WHERE run_id=? ORDER BY epoch",
            (run_id,),
        )
        return [dict(zip(EPOCH_COLUMNS, r, strict=True)) for r in rows]

    def batch_losses(self, run_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, losses) of the down-sampled batch-loss curve."""
        rows = self._query(
            "SELECT step, loss FROM batch_losses WHERE run_id=? ORDER BY step", (run_id,)
        )
        steps = np.array([r[0] for r in rows], dtype=np.int64)
        losses = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
        return steps, losses

    def confusion(self, run_id: str, epoch: int) -> np.ndarray | None:
        """The test confusion matrix counts[true, predicted] after an epoch, or None."""
        rows = self._query(
            "SELECT confusion FROM epochs WHERE run_id=? AND epoch=?", (run_id, int(epoch))
        )
        return matrix_from_json(rows[0][0]) if rows and rows[0][0] else None

    def confusions(self, run_id: str) -> dict[int, np.ndarray]:
        rows = self._query(
            "SELECT epoch, confusion FROM epochs WHERE run_id=? AND confusion IS NOT NULL "
            "ORDER BY epoch",
            (run_id,),
        )
        return {e: matrix_from_json(cm) for e, cm in rows}

    def saved_epochs(self, run_id: str) -> list[int]:
        """Epochs whose weight file exists, ascending: only those the retention policy kept."""
        if not paths.is_run_id(run_id):
            return []
        return paths.saved_epoch_numbers(paths.run_dir(self.home, run_id))

    def load_weights(
        self, run_id: str, checkpoint: int | str = "last"
    ) -> tuple[Network, NetConfig, dict]:
        """checkpoint: an epoch, "best" or "last"; RunNotFoundError or NoWeightsError if absent.

        A damaged file raises netlib.modelfile.ModelFileError.
        """
        if self.get_run(run_id) is None:
            raise RunNotFoundError(f"no run with id {run_id!r} (it may have been deleted)")
        path = paths.weights_path(self.home, run_id, checkpoint)
        return load_model(path)

    def rename(self, run_id: str, name: str) -> None:
        """Names are free text shown to people; they never become paths."""
        label = clean_name(name)
        if not paths.is_run_id(run_id) or not self.update_run(run_id, name=label):
            raise RunNotFoundError(f"no run with id {run_id!r}")

    def delete(self, run_id: str) -> None:
        """Remove the run's rows and files; a live run is refused (stop it first)."""
        record = self.get_run(run_id)
        if record is None:
            raise RunNotFoundError(f"no run with id {run_id!r}")
        if record.status in ACTIVE_STATUSES:
            raise RunError(f"run {record.name!r} is {record.status}: stop it before deleting")
        self._require_owner()
        try:
            shutil.rmtree(paths.run_dir(self.home, run_id), ignore_errors=False)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"could not delete the files of run {run_id}: {exc}") from exc
        with self._tx("delete the run") as db:
            for table, col in (("batch_losses", "run_id"), ("epochs", "run_id"), ("runs", "id")):
                db.execute(f"DELETE FROM {table} WHERE {col}=?", (run_id,))
