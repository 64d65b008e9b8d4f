"""What a run's thread does: load data, train, record every epoch, evaluate, report the end.

Runs only in the run's own thread and never touches Streamlit. Every failure ends as a
status with a reason (never an exception escaping the thread, never a hang).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable

import numpy as np

from netlib.data.dataset import DataError, Dataset
from netlib.nets import Network
from netlib.trainer import BatchEvent, EpochEvent, Trainer
from netlib.training_data import PreparedData, prepare
from runlayer.errors import StoreError
from runlayer.live import LiveRun
from runlayer.records import EPOCH_COLUMNS, RunStatus
from runlayer.store import RunStore

log = logging.getLogger(__name__)


class Recorder:
    """Trainer listener: saves each epoch (metrics, confusion, weights, best) and feeds LiveRun.

    A store error raised here ends the run as failed with the error as the reason.
    """

    def __init__(self, store: RunStore, live: LiveRun, meta: dict,
                 snapshot_seconds: float = 1.0, flush_seconds: float = 5.0):  # fmt: skip
        self.store, self.live, self.meta = store, live, meta
        self.run_id, self.config = live.run_id, live.config
        self.snapshot_seconds, self.flush_seconds = snapshot_seconds, flush_seconds
        self.best_score = -math.inf
        self.best_epoch: int | None = None
        self.best_net: Network | None = None
        self.best_row: dict | None = None
        self._flushed_step, self._flushed_stride = 0, 1
        self._last_snapshot = self._last_flush = time.monotonic()

    def __call__(self, event: object) -> None:
        if isinstance(event, BatchEvent):
            self._batch(event)
        elif isinstance(event, EpochEvent):
            self._epoch(event)

    def _batch(self, e: BatchEvent) -> None:
        self.live.on_batch(e.epoch, e.batch, e.batches, e.step, e.loss, e.lr)
        now = time.monotonic()
        if now - self._last_snapshot >= self.snapshot_seconds:
            self._last_snapshot = now
            self.live.set_net(e.net.copy())  # so heatmaps move mid-epoch
        if now - self._last_flush >= self.flush_seconds:
            self.flush()

    def _epoch(self, e: EpochEvent) -> None:
        row = {c: getattr(e, c) for c in EPOCH_COLUMNS}
        score = next((v for v in (e.val_acc, e.test_acc, e.train_acc) if v is not None), 0.0)
        meta = {**self.meta, "epoch": e.epoch, "val_acc": e.val_acc, "test_acc": e.test_acc}
        # Files first, then the rows in one transaction: a recorded epoch always has its
        # checkpoint, even if the process dies between the two.
        self.store.save_weights(self.run_id, e.epoch, e.net, self.config, meta)
        if score > self.best_score:
            self.best_score, self.best_epoch = score, e.epoch
            self.best_net, self.best_row = e.net, row
            self.store.save_best(self.run_id, e.net, self.config, meta, epoch=e.epoch)
        if e.test_predictions is not None:
            self.store.save_predictions(self.run_id, e.epoch, e.test_predictions)
        self.flush()
        self.store.add_epoch(
            self.run_id,
            row,
            e.test_confusion,
            epochs_done=e.epoch,
            train_seconds=e.train_seconds,
            best_epoch=self.best_epoch,
            best_val_acc=self.best_row["val_acc"],
            best_test_acc=self.best_row["test_acc"],
        )
        self.store.thin_checkpoints(self.run_id, self.best_epoch, e.epoch)
        self.live.on_epoch(row, e.net, e.test_confusion, self.best_epoch)
        self._last_snapshot = time.monotonic()

    def flush(self) -> None:
        """Write the curve points the store has not seen (and thin it if the stride grew)."""
        steps, losses, stride = self.live.curve_after(self._flushed_step)
        if steps or stride != self._flushed_stride:
            self.store.add_batch_losses(self.run_id, steps, losses, stride)
            self._flushed_step = steps[-1] if steps else self._flushed_step
            self._flushed_stride = stride
        self._last_flush = time.monotonic()


def execute(
    store: RunStore,
    live: LiveRun,
    get_data: Callable[[str, Callable], Dataset],
    listeners: list[Callable[[str, object], None]],
    snapshot_seconds: float = 1.0,
) -> None:
    """The whole life of one run, from 'loading' to a final status; never raises."""
    run_id = live.run_id
    try:
        status, reason = _train(store, live, get_data, listeners, snapshot_seconds)
    except DataError as exc:
        status, reason = RunStatus.FAILED, str(exc)
    except StoreError as exc:
        status, reason = RunStatus.FAILED, str(exc)
    except Exception as exc:  # a thread boundary: the page shows it as the run's reason
        log.exception("run %s failed", run_id)
        status, reason = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
    if status == RunStatus.FAILED:
        try:
            store.update_run(run_id, status=status, reason=reason, ended=time.time())
        except Exception as exc:  # the store itself is broken: still end the live view
            reason = f"{reason} (and the result could not be saved: {exc})"
    live.finish(status, reason)


def _train(store, live, get_data, listeners, snapshot_seconds) -> tuple[str, str]:
    run_id, config = live.run_id, live.config
    if live.stop_requested:
        return _end(store, run_id, RunStatus.STOPPED, "stopped before it started", {})
    live.set_status(RunStatus.LOADING, started=time.time())
    store.update_run(run_id, status=RunStatus.LOADING, started=time.time())
    ds = get_data(config.dataset, live.loading_progress)
    if live.stop_requested:
        return _end(store, run_id, RunStatus.STOPPED, "stopped while loading data", {})
    data = prepare(ds, config.val_fraction, config.seed, config.dtype)
    meta = {"run_id": run_id, "dataset": config.dataset, "class_names": list(ds.class_names),
            "image_shape": list(ds.image_shape), "max_value": ds.max_value}  # fmt: skip
    recorder = Recorder(store, live, meta, snapshot_seconds)
    bound = [_bound(f, run_id) for f in listeners]
    trainer = Trainer(config, data, [recorder, *bound], live.controls)
    live.training_started(trainer.batch_size())
    end = trainer.run()
    if end.status == RunStatus.FAILED:
        with contextlib.suppress(Exception):  # the store may be what failed; best effort
            recorder.flush()
        return end.status, end.reason  # the caller records it
    recorder.flush()
    summary = {"epochs_done": end.epochs_done, "train_seconds": end.train_seconds}
    summary |= _final_scores(trainer.net, recorder.best_net, data)
    return _end(store, run_id, end.status, end.reason, summary)


def _end(store: RunStore, run_id: str, status: str, reason: str, summary: dict):
    store.update_run(run_id, status=status, reason=reason, ended=time.time(), **summary)
    return status, reason


def _final_scores(final: Network, best: Network | None, data: PreparedData) -> dict:
    """Evaluate the final and the best network: the numbers the Compare page lists."""
    out = {"final_val_acc": _acc(final, data.x_val, data.y_val),
           "final_test_acc": _acc(final, data.x_test, data.y_test)}  # fmt: skip
    if best is not None:
        out["best_test_acc"] = _acc(best, data.x_test, data.y_test)
    return out


def _acc(net: Network, x: np.ndarray, y: np.ndarray) -> float | None:
    if len(y) == 0:
        return None
    with np.errstate(all="ignore"):  # a diverged network may hold inf/NaN
        return float((net.logits(x).argmax(axis=1) == y).mean())


def _bound(listener: Callable[[str, object], None], run_id: str) -> Callable[[object], None]:
    return lambda event: listener(run_id, event)
