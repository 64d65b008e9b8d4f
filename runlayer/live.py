"""What a page polls while a run trains: one lock-protected object per run, read via snapshot().

The training thread writes here; page threads call snapshot() and get copies, so they never
hold the lock while drawing. The run's RunControls is created with it, when the run is queued,
and handed to its Trainer: controls sent while queued or loading data wait in it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from netlib.config import NetConfig
from netlib.controls import RunControls, check_lr
from netlib.nets import Network
from runlayer.curve import DownsampledCurve
from runlayer.records import RunStatus


@dataclass(frozen=True)
class LiveSnapshot:
    """A copied, read-only view of a live run. Treat `net` and `confusion` as read-only."""

    run_id: str
    name: str
    config: NetConfig
    status: RunStatus  # never INTERRUPTED: that is what a dead server leaves in the store
    reason: str
    queue_position: int | None  # 1 = next to start, while queued
    sweep_cores: int  # while queued: the cores a sweep's trials hold (the wait's reason)
    load_done: int  # bytes downloaded so far, while loading data
    load_total: int | None
    load_file: str
    epoch: int  # the epoch in progress (1-based; 0 before the first batch)
    epochs: int
    batch: int
    batches: int  # per epoch
    step: int
    samples_per_sec: float | None
    eta_seconds: float | None
    lr: float
    curve_steps: np.ndarray  # down-sampled batch losses
    curve_losses: np.ndarray
    metrics: tuple[dict, ...]  # one dict per finished epoch, as RunStore.epoch_metrics
    net: Network | None  # latest weights: refreshed every epoch and about every second
    net_version: int  # changes whenever net does: a cache key for heatmaps
    confusion: np.ndarray | None  # latest test confusion matrix
    confusion_epoch: int | None
    best_epoch: int | None
    created: float
    started: float | None
    ended: float | None
    held: bool = False  # paused and no batch in flight: the step count stays as it is

    @property
    def active(self) -> bool:
        return self.status in RunStatus.ACTIVE

    @property
    def progress(self) -> float:
        """Fraction of all batches done, in [0, 1]; while loading data, of the bytes loaded."""
        if self.status == RunStatus.LOADING:
            return min(1.0, self.load_done / self.load_total) if self.load_total else 0.0
        total = self.epochs * self.batches
        return min(1.0, self.step / total) if total else 0.0


class LiveRun:
    def __init__(
        self,
        run_id: str,
        name: str,
        config: NetConfig,
        max_points: int = 2000,
        persist: Callable[[str], None] | None = None,
    ) -> None:
        """persist(status) records a control's status change; called under the lock, so the
        stored status can never end up older than the live one."""
        self.run_id = run_id
        self._persist = persist or (lambda status: None)
        self.config = config
        self.done = threading.Event()  # set once the run reached a final status
        self._lock = threading.Lock()
        self.controls = RunControls()  # handed to the Trainer; the lock orders it with status
        self._curve = DownsampledCurve(max_points)
        self._metrics: list[dict] = []
        self._net: Network | None = None
        self._net_version = 0
        self._confusion: np.ndarray | None = None
        self._confusion_epoch: int | None = None
        self._window: tuple[float, int] | None = None  # (time, step) the rate is measured from
        self._batch_size = 0
        self._fields = dict(
            name=name, status=RunStatus.QUEUED, reason="", queue_position=None, sweep_cores=0,
            load_done=0,
            load_total=None, load_file="", epoch=0, epochs=config.epochs, batch=0, batches=0,
            step=0, samples_per_sec=None, eta_seconds=None, lr=config.lr, best_epoch=None,
            created=time.time(), started=None, ended=None,
        )  # fmt: skip

    # -- read side ---------------------------------------------------------------------------
    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return LiveSnapshot(
                run_id=self.run_id,
                config=self.config,
                curve_steps=np.array(self._curve.steps, dtype=np.int64),
                curve_losses=np.array(self._curve.losses, dtype=np.float64),
                metrics=tuple(dict(m) for m in self._metrics),
                net=self._net,
                net_version=self._net_version,
                confusion=self._confusion,
                confusion_epoch=self._confusion_epoch,
                held=self.controls.held,
                **self._fields,
            )

    @property
    def status(self) -> RunStatus:
        with self._lock:
            return self._fields["status"]

    @property
    def stop_requested(self) -> bool:
        return self.controls.stopped

    # -- controls (any thread) -------------------------------------------------------------
    def pause(self) -> bool:
        return self._set_paused(True)

    def resume(self) -> bool:
        return self._set_paused(False)

    def _set_paused(self, paused: bool) -> bool:
        with self._lock:
            if self._fields["status"] not in RunStatus.ACTIVE:
                return False
            self.controls.pause() if paused else self.controls.resume()
            if self._fields["status"] in (RunStatus.RUNNING, RunStatus.PAUSED):  # trainer started
                self._fields["status"] = RunStatus.PAUSED if paused else RunStatus.RUNNING
                self._window = None  # the pause must not count against samples/s
                self._persist(self._fields["status"])
            return True

    def request_stop(self) -> bool:
        with self._lock:
            if self._fields["status"] not in RunStatus.ACTIVE:
                return False
            self.controls.stop()
            return True

    def set_lr(self, lr: float) -> bool:
        """ValueError (netlib.controls.check_lr) for a rate NetConfig refuses, live run or not."""
        with self._lock:
            if self._fields["status"] not in RunStatus.ACTIVE:
                check_lr(lr)
                return False
            self._fields["lr"] = self.controls.set_lr(lr)
            return True

    # -- write side (the run's worker thread) -------------------------------------------------
    def set_status(self, status: RunStatus, reason: str = "", **extra) -> None:
        with self._lock:
            self._fields.update(status=RunStatus(status), reason=reason, **extra)

    def set_name(self, name: str) -> None:
        with self._lock:
            self._fields["name"] = name

    def set_queue_position(self, position: int | None, sweep_cores: int = 0) -> None:
        with self._lock:
            self._fields.update(queue_position=position, sweep_cores=sweep_cores)

    def loading_progress(self, done: int, total: int | None = None, name: str = "") -> None:
        """The data loader's progress callback: bytes done / total of the file being fetched."""
        with self._lock:
            self._fields.update(load_done=int(done), load_total=total, load_file=str(name))

    def training_started(self, batch_size: int) -> RunStatus:
        """The trainer (built with self.controls) is about to train; returns the status,
        paused when a pause was sent while queued or loading."""
        with self._lock:
            self._batch_size = batch_size
            self._fields["status"] = RunStatus.PAUSED if self.controls.paused else RunStatus.RUNNING
            self._persist(self._fields["status"])
            return self._fields["status"]

    def on_batch(self, epoch: int, batch: int, batches: int, step: int, loss: float, lr: float):
        now = time.monotonic()
        with self._lock:
            self._curve.add(step, loss)
            self._fields.update(epoch=epoch, batch=batch, batches=batches, step=step, lr=lr)
            if self._window is None:
                self._window = (now, step)
            t0, s0 = self._window
            if step > s0 and now > t0:
                rate = (step - s0) / (now - t0)
                self._fields["samples_per_sec"] = rate * self._batch_size
                self._fields["eta_seconds"] = max(0, self._fields["epochs"] * batches - step) / rate

    def curve_after(self, step: int) -> tuple[list[int], list[float], int]:
        """Curve points after `step` and the current stride: what the store has not seen."""
        with self._lock:
            steps, losses = self._curve.points_after(step)
            return steps, losses, self._curve.stride

    def set_net(self, net: Network) -> None:
        with self._lock:
            self._net = net
            self._net_version += 1

    def on_epoch(self, row: dict, net: Network, confusion: np.ndarray | None, best_epoch) -> None:
        with self._lock:
            self._metrics.append(dict(row))
            self._net = net
            self._net_version += 1
            if confusion is not None:
                self._confusion = np.array(confusion, copy=True)
                self._confusion.flags.writeable = False
                self._confusion_epoch = row["epoch"]
            self._fields.update(best_epoch=best_epoch, lr=row["lr"])

    def finish(self, status: str, reason: str) -> None:
        """status: a final one (the engine's EndEvent status is its plain string)."""
        with self._lock:
            self._fields.update(
                status=RunStatus(status), reason=reason, ended=time.time(), queue_position=None
            )
            self._fields["eta_seconds"] = None
        self.done.set()
