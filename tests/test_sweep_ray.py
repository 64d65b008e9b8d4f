"""The Ray executor (issue 19) on a Ray runtime this test starts on 127.0.0.1: the same sweep
gives the same metrics on Ray as on local worker processes, a stopped trial ends between
batches, and the command line runs a sweep there."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from netlib.config import NetConfig
from netlib.sweep import SweepPlan
from netlib.sweep_space import parse_axes
from netlib.sweep_trial import TrialTask
from runlayer.sweep_exec import LocalExecutor, RayExecutor
from runlayer.sweep_runner import run_sweep

pytest.importorskip("ray")  # installed for the tests (requirements-dev.txt)
pytestmark = pytest.mark.slow

BASE = NetConfig(
    dataset="digits-8x8", hidden=(16,), activation="relu", epochs=3, lr=0.3, val_fraction=0.2
)


@pytest.fixture(scope="module")
def ray_executor():
    executor = RayExecutor(workers=2)
    yield executor
    executor.close()


def test_the_same_sweep_gives_the_same_metrics_on_ray_and_on_local_processes(ray_executor):
    plan = SweepPlan(BASE, tuple(parse_axes(["lr=0.05..0.5:log:2", "hidden=8|24"])), seeds=2)
    on_ray = run_sweep(plan, ray_executor)
    local = LocalExecutor(2)
    try:
        here = run_sweep(plan, local)
    finally:
        local.close()
    assert on_ray.where == "ray" and here.where == "local"
    assert [r.state for r in on_ray.points] == ["complete"] * 4
    assert [r.point for r in on_ray.points] == [r.point for r in here.points]
    assert [r.values for r in on_ray.points] == [r.values for r in here.points]


def test_a_stopped_trial_on_ray_ends_between_batches(ray_executor):
    ray_executor.submit(TrialTask((90, 0), BASE.replace(epochs=5000).to_dict(), "accuracy"))
    events = []
    while not any(e["kind"] == "epoch" for e in events):  # it is training
        if event := ray_executor.next_event(1.0):
            events.append(event)
    assert events[0]["kind"] == "start" and events[0]["where"].startswith("ray node ")
    ray_executor.stop((90, 0))
    end = None
    while end is None:
        event = ray_executor.next_event(1.0)
        end = event if event and event["kind"] == "end" else None
    assert end["status"] == "stopped" and end["epochs"] < 5000


def test_the_command_line_runs_a_sweep_on_ray():
    argv = ["sweep", "--base", "digits-8x8", "--epochs", "2", "--vary", "lr=0.1|0.5"]
    proc = subprocess.run(
        [sys.executable, "-m", "netlib", *argv, "--executor", "ray", "--workers", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["executor"] == "ray" and len(result["points"]) == 2


def test_a_dashboard_sweep_on_ray_records_where_each_trial_ran(ray_executor, tmp_path):
    """The Sweep page's path: SweepJobs with the ray executor (on the runtime above), each
    trial a stored run, its row naming the Ray node and process it ran in."""
    from runlayer.store import RunStore
    from runlayer.sweep_jobs import SweepJobs

    store = RunStore(tmp_path / "home")
    jobs = SweepJobs(store, workers=2)
    plan = SweepPlan(BASE.replace(epochs=2), tuple(parse_axes(["lr=0.1|0.5"])), seeds=1)
    sweep_id = jobs.start(plan, "sweep on ray", "ray")
    assert jobs.wait(600)
    snap = jobs.snapshot(sweep_id)
    assert snap.info.state == "finished" and snap.info.executor == "ray", snap.info.reason
    assert snap.trials["finished"] == 2
    assert all(t.place.startswith("ray node ") for t in snap.rows)
    assert {r.status for r in store.list_runs()} == {"finished"}
    store.close()


def test_a_data_set_the_caller_loaded_is_shipped_without_loading_it_again(
    ray_executor, monkeypatch
):
    """The command line checks the data set before the sweep; Ray ships that same copy."""
    import numpy as np

    import netlib.data.catalog as catalog

    loaded = catalog.load_dataset("digits-8x8")
    executor = RayExecutor(workers=2, datasets={("digits-8x8", None): loaded})

    def must_not_load(*args, **kwargs):
        raise AssertionError("the data set was loaded a second time")

    monkeypatch.setattr(catalog, "load_dataset", must_not_load)
    ref = executor._dataset(TrialTask((0, 0), BASE.to_dict(), "accuracy"))
    shipped = executor._ray.get(ref)
    assert np.array_equal(shipped.train_images, loaded.train_images)
    executor.close()  # not its runtime (the fixture's): the runtime stays up
    assert executor._ray.is_initialized()
