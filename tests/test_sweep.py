"""Sweeps (issue 19): the plan's checks, the objectives, the verdict, and whole sweeps run on
local worker processes — every point complete with its seeds, the same metrics as the same
trial run in this process, weak points pruned, a diverging point recorded while the rest go on."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.config import NetConfig
from netlib.settings import ConfigError
from netlib.sweep import Objective, PointResult, SweepPlan, verdict
from netlib.sweep_space import parse_axes
from netlib.sweep_trial import TrialTask, run_trial
from runlayer.sweep_exec import LocalExecutor
from runlayer.sweep_runner import run_sweep

BASE = NetConfig(
    dataset="digits-8x8", hidden=(16,), activation="relu", epochs=3, lr=0.3, val_fraction=0.2
)


def plan(axes, **kw) -> SweepPlan:
    return SweepPlan(BASE, tuple(parse_axes(axes)), **kw)


def test_objectives_read_accuracy_or_a_pair_per_thousand_test_images():
    assert Objective.parse("accuracy").value(0.9, None) == 0.9
    cm = np.zeros((10, 10), int)
    cm[np.arange(10), np.arange(10)] = 96
    cm[4, 9], cm[9, 4], cm[3, 5] = 30, 10, 1000  # 40 of the 2,000 test images are 4<->9
    pair = Objective.parse("pair:4-9")
    assert pair.direction == "minimize" and pair.value(None, cm) == 1000 * 40 / cm.sum()
    for bad in ("loss", "pair:4-4", "pair:4", "pair:a-b"):
        with pytest.raises(ConfigError, match="objective"):
            Objective.parse(bad)
    with pytest.raises(ConfigError, match="classes 0..9"):
        Objective.parse("pair:4-12").value(None, cm)


def test_a_plan_refuses_what_it_cannot_run_naming_it():
    with pytest.raises(ConfigError, match="strategy"):
        plan(["lr=0.1|0.2"], strategy="bayes")
    with pytest.raises(ConfigError, match="seeds per point: 6"):
        plan(["lr=0.1|0.2"], seeds=6)
    with pytest.raises(ConfigError, match="pruner"):
        plan(["lr=0.1|0.2"], pruner="hyperband")
    with pytest.raises(ConfigError, match="point dropout=0.1: dropout: with layers"):
        SweepPlan(BASE.replace(layers="dense16"), tuple(parse_axes(["dropout=0.1|0.2"])))
    assert plan(["lr=0.1|0.2|0.3", "hidden=8|16"], trials=4).points_planned == 4
    no_val = SweepPlan(BASE.replace(val_fraction=0.0), tuple(parse_axes(["lr=0.1|0.2"])))
    assert no_val.base.val_fraction > 0  # validation accuracy needs held-out images


def test_the_verdict_weighs_the_gap_against_the_seed_spread():
    acc = Objective()
    apart = [PointResult({"lr": 0.1}, [0.90, 0.91, 0.90], state="complete"),
             PointResult({"lr": 0.2}, [0.80, 0.81, 0.80], state="complete")]  # fmt: skip
    assert "better, not just luckier" in verdict(apart, acc)
    close = [PointResult({"lr": 0.1}, [0.90, 0.80, 0.85], state="complete"),
             PointResult({"lr": 0.2}, [0.86, 0.84, 0.83], state="complete")]  # fmt: skip
    assert "cannot be told apart" in verdict(close, acc)
    single = [PointResult({"lr": 0.1}, [0.9], state="complete"),
              PointResult({"lr": 0.2}, [0.8], state="complete")]  # fmt: skip
    assert "one seed per point" in verdict(single, acc)
    assert verdict(close, Objective((4, 9))).startswith("Best: lr=0.2")  # fewer is better


def _sweep(p: SweepPlan, workers: int):
    executor = LocalExecutor(workers)
    try:
        return run_sweep(p, executor)
    finally:
        executor.close()


def test_a_grid_sweep_on_two_worker_processes_matches_the_same_trials_run_here():
    p = plan(["lr=0.05..0.5:log:2", "hidden=8|24"], seeds=2)
    out = _sweep(p, workers=2)
    assert [r.state for r in out.points] == ["complete"] * 4 and out.where == "local"
    assert {len(r.values) for r in out.points} == {2}
    for index, result in enumerate(out.points):  # each seed's value, trained in this process
        for s in range(2):
            events = []
            task = TrialTask((index, s), p.config(result.point, s).to_dict(), "accuracy")
            run_trial(task, events.append, lambda: False)
            assert events[-1]["value"] == result.values[s]
    assert out.best.mean == max(r.mean for r in out.points)
    assert set(out.importance) == {"lr", "hidden"}
    assert "Best:" in out.verdict


def test_a_weak_point_is_pruned_and_a_diverging_one_recorded_while_the_sweep_goes_on():
    p = plan(["lr=0.5|0.3|1e-4|5000"], trials=4, pruner="median", strategy="grid")
    p = SweepPlan(p.base.replace(epochs=8), p.axes, trials=4, pruner="median")
    out = _sweep(p, workers=1)  # one worker: the points run in order, the pruner has a median
    states = {r.point["lr"]: r.state for r in out.points}
    assert states[0.5] == states[0.3] == "complete"
    assert states[1e-4] == "pruned"
    assert states[5000] in ("failed", "pruned")
    # The pruned point's run was told to stop; on this small set it may have finished first.
    [pruned] = [t for t in out.trials if t["key"][0] == 2]
    assert pruned["status"] == "finished" or pruned["epochs"] < 8


def test_a_stopped_trial_ends_between_batches_and_its_worker_takes_the_next():
    executor = LocalExecutor(1)
    try:
        long = BASE.replace(epochs=5000).to_dict()
        executor.submit(TrialTask((0, 0), long, "accuracy"))
        executor.submit(TrialTask((1, 0), BASE.to_dict(), "accuracy"))
        seen = []
        while not any(e["kind"] == "epoch" for e in seen):  # the long run is training
            seen += [e] if (e := executor.next_event(1.0)) else []
        executor.stop((0, 0))
        ends = {}
        while len(ends) < 2:
            if (e := executor.next_event(1.0)) and e["kind"] == "end":
                ends[e["key"]] = e
        assert ends[(0, 0)]["status"] == "stopped" and ends[(0, 0)]["epochs"] < 5000
        assert ends[(1, 0)]["status"] == "finished" and ends[(1, 0)]["epochs"] == 3
    finally:
        executor.close()


def test_a_worker_killed_mid_trial_fails_that_trial_and_is_replaced():
    import os
    import signal

    executor = LocalExecutor(1)
    try:
        executor.submit(TrialTask((0, 0), BASE.replace(epochs=5000).to_dict(), "accuracy"))
        start = None
        while start is None:
            if (e := executor.next_event(1.0)) and e["kind"] == "start":
                start = e
        os.kill(start["pid"], signal.SIGKILL)
        executor.submit(TrialTask((1, 0), BASE.to_dict(), "accuracy"))
        ends = {}
        while len(ends) < 2:
            if (e := executor.next_event(1.0)) and e["kind"] == "end":
                ends[e["key"]] = e
        assert ends[(0, 0)]["status"] == "failed" and "died" in ends[(0, 0)]["reason"]
        assert ends[(1, 0)]["status"] == "finished"
    finally:
        executor.close()


def test_every_trial_is_a_normal_run_of_the_store(tmp_path):
    """With a recorder, each trial is a stored run: named after the sweep, point and seed, its
    every epoch's metrics and confusion matrix, and weights Inspect can load that score what
    the trial reported."""
    from netlib.data.catalog import load_dataset
    from netlib.scoring import evaluate
    from runlayer.store import RunStore
    from runlayer.sweep_record import SweepRecorder

    store = RunStore(tmp_path / "home")
    p = plan(["hidden=8|24"], seeds=2)
    recorder = SweepRecorder(store, "sweep t1")
    executor = LocalExecutor(2)
    try:
        out = run_sweep(p, executor, recorder=recorder)
    finally:
        executor.close()
    runs = {r.id: r for r in store.list_runs()}
    assert set(runs) == set(recorder.run_ids.values()) and len(runs) == 4
    ds = load_dataset("digits-8x8")
    for (point, seed), run_id in recorder.run_ids.items():
        run = runs[run_id]
        assert run.status == "finished" and run.epochs_done == 3
        assert run.name == f"sweep t1 · hidden={(8, 24)[point]} · seed {seed + 1}"
        assert [m["epoch"] for m in store.epoch_metrics(run_id)] == [1, 2, 3]
        assert store.confusion(run_id, 3).sum() == len(ds.test_labels)
        assert run.final_val_acc == out.points[point].values[seed]  # the objective, stored
        net, config, meta = store.load_weights(run_id, "last")
        assert meta["run_id"] == run_id and config == p.config(out.points[point].point, seed)
        scored = evaluate(net, ds.test_images, ds.test_labels, ds.max_value)
        assert scored.accuracy == pytest.approx(run.final_test_acc)
        predicted = store.predictions(run_id)  # every epoch's, for the sample histories
        assert predicted.shape == (3, len(ds.test_labels))
        np.testing.assert_array_equal(predicted[-1], scored.pred)
    store.close()


def test_a_long_trial_sends_its_first_log_spaced_best_and_last_weights_only():
    """The driver (the dashboard's process) stores every trial: a 1,000-epoch trial sends
    about 40 models, always the first 10, every new best and the last."""
    from netlib.sweep_trial import WeightsSchedule

    schedule = WeightsSchedule(1000)
    scores = {e: 0.5 for e in range(1, 1001)} | {400: 0.6, 401: 0.6, 700: 0.7}
    sent = [e for e in range(1, 1001) if schedule.wants(e, scores[e])]
    assert sent[:10] == list(range(1, 11)) and sent[-1] == 1000
    assert {400, 700} <= set(sent) and 401 not in sent
    assert 20 <= len(sent) <= 45
    gaps = [b / a for a, b in zip(sent[10:], sent[11:], strict=False)]
    assert max(gaps) < 1.6  # log-spaced: no long stretch without weights


class Silent:
    """An executor whose trials report nothing until the sweep waits on it: it records how
    many trials were out when the driver first waited, then ends each one it is asked about."""

    workers, where = 3, "test"

    def __init__(self) -> None:
        self.out: list = []
        self.out_at_first_wait: int | None = None

    def submit(self, task) -> None:
        self.out.append(task)

    def next_event(self, timeout: float):
        if self.out_at_first_wait is None:
            self.out_at_first_wait = len(self.out)
        if not self.out:
            return None
        task = self.out.pop(0)
        return {"kind": "end", "key": task.key, "status": "failed", "reason": "not run"}

    def stop(self, key) -> None:
        pass


def test_the_driver_fills_every_free_worker_before_it_waits_for_an_event():
    """One seed per point: every point is its own trial. A Ray trial's first event comes
    later than a local one's, and the second worker sat idle that long (0.3 s per sweep)."""
    silent = Silent()
    outcome = run_sweep(plan(["hidden=8|16|24|32"], seeds=1), silent)
    assert silent.out_at_first_wait == 3
    assert len(outcome.trials) == 4
