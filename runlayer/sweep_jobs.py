"""Sweeps started from the dashboard: each runs its driver on a thread of the server, its
trials on an executor (local worker processes, or a Ray cluster), and records every trial as a
run of the registry's store and the sweep itself in the sweep store (runlayer/sweep_store.py).

Pages read `snapshot(sweep_id)`, built from the store alone, so a sweep looks the same live,
after it ended and after a restart. One sweep runs at a time; its trials share the cores with
the dashboard's single runs (runlayer/cores.py). Nothing here touches Streamlit.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from netlib.sweep import PointResult, SweepPlan, point_text, verdict
from runlayer.cores import CoreSlots
from runlayer.errors import RunError, RunNotFoundError
from runlayer.records import RunStatus
from runlayer.store import RunStore
from runlayer.sweep_exec import make_executor
from runlayer.sweep_record import SweepRecorder
from runlayer.sweep_runner import Begun, run_sweep
from runlayer.sweep_store import SweepInfo, SweepStore, TrialRow

TRIAL_STATES = ("queued", "running", "pruned", "finished", "failed", "interrupted")
_TRIAL_STATE = {"diverged": "failed", "stopped": "interrupted"}  # a pruned point's: "pruned"


@dataclass
class SweepSnapshot:
    """What a page shows of one sweep."""

    info: SweepInfo
    trials: dict[str, int]  # TRIAL_STATES -> how many
    points: list[PointResult]
    verdict: str
    rows: list[TrialRow] = field(default_factory=list)
    curves: dict[int, dict[int, list[float]]] = field(default_factory=dict)  # point->epoch->seeds

    @property
    def plan(self) -> SweepPlan | None:
        return self.info.plan

    @property
    def running(self) -> bool:
        return self.info.state == "running"

    def table(self) -> list[dict]:
        """The results per point (the page's table and the CSV export)."""
        return [r.row() for r in self.points]

    def csv(self) -> str:
        out = io.StringIO()
        rows = self.table()
        names = [axis.name for axis in self.plan.axes] if self.plan else []
        writer = csv.writer(out)
        writer.writerow([*names, "state", "mean", "std", "n", "seconds_per_run"])
        for result, row in zip(self.points, rows, strict=True):
            texts = point_text(result.point)  # each setting as the Train form writes it
            values = [texts.get(name, "") for name in names]
            writer.writerow([*values, row["state"], row["mean"], row["std"], row["n"],
                             row["seconds"]])  # fmt: skip
        return out.getvalue()


class SweepJobs:
    """The server's sweeps: start, stop, resume, delete, read."""

    def __init__(
        self,
        store: RunStore,
        workers: int | None = None,
        cores: CoreSlots | None = None,
        executor_factory=make_executor,
    ) -> None:
        self.store, self.workers = store, workers
        self.cores = cores or CoreSlots()
        self.sweeps = SweepStore(store)
        self.make_executor = executor_factory  # (kind, workers, address) -> an executor
        self._lock = threading.Lock()
        self._current: _Job | None = None
        if store.claim():  # the owner marks what a dead server left running
            self.sweeps.mark_interrupted()

    def start(self, plan: SweepPlan, label: str, executor: str = "local", address: str = "") -> str:
        """A new sweep; its id. executor "ray" runs it on the Ray cluster at address (default
        $DIGITNET_RAY_ADDRESS, else a Ray runtime started on this machine)."""
        with self._lock:
            self._refuse_if_running()
            sweep_id = self.sweeps.create(plan, label, executor)
            self._current = _Job(self, sweep_id, plan, label, (executor, address))
        self._current.thread.start()
        return sweep_id

    def resume(self, sweep_id: str, executor: str = "local", address: str = "") -> None:
        """Go on with an interrupted or stopped sweep: finished trials kept, the rest re-run."""
        info = self._info(sweep_id)
        if info.plan is None:
            raise RunError(f"sweep {info.label!r} cannot resume: {info.reason}")
        if info.state == "finished":
            raise RunError(f"sweep {info.label!r} has finished: nothing to resume")
        with self._lock:
            self._refuse_if_running()
            begun = _begun(self.sweeps, sweep_id, info.plan.seeds)
            run_ids = {(t.idx, t.seed): t.run_id for t in self.sweeps.trials(sweep_id)}
            self.sweeps.set_state(sweep_id, "running", executor=executor)
            where = (executor, address)
            self._current = _Job(self, sweep_id, info.plan, info.label, where, begun, run_ids)
        self._current.thread.start()

    def stop(self) -> None:
        job = self._current
        if job is not None:
            job.stop_requested = True

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop the running sweep and wait for its workers to end (tests, server exit)."""
        self.stop()
        self.wait(timeout)

    def delete(self, sweep_id: str) -> int:
        """The sweep and its trials' runs; how many runs went. A running sweep is refused."""
        info = self._info(sweep_id)
        if info.state == "running":
            raise RunError(f"sweep {info.label!r} is running: stop it before deleting it")
        gone = 0
        for trial in self.sweeps.trials(sweep_id):
            try:
                self.store.delete(trial.run_id)
                gone += 1
            except RunNotFoundError:
                pass  # deleted on its own already (Compare)
        self.sweeps.delete(sweep_id)
        return gone

    def list(self) -> list[SweepInfo]:
        return self.sweeps.list()

    def running_id(self) -> str | None:
        job = self._current
        return job.sweep_id if job is not None and job.thread.is_alive() else None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running sweep's thread (tests, shutdown); True once none runs."""
        job = self._current
        if job is not None:
            job.thread.join(timeout)
            return not job.thread.is_alive()
        return True

    def snapshot(self, sweep_id: str | None = None) -> SweepSnapshot | None:
        """A sweep as the store has it (default: the newest); None when there is none."""
        if sweep_id is None:
            listed = self.sweeps.list()
            if not listed:
                return None
            sweep_id = listed[0].id
        info = self.sweeps.get(sweep_id)
        return None if info is None else _snapshot(self.sweeps, info)

    def _info(self, sweep_id: str) -> SweepInfo:
        info = self.sweeps.get(sweep_id)
        if info is None:
            raise RunNotFoundError(f"no sweep with id {sweep_id!r}")
        return info

    def _refuse_if_running(self) -> None:
        if self.running_id() is not None:
            raise RunError("a sweep is already running: stop it or wait for its end")


class _Job:
    def __init__(self, jobs, sweep_id, plan, label, where, begun=(), run_ids=None) -> None:
        self.jobs, self.sweep_id, self.plan = jobs, sweep_id, plan
        self.where, self.begun = where, list(begun)
        self.stop_requested = False
        self.recorder = SweepRecorder(jobs.store, label, jobs.sweeps, sweep_id, run_ids)
        self.thread = threading.Thread(target=self._run, name=f"sweep {label}", daemon=True)

    def _run(self) -> None:
        sweeps, executor = self.jobs.sweeps, None
        try:
            kind, address = self.where
            executor = self.jobs.make_executor(kind, self.jobs.workers, address)
            out = run_sweep(
                self.plan, executor, recorder=self.recorder, begun=self.begun,
                cores=self.jobs.cores, should_stop=lambda: self.stop_requested,
            )  # fmt: skip
            state = "stopped" if out.stopped else "finished"
            why = "stopped by the user" if out.stopped else ""
            sweeps.set_state(self.sweep_id, state, why, importance=out.importance)
        except Exception as exc:  # noqa: BLE001 - shown on the page; the server goes on
            sweeps.set_state(self.sweep_id, "failed", f"{type(exc).__name__}: {exc}")
        finally:
            if executor is not None:
                for key in self.recorder.run_ids:  # a stopped sweep stops its trials first
                    executor.stop(key)
                executor.close()
            self._end_unfinished()

    def _end_unfinished(self) -> None:
        """Trials that never ended: their runs and rows say the sweep was stopped."""
        for trial in self.jobs.sweeps.trials(self.sweep_id):
            if trial.status in ("queued", "running"):
                self.jobs.store.update_run(
                    trial.run_id, only_if_active=True, status=RunStatus.STOPPED,
                    reason="the sweep was stopped", ended=time.time(),
                )  # fmt: skip
                self.jobs.sweeps.trial(self.sweep_id, trial.idx, trial.seed, status="interrupted")


def _begun(sweeps: SweepStore, sweep_id: str, seeds: int) -> list[Begun]:
    """What a resume keeps: every stored point, its ended seeds and its pruner curve."""
    trials = sweeps.trials(sweep_id)
    epochs = sweeps.epochs(sweep_id)
    out = []
    for idx, point, state, reason in sweeps.points(sweep_id):
        ends = {
            t.seed: {
                "kind": "end",
                "key": (idx, t.seed),
                "status": t.status,
                "value": t.value,
                "train_seconds": t.train_seconds or 0.0,
                "reason": t.reason,
            }  # fmt: skip
            for t in trials
            if t.idx == idx
        }
        curve = _mean_curve({s: epochs.get((idx, s), {}) for s in range(seeds)})
        out.append(Begun(point, state, reason, ends, curve))
    return out


def _mean_curve(per_seed: dict[int, dict[int, float]]) -> dict[int, float]:
    """Epoch -> mean over seeds, for the epochs every seed with values reached."""
    curves = [c for c in per_seed.values() if c]
    if not curves:
        return {}
    common = set.intersection(*(set(c) for c in curves))
    return {e: float(np.mean([c[e] for c in curves])) for e in sorted(common)}


def _snapshot(sweeps: SweepStore, info: SweepInfo) -> SweepSnapshot:
    trials = sweeps.trials(info.id)
    points = []
    states = {}
    for idx, point, state, reason in sweeps.points(info.id):
        result = PointResult(point, state=state, reason=reason)
        done = [t for t in trials if t.idx == idx and t.status == "finished"]
        done = [t for t in done if t.value is not None]
        result.values = [t.value for t in done]
        result.seconds = [t.train_seconds or 0.0 for t in done]
        points.append(result)
        states[idx] = state
    counts = dict.fromkeys(TRIAL_STATES, 0)
    for t in trials:
        shown = _TRIAL_STATE.get(t.status, t.status)
        if t.status == "stopped" and states.get(t.idx) == "pruned":
            shown = "pruned"
        counts[shown if shown in counts else "failed"] += 1
    curves: dict[int, dict[int, list[float]]] = {}
    for (idx, _seed), curve in sweeps.epochs(info.id).items():
        for epoch, value in curve.items():
            curves.setdefault(idx, {}).setdefault(epoch, []).append(value)
    objective = info.plan.objective if info.plan else None
    text = verdict(points, objective) if objective else info.reason
    return SweepSnapshot(info, counts, points, text, trials, curves)
