"""Run a sweep: ask the search for points, run each point's seeds on an executor, report the
seeds' mean objective after every epoch to the pruner, and stop a pruned point's runs.

At most `executor.workers` trials run at once, and each holds one of the machine's cores
(runlayer/cores.py) when a CoreSlots is given, so the dashboard's single runs share the cores
with a sweep. The pruner judges a point once all its live seeds have reached an epoch. A trial
that fails or diverges is recorded with its reason and the sweep goes on. An interrupted sweep
resumes from its begun points (`Begun`): their finished seeds are kept, the others run again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netlib.sweep import PointResult, Search, SweepPlan, ranked, verdict
from netlib.sweep_trial import TrialTask

WAIT = 0.5  # seconds between looks at the executor (and at a stop request)
KEPT_ENDS = ("finished", "diverged", "failed")  # a seed's real results, kept by a resume
FINAL_POINT_STATES = ("complete", "pruned", "failed")


@dataclass
class Begun:
    """A point an interrupted sweep had begun: what a resume keeps of it."""

    point: dict[str, Any]
    state: str = "running"  # running | complete | pruned | failed
    reason: str = ""
    ends: dict[int, dict] = field(default_factory=dict)  # seed index -> its end event
    curve: dict[int, float] = field(default_factory=dict)  # epoch -> mean told to the pruner


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
    stopped: bool = False  # should_stop ended it before every point was done


class _Unlimited:
    """Cores for a sweep that shares the machine with nothing (the command line)."""

    def take(self) -> bool:
        return True

    def give(self) -> None:
        pass


def run_sweep(
    plan: SweepPlan,
    executor,
    mnist_dir: str | None = None,
    on_event: Callable[[dict], None] | None = None,
    recorder=None,
    results: list[PointResult] | None = None,
    *,
    begun: list[Begun] = (),
    cores=None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SweepOutcome:
    """Run the whole sweep on executor (which the caller closes).

    recorder (runlayer.sweep_record.SweepRecorder) makes every trial a run of the store and
    hears each point's state; results, when given, receives each point's PointResult as it
    starts; begun resumes an interrupted sweep; cores (a CoreSlots) is taken one per running
    trial; should_stop is asked every WAIT seconds and ends the sweep at once when True."""
    search = Search(plan, [b.point for b in begun])
    points: list[_Point] = []
    shown = results if results is not None else []
    cores = cores or _Unlimited()
    pending: deque[TrialTask] = deque()  # queued, waiting for a worker and a core
    trials: list[dict] = []
    in_flight = 0
    notify = recorder.point if recorder is not None else (lambda index, result: None)

    def begin() -> _Point:
        trial, asked = search.ask()
        p = _Point(trial, PointResult(asked))
        points.append(p)
        shown.append(p.result)
        return p

    def queue_seeds(p: _Point, seeds) -> None:
        index = points.index(p)
        for s in seeds:
            config = plan.config(p.result.point, s).to_dict()
            record = recorder is not None
            task = TrialTask((index, s), config, plan.objective.text(), mnist_dir, record)
            if recorder is not None:
                recorder.submitted(task, p.result.point)
            pending.append(task)
        notify(index, p.result)

    for b in begun:
        p = begin()
        _restore(p, b, plan, search)
        notify(points.index(p), p.result)
        if p.result.state not in FINAL_POINT_STATES:
            queue_seeds(p, [s for s in range(plan.seeds) if s not in p.ended])
    stopped = False
    planned = plan.points_planned
    try:
        while True:
            if should_stop():
                stopped = True
                break
            while True:  # every free worker busy before waiting (not one per event heard)
                if not pending and in_flight < executor.workers and len(points) < planned:
                    queue_seeds(begin(), range(plan.seeds))
                if not (pending and in_flight < executor.workers and cores.take()):
                    break
                executor.submit(pending.popleft())
                in_flight += 1
            if in_flight == 0 and not pending:
                if len(points) >= planned:
                    break
                continue
            event = executor.next_event(WAIT)
            if event is not None and recorder is not None:
                recorder.event(event)
            if event is None or event["kind"] == "start":
                continue
            if on_event is not None:
                on_event(event)
            if event["kind"] == "lost":
                raise RuntimeError(event["reason"])
            index = event["key"][0]
            p = points[index]
            if event["kind"] == "epoch":
                if _on_epoch(p, event, plan, search, executor):
                    for task in [t for t in pending if t.key[0] == index]:
                        pending.remove(task)  # a pruned point's seeds not yet started
                        end = {"kind": "end", "key": task.key, "status": "stopped",
                               "reason": "its point was stopped early"}  # fmt: skip
                        if recorder is not None:
                            recorder.event(end)
                        p.ended[task.key[1]] = end
                    notify(index, p.result)
            elif event["kind"] == "end":
                in_flight -= 1
                cores.give()
                trials.append(event)
                p.ended[event["key"][1]] = event
                if len(p.ended) == plan.seeds:
                    _finish(p, search)
                    notify(index, p.result)
    finally:
        for _ in range(in_flight):  # trials still out (a stop, an error) give their cores back
            cores.give()
    results = [p.result for p in points]
    order = ranked(results, plan.objective)
    return SweepOutcome(
        points=results,
        best=order[0] if order else None,
        verdict=verdict(results, plan.objective),
        importance=search.importance(),
        where=executor.where,
        trials=trials,
        stopped=stopped,
    )


def _restore(p: _Point, b: Begun, plan: SweepPlan, search: Search) -> None:
    """A begun point as it was: its kept seeds, what the pruner had heard, its final state."""
    p.ended = {s: e for s, e in b.ends.items() if e.get("status") in KEPT_ENDS}
    for epoch in sorted(b.curve):
        search.report(p.trial, epoch, b.curve[epoch])
        p.reported = epoch
    p.result.state, p.result.reason = b.state, b.reason
    if b.state == "pruned":
        _values(p)
        search.tell(p.trial, None, "pruned")
    elif b.state == "failed":
        search.tell(p.trial, None, "failed")
    elif b.state == "complete" or len(p.ended) == plan.seeds:  # its result stands
        p.result.state = "running"
        _finish(p, search)


def _on_epoch(p: _Point, event: dict, plan: SweepPlan, search: Search, executor) -> bool:
    """Once every seed still running has reached an epoch, the pruner sees their mean; True
    when it stopped the point (and its running seeds)."""
    epoch, seed, value = event["epoch"], event["key"][1], event["value"]
    if value is None or p.result.state != "running":
        return False
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
            return True
    return False


def _values(p: _Point) -> list[dict]:
    ends = [p.ended[s] for s in sorted(p.ended)]
    good = [e for e in ends if e["status"] == "finished" and e.get("value") is not None]
    p.result.values = [float(e["value"]) for e in good]
    p.result.seconds = [float(e.get("train_seconds", 0.0)) for e in good]
    return [e for e in ends if e not in good]


def _finish(p: _Point, search: Search) -> None:
    """All of a point's seeds have ended: its result, and the search is told."""
    bad = _values(p)
    if p.result.state == "pruned":
        search.tell(p.trial, None, "pruned")
        return
    if bad:
        why = f"{bad[0]['status']}: {bad[0].get('reason', '')}"
        p.result.state, p.result.reason = "failed", why
        search.tell(p.trial, None, "failed")
        return
    p.result.state = "complete"
    search.tell(p.trial, p.result.mean, "complete")
