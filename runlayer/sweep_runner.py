"""Run a sweep: ask the search for points, run each point's seeds on an executor, report the
seeds' mean objective after every epoch to the pruner, and stop a pruned point's runs.

At most `executor.workers` trials run at once; a point's seeds are queued together, so the
pruner judges a point once all its running seeds have reached an epoch. A trial that fails or
diverges is recorded with its reason and the sweep goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netlib.sweep import PointResult, Search, SweepPlan, ranked, verdict
from netlib.sweep_trial import TrialTask

WAIT = 0.5  # seconds between looks at the executor when nothing arrives


@dataclass
class _Point:
    trial: Any  # the Optuna trial
    result: PointResult
    epochs: dict[int, dict[int, float]] = field(default_factory=dict)  # epoch -> seed -> value
    ended: dict[int, dict] = field(default_factory=dict)  # seed -> its end event
    reported: int = 0  # the last epoch told to the pruner


@dataclass
class SweepOutcome:
    points: list[PointResult]
    best: PointResult | None
    verdict: str
    importance: dict[str, float]
    where: str
    trials: list[dict] = field(default_factory=list)  # every run's end event


def run_sweep(
    plan: SweepPlan,
    executor,
    mnist_dir: str | None = None,
    on_event: Callable[[dict], None] | None = None,
    recorder=None,
    results: list[PointResult] | None = None,
) -> SweepOutcome:
    """Run the whole sweep on executor (which the caller closes). recorder (a
    runlayer.sweep_record.SweepRecorder) makes every trial a run of the store; results, when
    given, receives each point's PointResult as it starts (a page reads it while it runs)."""
    search = Search(plan)
    points: list[_Point] = []
    shown = results if results is not None else []
    running = 0
    trials: list[dict] = []
    while True:
        while running + plan.seeds <= max(executor.workers, plan.seeds) and len(points) < (
            plan.points_planned
        ):
            trial, point = search.ask()
            index = len(points)
            points.append(_Point(trial, PointResult(point)))
            shown.append(points[-1].result)
            for s in range(plan.seeds):
                config = plan.config(point, s).to_dict()
                record = recorder is not None
                task = TrialTask((index, s), config, plan.objective.text(), mnist_dir, record)
                if record:
                    recorder.submitted(task, point)
                executor.submit(task)
            running += plan.seeds
        if running == 0:
            break
        event = executor.next_event(WAIT)
        if event is not None and recorder is not None:
            recorder.event(event)
        if event is None or event["kind"] == "start":
            continue
        if on_event is not None:
            on_event(event)
        if event["kind"] == "lost":
            raise RuntimeError(event["reason"])
        p = points[event["key"][0]]
        if event["kind"] == "epoch":
            _on_epoch(p, event, plan, search, executor)
        elif event["kind"] == "end":
            running -= 1
            trials.append(event)
            p.ended[event["key"][1]] = event
            if len(p.ended) == plan.seeds:
                _finish(p, plan, search)
    results = [p.result for p in points]
    order = ranked(results, plan.objective)
    return SweepOutcome(
        points=results,
        best=order[0] if order else None,
        verdict=verdict(results, plan.objective),
        importance=search.importance(),
        where=executor.where,
        trials=trials,
    )


def _on_epoch(p: _Point, event: dict, plan: SweepPlan, search: Search, executor) -> None:
    """Once every seed still running has reached an epoch, the pruner sees their mean."""
    epoch, seed, value = event["epoch"], event["key"][1], event["value"]
    if value is None or p.result.state != "running":
        return
    p.epochs.setdefault(epoch, {})[seed] = value
    live = [s for s in range(plan.seeds) if s not in p.ended]
    while (e := p.reported + 1) in p.epochs and all(s in p.epochs[e] for s in live):
        p.reported = e
        if plan.pruner != "none" and search.report(
            p.trial, e, float(np.mean(list(p.epochs[e].values())))
        ):
            p.result.state = "pruned"
            p.result.reason = f"stopped after epoch {e}: below the other points' median"
            for s in live:
                executor.stop((event["key"][0], s))
            return


def _finish(p: _Point, plan: SweepPlan, search: Search) -> None:
    """All of a point's seeds have ended: its result, and the search is told."""
    ends = [p.ended[s] for s in sorted(p.ended)]
    good = [e for e in ends if e["status"] == "finished" and e.get("value") is not None]
    p.result.values = [float(e["value"]) for e in good]
    p.result.seconds = [float(e.get("train_seconds", 0.0)) for e in good]
    if p.result.state == "pruned":
        search.tell(p.trial, None, "pruned")
        return
    if len(good) < len(ends):
        bad = next(e for e in ends if e not in good)
        p.result.state, p.result.reason = "failed", f"{bad['status']}: {bad.get('reason', '')}"
        search.tell(p.trial, None, "failed")
        return
    p.result.state = "complete"
    search.tell(p.trial, p.result.mean, "complete")
