"""Sweeps started from the dashboard: each runs its driver on a thread of the server, its
trials in local worker processes, and records every trial as a run of the registry's store.

Pages poll `snapshot()`; nothing here touches Streamlit. One sweep runs at a time (its workers
take the cores).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from netlib.sweep import PointResult, SweepPlan, verdict
from runlayer.records import RunStatus
from runlayer.store import RunStore
from runlayer.sweep_exec import LocalExecutor
from runlayer.sweep_record import SweepRecorder
from runlayer.sweep_runner import run_sweep

TRIAL_STATES = ("queued", "running", "pruned", "finished", "failed")


@dataclass
class SweepSnapshot:
    """What a page shows of a sweep, copied under the lock."""

    label: str
    plan: SweepPlan
    state: str  # running | finished | stopped | failed
    reason: str
    trials: dict[str, int]  # queued / running / pruned / finished / failed
    points: list[dict]
    verdict: str
    importance: dict[str, float]
    run_ids: dict[tuple[int, int], str] = field(default_factory=dict)


class SweepJobs:
    """The server's sweeps (one running at a time)."""

    def __init__(self, store: RunStore, workers: int | None = None) -> None:
        self.store, self.workers = store, workers
        self._lock = threading.Lock()
        self._current: _Job | None = None

    def start(self, plan: SweepPlan, label: str) -> None:
        with self._lock:
            if self._current is not None and self._current.state == "running":
                raise RuntimeError("a sweep is already running: stop it or wait for its end")
            self._current = _Job(self, plan, label)
        self._current.thread.start()

    def stop(self) -> None:
        job = self._current
        if job is not None:
            job.stop_requested = True

    def snapshot(self) -> SweepSnapshot | None:
        job = self._current
        return None if job is None else job.snapshot()


class _Job:
    def __init__(self, jobs: SweepJobs, plan: SweepPlan, label: str) -> None:
        self.jobs, self.plan, self.label = jobs, plan, label
        self.state, self.reason, self.stop_requested = "running", "", False
        self.lock = threading.Lock()
        self.results: list[PointResult] = []
        self.importance: dict[str, float] = {}
        self.trial_state: dict[tuple[int, int], str] = {}
        self.recorder = SweepRecorder(jobs.store, label)
        self.thread = threading.Thread(target=self._run, name=f"sweep {label}", daemon=True)

    def _on_event(self, event: dict) -> None:
        key = tuple(event.get("key", ()))
        with self.lock:
            if event["kind"] == "epoch":
                self.trial_state[key] = "running"
            elif event["kind"] == "end":
                self.trial_state[key] = (
                    "finished"
                    if event["status"] == "finished"
                    else ("pruned" if event["status"] == "stopped" else "failed")
                )
        if self.stop_requested:
            raise _Stopped

    def _run(self) -> None:
        executor = LocalExecutor(self.jobs.workers)
        try:
            out = run_sweep(
                self.plan, executor, on_event=self._on_event, recorder=self.recorder,
                results=self.results,
            )  # fmt: skip
            with self.lock:
                self.importance, self.state = out.importance, "finished"
        except _Stopped:
            with self.lock:
                self.state, self.reason = "stopped", "stopped by the user"
        except Exception as exc:  # noqa: BLE001 - shown on the page; the server goes on
            with self.lock:
                self.state, self.reason = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            for key in self.recorder.run_ids:  # a stopped sweep stops its trials first
                executor.stop(key)
            executor.close()
            for key, run_id in self.recorder.run_ids.items():  # trials that never ended
                if self.trial_state.get(key) not in ("finished", "pruned", "failed"):
                    self.jobs.store.update_run(
                        run_id, only_if_active=True, status=RunStatus.STOPPED,
                        reason="the sweep was stopped", ended=time.time(),
                    )  # fmt: skip

    def snapshot(self) -> SweepSnapshot:
        with self.lock:
            states = [self.trial_state.get(k, "queued") for k in self.recorder.run_ids]
            counts = {s: states.count(s) for s in TRIAL_STATES}
            return SweepSnapshot(
                label=self.label,
                plan=self.plan,
                state=self.state,
                reason=self.reason,
                trials=counts,
                points=[r.row() for r in self.results],
                verdict=verdict(self.results, self.plan.objective),
                importance=dict(self.importance),
                run_ids=dict(self.recorder.run_ids),
            )


class _Stopped(Exception):
    """Raised from the event callback to end the driver's loop when the user stops."""
