"""Stored sweeps (issue 19): a sweep's plan, points, trials and curves are in the sweep store;
it survives a restart (marked interrupted), resumes keeping its finished trials and re-running
the rest, stops at once, deletes with its trials, exports its results as CSV, and its trials
share the machine's cores with the dashboard's single runs."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest

from netlib.config import NetConfig
from netlib.sweep import SweepPlan
from netlib.sweep_space import parse_axes
from runlayer.cores import CoreSlots
from runlayer.errors import RunError
from runlayer.registry import RunRegistry
from runlayer.store import RunStore
from runlayer.sweep_charts import chart_axes, labelled_curves, parallel_rows, setting_points
from runlayer.sweep_exec import LocalExecutor
from runlayer.sweep_jobs import SweepJobs
from runlayer.sweep_store import SweepStore

BASE = NetConfig(
    dataset="digits-8x8", hidden=(8,), activation="relu", epochs=2, lr=0.3, val_fraction=0.2
)
PATIENCE = 600  # seconds: only a bound against a hang, never a wait for a guessed duration


def plan(axes=("hidden=8|16|24",), seeds=2, **kw) -> SweepPlan:
    return SweepPlan(BASE, tuple(parse_axes(list(axes))), seeds=seeds, **kw)


def wait_until(check, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, f"never saw: {what}"
        time.sleep(0.05)


def local(kind, workers, address):
    assert kind == "local"
    return LocalExecutor(workers)


class Gated:
    """A local executor whose trials start only when the test opens the gate (one trial per
    opening): the test decides how far a sweep gets before it is stopped."""

    def __init__(self, workers: int) -> None:
        self.inner = LocalExecutor(workers)
        self.workers, self.where = workers, "local"
        self.gate = threading.Semaphore(0)
        self.held: list = []
        self.started = 0

    def submit(self, task) -> None:
        self.held.append(task)

    def next_event(self, timeout: float):
        while self.held and self.gate.acquire(blocking=False):
            self.started += 1
            self.inner.submit(self.held.pop(0))
        return self.inner.next_event(timeout)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_finished_sweep_is_stored_and_reads_back_after_a_restart(tmp_path):
    store = RunStore(tmp_path / "home")
    jobs = SweepJobs(store, workers=2, executor_factory=local)
    p = plan()
    sweep_id = jobs.start(p, "sweep t")
    assert jobs.wait(PATIENCE)
    snap = jobs.snapshot(sweep_id)
    assert snap.info.state == "finished" and snap.plan == p
    assert snap.trials["finished"] == 6 and [r.state for r in snap.points] == ["complete"] * 3
    assert all(len(r.values) == 2 for r in snap.points)
    assert {t.place.split(",")[0] for t in snap.rows} == {"local worker"}
    assert all(len(snap.curves[i][e]) == 2 for i in range(3) for e in (1, 2))
    runs = {r.id: r for r in store.list_runs()}
    assert {t.run_id for t in snap.rows} == set(runs)
    for t in snap.rows:  # the stored objective is the run's own final validation accuracy
        assert runs[t.run_id].final_val_acc == pytest.approx(t.value)
    store.close()

    again = SweepJobs(RunStore(tmp_path / "home"), executor_factory=local)  # a new server
    later = again.snapshot(sweep_id)
    assert later.table() == snap.table() and later.verdict == snap.verdict
    assert later.csv() == snap.csv()
    table = list(csv.DictReader(io.StringIO(later.csv())))
    assert [r["hidden"] for r in table] == ["8", "16", "24"]
    assert [float(r["mean"]) for r in table] == [r.mean for r in snap.points]


def test_charts_get_one_band_per_point_and_the_settings_as_plotted(tmp_path):
    store = RunStore(tmp_path / "home")
    jobs = SweepJobs(store, workers=2, executor_factory=local)
    sweep_id = jobs.start(plan(["lr=0.05..0.5:log:2", "activation=relu|tanh"], seeds=2), "s")
    assert jobs.wait(PATIENCE)
    snap = jobs.snapshot(sweep_id)
    assert chart_axes(snap.plan) == [
        {"name": "lr", "log": True, "numeric": True},
        {"name": "activation", "log": False, "numeric": False},
    ]
    curves = labelled_curves(snap)
    assert list(curves) == ["lr=0.05, activation=relu", "lr=0.05, activation=tanh",
                            "lr=0.5, activation=relu", "lr=0.5, activation=tanh"]  # fmt: skip
    assert all(len(by_epoch[2]) == 2 for by_epoch in curves.values())
    points = setting_points(snap)
    assert points[0]["values"] == {"lr": 0.05, "activation": "relu"}
    assert points[0]["seeds"] == snap.points[0].values
    rows, dims = parallel_rows(snap)
    assert dims == ["log10 lr", "activation", "objective"]
    assert rows[0]["log10 lr"] == pytest.approx(-1.30103) and len(rows) == 4
    store.close()


def test_a_stop_ends_the_sweep_at_once_and_a_resume_keeps_finished_trials(tmp_path):
    store = RunStore(tmp_path / "home")
    gated: list[Gated] = []

    def factory(kind, workers, address):
        gated.append(Gated(1))
        return gated[-1]

    jobs = SweepJobs(store, workers=1, executor_factory=factory)
    p = plan(seeds=2)  # 3 points x 2 seeds, one trial at a time
    sweep_id = jobs.start(p, "sweep r")
    wait_until(lambda: gated, "the executor")
    for _ in range(3):  # three trials may start: point 0's two seeds, point 1's first
        gated[0].gate.release()
    wait_until(lambda: jobs.snapshot(sweep_id).trials["finished"] == 3, "three finished trials")
    jobs.stop()
    assert jobs.wait(PATIENCE)
    snap = jobs.snapshot(sweep_id)
    assert snap.info.state == "stopped" and gated[0].started == 3
    kept = {(t.idx, t.seed): t for t in snap.rows if t.status == "finished"}
    assert set(kept) == {(0, 0), (0, 1), (1, 0)}
    assert [r.state for r in snap.points] == ["complete", "running"]
    assert {t.status for t in snap.rows if (t.idx, t.seed) not in kept} <= {"interrupted"}

    jobs.resume(sweep_id)
    wait_until(lambda: len(gated) == 2, "the resumed sweep's executor")
    for _ in range(3):  # point 1's second seed, point 2's two seeds: nothing else runs again
        gated[1].gate.release()
    assert jobs.wait(PATIENCE)
    done = jobs.snapshot(sweep_id)
    assert done.info.state == "finished" and gated[1].started == 3
    assert [r.state for r in done.points] == ["complete"] * 3
    for key, trial in kept.items():  # the finished trials are the same runs, same values
        again = next(t for t in done.rows if (t.idx, t.seed) == key)
        assert again.run_id == trial.run_id and again.value == trial.value
    assert done.trials["finished"] == 6
    assert {r.id for r in store.list_runs()} == {t.run_id for t in done.rows}  # no leftovers
    store.close()


def test_a_sweep_a_dead_server_left_running_is_interrupted_and_resumable(tmp_path):
    store = RunStore(tmp_path / "home")
    sweeps = SweepStore(store)
    sweep_id = sweeps.create(plan(), "sweep dead", "local")
    sweeps.trial(sweep_id, 0, 0, run_id=store.create_run(BASE), status="running")
    store.close()

    store = RunStore(tmp_path / "home")
    jobs = SweepJobs(store, workers=2, executor_factory=local)
    snap = jobs.snapshot(sweep_id)
    assert snap.info.state == "interrupted" and snap.trials["interrupted"] == 1
    jobs.resume(sweep_id)
    assert jobs.wait(PATIENCE)
    assert jobs.snapshot(sweep_id).trials["finished"] == 6
    store.close()


def test_deleting_a_sweep_deletes_its_trials_runs_and_refuses_while_it_runs(tmp_path):
    store = RunStore(tmp_path / "home")
    other = store.create_run(BASE, "a run of its own")
    store.update_run(other, status="finished")
    gated: list[Gated] = []

    def factory(kind, workers, address):
        gated.append(Gated(1))
        return gated[-1]

    jobs = SweepJobs(store, workers=1, executor_factory=factory)
    sweep_id = jobs.start(plan(), "sweep d")
    wait_until(lambda: gated, "the executor")
    with pytest.raises(RunError, match="is running: stop it"):
        jobs.delete(sweep_id)
    jobs.stop()
    assert jobs.wait(PATIENCE)
    assert len(store.list_runs()) == 3  # point 0's two seeds were queued, never started
    assert jobs.delete(sweep_id) == 2
    assert jobs.list() == [] and [r.id for r in store.list_runs()] == [other]
    store.close()


def test_a_single_run_gets_the_next_free_core_while_a_sweep_holds_them(tmp_path):
    """Two cores, a sweep holding both (its trials held at a gate): a single run started
    meanwhile queues and says why, then takes the first core a trial gives back, before the
    sweep can take it again."""
    cores = CoreSlots(2)
    registry = RunRegistry(tmp_path / "home", max_parallel=2, cores=cores)
    gated: list[Gated] = []

    def factory(kind, workers, address):
        gated.append(Gated(workers))
        return gated[-1]

    jobs = SweepJobs(registry.store, workers=2, cores=cores, executor_factory=factory)
    sweep_id = jobs.start(plan(["hidden=8|16|24|32"], seeds=1, trials=4), "sweep c")
    wait_until(lambda: cores.taken == 2, "the sweep holding both cores")
    run_id = registry.start(BASE.replace(epochs=5000))  # it trains until it is stopped
    queued = registry.snapshot(run_id)
    assert queued.status == "queued" and queued.sweep_cores == 2  # the wait says why
    gated[0].gate.release()  # one trial runs, ends and gives its core back
    wait_until(lambda: registry.snapshot(run_id).status != "queued", "the single run starting")
    assert cores.taken == 2  # the single run and the sweep's other trial, still held
    assert gated[0].started == 1 and len(gated[0].held) == 1  # no third trial took a core
    registry.stop(run_id)
    assert registry.wait(run_id, PATIENCE) == "stopped"
    gated[0].gate.release(3)
    assert jobs.wait(PATIENCE)
    assert jobs.snapshot(sweep_id).trials["finished"] == 4 and cores.taken == 0
    registry.shutdown()
    registry.close()
