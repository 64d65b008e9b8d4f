"""One RunRegistry per server process: starts runs in threads, queues the overflow, steers them.

Pages keep it in st.cache_resource, so every method is thread-safe and any browser tab can
control any run by id. Closing a tab never stops a run; at most max_parallel runs train at
once and the rest wait, first come first served, as "queued".
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from netlib import memory
from netlib.config import NetConfig
from netlib.data.dataset import DataError, Dataset
from runlayer.cores import CoreSlots
from runlayer.errors import RunError, RunNotFoundError
from runlayer.live import LiveRun, LiveSnapshot
from runlayer.rebuild import RebuildReport, rebuild
from runlayer.records import RunRecord, RunStatus
from runlayer.retention import Retention
from runlayer.store import RunStore
from runlayer.uploads import (
    UploadInfo,
    UploadStore,
    is_legacy_upload_id,
    is_upload_id,
    legacy_message,
)
from runlayer.worker import execute

Loader = Callable[[str, Callable], Dataset]
MAX_DATASETS = 3  # data sets kept loaded (LRU); uploads and downloads reload from disk
MAX_DATASET_BYTES = 2**30


class UploadInUseError(RunError):
    """Deleting this upload would leave finished runs without the data they were scored on."""


def default_loader(dataset_id: str, progress: Callable | None = None) -> Dataset:
    """The data registry, imported only when a run first needs data."""
    from netlib.data.catalog import load_dataset

    return load_dataset(dataset_id, progress=progress)


class RunRegistry:
    def __init__(
        self,
        home: str | os.PathLike | None = None,
        max_parallel: int | None = None,
        loader: Loader | None = None,
        *,
        retention: Retention | None = None,
        listeners: list[Callable[[str, object], None]] | None = None,
        keep_finished: int = 32,
        cores: CoreSlots | None = None,
    ) -> None:
        """home: data directory (default $NETLIB_HOME or ~/.local/share/digit-net).

        listeners are called as f(run_id, event) from training threads (an exception fails
        that run). keep_finished bounds how many ended LiveRuns stay in memory. retention
        bounds the checkpoints kept per run (default: runlayer.retention, $NETLIB_RUN_DISK_BUDGET).
        cores are shared with a sweep's trials (default: max_parallel slots of its own).
        """
        self.store = RunStore(home, retention)
        if self.store.claim():  # else another process owns it: read-only, never mark its runs
            self.store.mark_interrupted()
        self.max_parallel = max(1, int(max_parallel or os.cpu_count() or 1))
        self.cores = cores or CoreSlots(self.max_parallel)
        self.cores.on_free(self._core_freed)
        self.snapshot_seconds = 1.0  # how often a training run refreshes its live weights
        self.curve_points = 2000  # bound on the batch-loss curve kept per run (memory and DB)
        self._loader = loader or default_loader
        self._listeners = list(listeners or [])
        self._keep_finished = keep_finished
        self._lock = threading.RLock()
        self._live: dict[str, LiveRun] = {}
        self._queue: deque[str] = deque()
        self._running: set[str] = set()
        self._threads: dict[str, threading.Thread] = {}
        self.uploads = UploadStore(self.store.home)
        self.max_datasets, self.max_dataset_bytes = MAX_DATASETS, MAX_DATASET_BYTES
        self._datasets: dict[str, Dataset] = {}  # loaded from disk, least recently used first
        self._pinned: dict[str, Dataset] = {}  # added in memory: nothing to reload them from
        self._data_locks: dict[str, threading.Lock] = {}
        self._unsaved_ends: dict[str, tuple[str, str, float | None]] = {}
        self._closed = False

    # -- starting and watching ---------------------------------------------------------------
    def start(self, config: NetConfig, name: str | None = None) -> str:
        """Record a new run and start it now, or queue it if max_parallel runs are training."""
        if not isinstance(config, NetConfig):
            raise TypeError("start() needs a NetConfig")
        shape = self.data_shape(config.dataset)  # refuse before anything is recorded
        if shape is not None:
            memory.check_budget(config, shape, memory.memory_budget(self.max_parallel))
        with self._lock:
            if self._closed:
                raise RunError("the run registry is shut down")
            self._save_unsaved_ends()
            run_id = self.store.create_run(config, name)
            name = self.store.get_run(run_id).name
            self._live[run_id] = LiveRun(
                run_id, name, config, self.curve_points, self._persister(run_id)
            )
            self._queue.append(run_id)
            self._pump()
        return run_id

    def live(self, run_id: str) -> LiveRun | None:
        """The live object of a run started by this process (None once evicted or never live)."""
        with self._lock:
            return self._live.get(run_id)

    def snapshot(self, run_id: str) -> LiveSnapshot | None:
        live = self.live(run_id)
        return live.snapshot() if live else None

    def active(self) -> list[LiveSnapshot]:
        """Snapshots of queued, loading, running and paused runs, oldest first."""
        with self._lock:
            lives = list(self._live.values())
        snaps = [lv.snapshot() for lv in lives]
        return [s for s in snaps if s.status in RunStatus.ACTIVE]

    def wait(self, run_id: str, timeout: float | None = None) -> str:
        """Block until the run ends; returns its final status (TimeoutError if it does not)."""
        live = self.live(run_id)
        if live is not None and not live.done.wait(timeout):
            raise TimeoutError(f"run {run_id} still {live.status} after {timeout} s")
        record = self.store.get_run(run_id)
        if record is None:
            raise RunNotFoundError(f"no run with id {run_id!r}")
        if record.active and live is not None and live.done.is_set():
            return live.status  # the store could not save the end (disk full)
        return record.status

    # -- controls: True when applied to a live run, False when it is unknown or over ------------
    def pause(self, run_id: str) -> bool:
        return self._control(run_id, LiveRun.pause)

    def resume(self, run_id: str) -> bool:
        return self._control(run_id, LiveRun.resume)

    def set_lr(self, run_id: str, lr: float) -> bool:
        """Takes effect from the next batch; ValueError for a rate NetConfig would refuse."""
        live = self.live(run_id)
        if live is None:
            return False
        return live.set_lr(lr)

    def stop(self, run_id: str) -> bool:
        """Stop a training run before its next batch; a queued run is cancelled at once."""
        with self._lock:
            live = self._live.get(run_id)
            if live is None:
                return False
            if run_id in self._queue:
                self._queue.remove(run_id)
                self._end_unstarted(live, RunStatus.STOPPED, "stopped before it started")
                self._pump()
                return True
        return live.request_stop()

    def _control(self, run_id: str, action: Callable[[LiveRun], bool]) -> bool:
        live = self.live(run_id)
        return live is not None and action(live)

    def _persister(self, run_id: str) -> Callable[[str], None]:
        def persist(status: str) -> None:  # never overwrites a final status
            self.store.update_run(run_id, only_if_active=True, status=status)

        return persist

    # -- history -------------------------------------------------------------------------
    def rename(self, run_id: str, name: str) -> None:
        """Names are free text for people; ids stay the same, so do the files."""
        self.store.rename(run_id, name)
        live = self.live(run_id)
        if live is not None:
            live.set_name(self.store.get_run(run_id).name)

    def delete(self, run_id: str, timeout: float = 30.0) -> None:
        """Stop the run if it is live, then remove its rows and files."""
        live = self.live(run_id)
        if live is not None and not live.done.is_set():
            self.stop(run_id)
            if not live.done.wait(timeout):
                raise RunError(f"run {run_id} did not stop within {timeout} s; try again")
        self.store.delete(run_id)
        with self._lock:
            self._live.pop(run_id, None)
            self._threads.pop(run_id, None)

    def rebuild_history(self) -> RebuildReport:
        """Bring back the runs whose folders the database no longer lists (never a live one)."""
        with self._lock:
            live = {i for i, r in self._live.items() if not r.done.is_set()}
        return rebuild(self.store, skip=live)

    # -- data ------------------------------------------------------------------------------
    def add_dataset(self, dataset_id: str, dataset: Dataset) -> None:
        """Make an in-memory data set trainable as NetConfig(dataset=dataset_id).

        It has no file to reload from, so it is never evicted; uploads use save_upload.
        """
        if not isinstance(dataset, Dataset):
            raise TypeError("add_dataset() needs a netlib Dataset")
        with self._lock:
            self._pinned[dataset_id] = dataset

    def save_upload(self, images, labels, name: str) -> tuple[UploadInfo, Dataset]:
        """Keep an upload on disk under its content id; the same file twice is one data set."""
        info, ds = self.uploads.save(images, labels, name)
        if ds is None:  # already kept: the loaded copy (or one read from disk), never a second
            return info, self.dataset(info.id)
        with self._lock:
            self._remember(info.id, ds)
        return info, ds

    def upload_users(self) -> dict[str, list[RunRecord]]:
        """Upload id -> the runs recorded on it, oldest first (one pass over the history)."""
        users: dict[str, list[RunRecord]] = {}
        for record in self.store.list_runs():
            try:  # only the id is needed: a config that no longer validates still counts
                dataset_id = json.loads(record.config_json).get("dataset")
            except (ValueError, AttributeError):
                continue
            if is_upload_id(dataset_id):
                users.setdefault(dataset_id, []).append(record)
        return users

    def delete_upload(self, upload_id: str, force: bool = False) -> None:
        """Refused while a run is queued or training on it; with only ended runs on it,
        UploadInUseError unless force (those runs can then no longer be inspected)."""
        if self.uploads.info(upload_id) is None:
            raise RunError(f"no uploaded data set {upload_id!r} (already deleted?)")
        users = self.upload_users().get(upload_id, [])
        active = [r.name for r in users if r.active]
        if active:
            raise RunError(
                f"{len(active)} run(s) still use this data set ({', '.join(active)}): "
                "stop them before deleting it"
            )
        if users and not force:
            raise UploadInUseError(
                f"{len(users)} finished run(s) were trained on this data set "
                f"({', '.join(r.name for r in users)}); after deleting it they can no longer "
                "be inspected or scored"
            )
        self.uploads.delete(upload_id)
        with self._lock:
            self._datasets.pop(upload_id, None)

    def data_shape(self, dataset_id: str) -> memory.DataShape | None:
        """What a memory estimate needs, without loading anything: the built-in table, a data
        set held in memory, or an upload's manifest; None when unknown (the run reports it)."""
        if (shape := memory.BUILTIN_SHAPES.get(dataset_id)) is not None:
            return shape
        with self._lock:
            loaded = self._pinned.get(dataset_id) or self._datasets.get(dataset_id)
        if loaded is not None:
            return memory.shape_of(loaded)
        info = self.uploads.info(dataset_id)
        if info is None:
            return None
        classes = len(info.class_names)
        return memory.DataShape(info.n_train, info.n_test, *info.image_shape, classes)

    def loaded_datasets(self) -> list[str]:
        """Ids of the data sets held in memory (pinned ones first): what the LRU bound sees."""
        with self._lock:
            return list(self._pinned) + list(self._datasets)

    def dataset(self, dataset_id: str, progress: Callable | None = None) -> Dataset:
        """Load once: a second run on the same data neither reads nor downloads it again.

        At most max_datasets (and max_dataset_bytes) stay loaded; the least recently used
        is dropped and read from disk again when next needed.
        """
        with self._lock:
            if (ds := self._cached(dataset_id)) is not None:
                return ds
            lock = self._data_locks.setdefault(dataset_id, threading.Lock())
        with lock:  # one loader per data set; others wait for its result
            with self._lock:
                if (ds := self._cached(dataset_id)) is not None:
                    return ds
            if is_upload_id(dataset_id):
                ds = self.uploads.load(dataset_id)
            elif is_legacy_upload_id(dataset_id):  # never resolved to some other file
                raise DataError(legacy_message(dataset_id))
            else:
                ds = self._loader(dataset_id, progress)
            if not isinstance(ds, Dataset):
                raise DataError(f"the loader returned no data set for {dataset_id!r}")
            with self._lock:
                self._remember(dataset_id, ds)
        return ds

    def _cached(self, dataset_id: str) -> Dataset | None:
        """Caller holds self._lock; a hit becomes the most recently used."""
        if dataset_id in self._pinned:
            return self._pinned[dataset_id]
        ds = self._datasets.pop(dataset_id, None)
        if ds is not None:
            self._datasets[dataset_id] = ds
        return ds

    def _remember(self, dataset_id: str, ds: Dataset) -> None:
        """Caller holds self._lock. Evicts the oldest beyond the bounds, never the newest."""
        self._datasets.pop(dataset_id, None)
        self._datasets[dataset_id] = ds
        while len(self._datasets) > 1 and (
            len(self._datasets) > self.max_datasets
            or sum(map(_nbytes, self._datasets.values())) > self.max_dataset_bytes
        ):
            del self._datasets[next(iter(self._datasets))]

    # -- scheduling --------------------------------------------------------------------------
    def _pump(self) -> None:
        """Start queued runs (FIFO) while a slot is free. Caller holds self._lock."""
        while (
            self._queue
            and len(self._running) < self.max_parallel
            and not self._closed
            and self.cores.take()
        ):
            run_id = self._queue.popleft()
            self._running.add(run_id)
            thread = threading.Thread(
                target=self._work, args=(run_id,), name=f"digit-net-run-{run_id}", daemon=True
            )
            self._threads[run_id] = thread
            thread.start()
        elsewhere = max(0, self.cores.taken - len(self._running))  # a sweep's trials
        for position, run_id in enumerate(self._queue, start=1):
            self._live[run_id].set_queue_position(position, elsewhere)

    def _work(self, run_id: str) -> None:
        with self._lock:
            live = self._live[run_id]
        live.set_queue_position(None)
        try:
            execute(self.store, live, self.dataset, self._listeners, self.snapshot_seconds)
        finally:
            self._check_end_saved(live)
            with self._lock:
                self._running.discard(run_id)
                self.cores.give()  # its listener (_core_freed) starts the next queued run
                self._evict()

    def _core_freed(self) -> None:
        with self._lock:
            self._pump()

    def _check_end_saved(self, live: LiveRun) -> None:
        """Remember a final status the store could not save, to save it at the next start."""
        try:
            record = self.store.get_run(live.run_id)
        except RunError:
            record = None
        snap = live.snapshot()
        if record is not None and record.active and not snap.active:
            with self._lock:
                self._unsaved_ends[live.run_id] = (snap.status, snap.reason, snap.ended)

    def _save_unsaved_ends(self) -> None:
        """Caller holds self._lock. Stops at the first failure (the disk is still full)."""
        for run_id, (status, reason, ended) in list(self._unsaved_ends.items()):
            try:
                self.store.update_run(
                    run_id, only_if_active=True, status=status, reason=reason, ended=ended
                )
            except RunError:
                return
            del self._unsaved_ends[run_id]

    def _end_unstarted(self, live: LiveRun, status: RunStatus, reason: str) -> None:
        self.store.update_run(live.run_id, status=status, reason=reason, ended=time.time())
        live.finish(status, reason)

    def _evict(self) -> None:
        """Forget the oldest ended LiveRuns beyond keep_finished (the store keeps everything)."""
        ended = [rid for rid, lv in self._live.items() if lv.done.is_set()]
        for rid in ended[: max(0, len(ended) - self._keep_finished)]:
            del self._live[rid]
            self._threads.pop(rid, None)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel queued runs, stop training ones and join their threads (tests, server exit)."""
        with self._lock:
            self._closed = True
            while self._queue:
                self._end_unstarted(
                    self._live[self._queue.popleft()], RunStatus.STOPPED, "shut down"
                )
            lives = [self._live[rid] for rid in self._running if rid in self._live]
            threads = list(self._threads.values())
        for live in lives:
            live.request_stop()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if not any(t.is_alive() for t in threads):  # nothing of ours writes any more
            self.store.release()

    def close(self) -> None:
        self.shutdown()
        self.store.close()


def _nbytes(ds: Dataset) -> int:
    arrays = (ds.train_images, ds.train_labels, ds.test_images, ds.test_labels)
    return sum(a.nbytes for a in arrays)
